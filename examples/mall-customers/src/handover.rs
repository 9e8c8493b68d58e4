//! What the tasks hand over through their outputs (XCom, at most 4 MiB each). Without S3, the
//! rows themselves, a plain JSON array; in S3 mode, the data stays in the bucket and only a
//! small object saying where travels. Pure: no host calls.

use serde::{Deserialize, Serialize};

use crate::analysis::GenderStats;
use crate::customers::Customer;

/// What `extract` hands over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Extracted {
    /// The customers themselves: `[{"customer_id": 1, ...}, ...]`.
    Rows(Vec<Customer>),
    /// A validated CSV in S3: `{"bucket": ..., "key": ..., "rows": ..., "etag": ...}`.
    Staged(StagedCsv),
}

/// A CSV object `extract` read and validated, for the next tasks to read again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StagedCsv {
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// How many customer rows it holds.
    pub rows: usize,
    /// The object's ETag when `extract` read it: later reads ask for that same version
    /// (`If-Match`), so that every task sees the data `extract` validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// What `sort_by_spending` hands over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Sorted {
    /// The customers themselves, sorted.
    Rows(Vec<Customer>),
    /// Where the sorted customers were written.
    Written(ParquetWritten),
}

/// The Parquet file `sort_by_spending` wrote in S3 mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParquetWritten {
    /// `s3://bucket/key`.
    pub uri: String,
    /// Rows in the file.
    pub rows: usize,
    /// Size of the file.
    pub bytes: usize,
    /// Spending score of the first row; none without rows.
    pub lowest_spending_score: Option<u32>,
    /// Spending score of the last row; none without rows.
    pub highest_spending_score: Option<u32>,
}

/// What `report` returns.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Number of customers.
    pub customers: usize,
    /// The sorted customers, without S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sorted_by_spending: Option<Vec<Customer>>,
    /// The Parquet file holding them sorted, in S3 mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parquet: Option<String>,
    /// Figures per gender.
    pub by_gender: Vec<GenderStats>,
}

impl Report {
    /// The report on `sorted` and `by_gender`.
    pub fn new(sorted: Sorted, by_gender: Vec<GenderStats>) -> Self {
        match sorted {
            Sorted::Rows(rows) => Self {
                customers: rows.len(),
                sorted_by_spending: Some(rows),
                parquet: None,
                by_gender,
            },
            Sorted::Written(written) => Self {
                customers: written.rows,
                sorted_by_spending: None,
                parquet: Some(written.uri),
                by_gender,
            },
        }
    }
}

/// What `upload` returns: where the outputs went.
#[derive(Debug, Serialize)]
pub struct Uploaded {
    /// The Parquet file, written by `sort_by_spending`.
    pub parquet: String,
    /// Its size.
    pub parquet_bytes: usize,
    /// Rows in it.
    pub rows: usize,
    /// The figures per gender, as JSON.
    pub aggregate: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn customer() -> Customer {
        Customer {
            customer_id: 7,
            gender: "Male".into(),
            age: 40,
            annual_income_k: 55,
            spending_score: 60,
        }
    }

    fn row_json() -> serde_json::Value {
        json!({"customer_id": 7, "gender": "Male", "age": 40, "annual_income_k": 55, "spending_score": 60})
    }

    fn staged() -> StagedCsv {
        StagedCsv {
            bucket: "weft".into(),
            key: "Mall_Customers.csv".into(),
            rows: 2_200_000,
            etag: Some("\"9b2cf535f27731c974343645a3985328\"".into()),
        }
    }

    #[test]
    fn rows_are_handed_over_as_a_plain_array() {
        let rows = Extracted::Rows(vec![customer()]);
        assert_eq!(
            serde_json::to_value(&rows).expect("JSON"),
            json!([row_json()])
        );
        let back: Extracted = serde_json::from_value(json!([row_json()])).expect("rows");
        assert_eq!(back, rows);
        let empty: Extracted = serde_json::from_str("[]").expect("no rows");
        assert_eq!(empty, Extracted::Rows(Vec::new()));
        let sorted: Sorted = serde_json::from_value(json!([row_json()])).expect("rows");
        assert_eq!(sorted, Sorted::Rows(vec![customer()]));
    }

    #[test]
    fn a_staged_csv_is_handed_over_as_a_small_object() {
        let text = serde_json::to_string(&Extracted::Staged(staged())).expect("JSON");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
            json!({
                "bucket": "weft",
                "key": "Mall_Customers.csv",
                "rows": 2_200_000,
                "etag": "\"9b2cf535f27731c974343645a3985328\"",
            })
        );
        assert!(text.len() < 200, "whatever the rows: {text}");
        let back: Extracted = serde_json::from_str(&text).expect("staged");
        assert_eq!(back, Extracted::Staged(staged()));

        let no_etag = json!({"bucket": "weft", "key": "k", "rows": 0});
        let back: Extracted = serde_json::from_value(no_etag.clone()).expect("staged");
        let Extracted::Staged(back) = back else {
            panic!("not staged: {back:?}");
        };
        assert_eq!(back.etag, None);
        assert_eq!(serde_json::to_value(&back).expect("JSON"), no_etag);
    }

    #[test]
    fn neither_shape_takes_anything_else() {
        for other in [
            json!({"bucket": "weft"}),
            json!({"rows": 3}),
            json!("rows"),
            json!(null),
        ] {
            assert!(
                serde_json::from_value::<Extracted>(other.clone()).is_err(),
                "{other}"
            );
            assert!(
                serde_json::from_value::<Sorted>(other.clone()).is_err(),
                "{other}"
            );
        }
    }

    #[test]
    fn the_parquet_summary_reaches_report_and_upload_unchanged() {
        let written = ParquetWritten {
            uri: "s3://weft/out/sorted_by_spending.parquet".into(),
            rows: 3,
            bytes: 1234,
            lowest_spending_score: Some(6),
            highest_spending_score: Some(81),
        };
        let text = serde_json::to_string(&Sorted::Written(written.clone())).expect("JSON");
        let back: Sorted = serde_json::from_str(&text).expect("written");
        assert_eq!(back, Sorted::Written(written.clone()));

        let report = serde_json::to_value(Report::new(back, Vec::new())).expect("JSON");
        assert_eq!(
            report,
            json!({"customers": 3, "parquet": written.uri, "by_gender": []})
        );
        let report = Report::new(Sorted::Rows(vec![customer()]), Vec::new());
        assert_eq!(
            serde_json::to_value(report).expect("JSON"),
            json!({"customers": 1, "sorted_by_spending": [row_json()], "by_gender": []})
        );
    }
}
