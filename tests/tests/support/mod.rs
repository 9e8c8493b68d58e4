//! Shared by the `mall_customers` tests: the generated CSV, reading the Parquet file back,
//! and the component built with an egress rule for the test's S3 server.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;
use weft_e2e::{S3Client, S3Server};

/// The object the DAG reads by default.
pub const INPUT_KEY: &str = "Mall_Customers.csv";
/// Rows in the generated CSV.
pub const ROWS: u32 = 200;

/// One customer row, as generated and as read back from Parquet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: u32,
    pub gender: String,
    pub age: u32,
    pub income: u32,
    pub score: u32,
}

/// `ROWS` customers from a fixed linear congruential sequence: the same on every run.
pub fn generated_rows() -> Vec<Row> {
    generated(ROWS)
}

/// `count` customers with ids `1..=count`, from the same sequence as [`generated_rows`].
pub fn generated(count: u32) -> Vec<Row> {
    let mut state: u64 = 0x5eed_f00d;
    let mut next = |modulo: u32| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        u32::try_from((state >> 33) % u64::from(modulo)).expect("below modulo")
    };
    (1..=count)
        .map(|id| Row {
            id,
            gender: if next(2) == 0 { "Male" } else { "Female" }.to_owned(),
            age: 18 + next(53),
            income: 15 + next(123),
            score: 1 + next(100),
        })
        .collect()
}

/// The rows as Kaggle's `Mall_Customers.csv` writes them (header with `Genre`).
pub fn csv(rows: &[Row]) -> String {
    use std::fmt::Write;
    let mut text = "CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\n".to_owned();
    for r in rows {
        let _ = writeln!(
            text,
            "{},{},{},{},{}",
            r.id, r.gender, r.age, r.income, r.score
        );
    }
    text
}

/// A fresh bucket named after `name` (made unique), holding the generated CSV as
/// [`INPUT_KEY`]; the bucket's client and the rows.
pub fn bucket_with_csv(s3: &S3Server, name: &str) -> (S3Client, Vec<Row>) {
    let bucket = s3.client(
        &weft_testkit::unique_name(name)
            .to_lowercase()
            .replace('_', "-"),
    );
    bucket.create_bucket();
    let rows = generated_rows();
    bucket.put(INPUT_KEY, csv(&rows).into_bytes());
    assert_eq!(
        bucket.get(INPUT_KEY).map(|b| b.len()),
        Some(csv(&rows).len()),
        "the CSV is in the bucket"
    );
    (bucket, rows)
}

/// The rows in the order the DAG sorts them: by spending score, then by id.
pub fn sorted_by_spending(rows: &[Row]) -> Vec<Row> {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| (r.score, r.id));
    sorted
}

/// `by_gender.json` as the DAG wrote it: per gender, the count, the lowest and highest
/// spending score and their mean (rounded to two decimals).
pub fn check_gender_figures(json: &[u8], rows: &[Row]) {
    let stats: serde_json::Value = serde_json::from_slice(json).expect("JSON");
    let stats = stats.as_array().expect("an array");
    assert_eq!(stats.len(), 2, "{stats:?}");
    for gender in ["Female", "Male"] {
        let of: Vec<&Row> = rows.iter().filter(|r| r.gender == gender).collect();
        let s = stats
            .iter()
            .find(|s| s["gender"] == gender)
            .unwrap_or_else(|| panic!("no {gender} in {stats:?}"));
        assert_eq!(s["count"], of.len(), "{s}");
        assert_eq!(
            s["min_spending_score"],
            of.iter().map(|r| r.score).min().expect("rows"),
            "{s}"
        );
        assert_eq!(
            s["max_spending_score"],
            of.iter().map(|r| r.score).max().expect("rows"),
            "{s}"
        );
        let mean = of.iter().map(|r| f64::from(r.score)).sum::<f64>() / of.len() as f64;
        let reported = s["mean_spending_score"].as_f64().expect("a number");
        assert!((reported - mean).abs() < 0.006, "{reported} vs {mean}");
    }
}

/// The Parquet file the DAG wrote holds every row of `rows` once, by spending score, then id.
pub fn check_sorted_parquet(parquet: Vec<u8>, rows: &[Row]) {
    let sorted = read_parquet(parquet);
    assert_eq!(sorted.len(), rows.len(), "every row, once");
    assert_eq!(
        sorted,
        sorted_by_spending(rows),
        "by spending score, then id"
    );
}

/// The rows of a Parquet file written by the DAG, read with the `parquet` crate's row API.
pub fn read_parquet(bytes: Vec<u8>) -> Vec<Row> {
    let reader =
        SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("the object is a Parquet file");
    let names: Vec<&str> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name())
        .collect();
    assert_eq!(
        names,
        [
            "CustomerID",
            "Gender",
            "Age",
            "Annual Income (k$)",
            "Spending Score (1-100)"
        ]
    );
    reader
        .get_row_iter(None)
        .expect("a row reader")
        .map(|row| {
            let row = row.expect("a row");
            // UINT_32 columns read as unsigned, the gender as text: the types the DAG wrote.
            let uint = |i: usize| {
                row.get_uint(i)
                    .unwrap_or_else(|e| panic!("column {i}: {e}"))
            };
            Row {
                id: uint(0),
                gender: row.get_string(1).expect("a text gender").clone(),
                age: uint(2),
                income: uint(3),
                score: uint(4),
            }
        })
        .collect()
}

/// The `mall_customers` component, with an egress rule for `s3`'s endpoint: the example
/// `scripts/test.sh` built when it was built for this server, else one built here.
pub fn component(s3: &S3Server) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let rule = format!("GET,PUT {}", s3.url);
    if std::env::var("WEFT_MALL_S3_EGRESS").ok().as_deref() == Some(rule.as_str()) {
        return weft_e2e::example("mall_customers");
    }
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let target = root.join("target/e2e-mall-customers");
            let status = Command::new(env!("CARGO"))
                .args(["build", "--release", "--target", "wasm32-wasip2"])
                .args([
                    "--manifest-path",
                    "examples/Cargo.toml",
                    "-p",
                    "mall_customers",
                ])
                .env("CARGO_TARGET_DIR", &target)
                .env("WEFT_MALL_S3_EGRESS", &rule)
                .current_dir(&root)
                .status()
                .expect("cargo runs");
            assert!(
                status.success(),
                "building mall_customers for {rule} failed"
            );
            target.join("wasm32-wasip2/release/mall_customers.wasm")
        })
        .clone()
}
