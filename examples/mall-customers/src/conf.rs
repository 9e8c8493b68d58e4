//! The run conf this DAG understands. Pure: no host calls.

use serde::Deserialize;

/// The run's conf; other keys are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Conf {
    /// The CSV text itself.
    pub csv: Option<String>,
    /// Read from and write to S3.
    pub s3: Option<S3Conf>,
    /// Also load the sorted rows into a SQL table, and read the top spenders back.
    pub sql: Option<SqlConf>,
}

/// Where in the database the sorted rows go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlConf {
    /// The table; default [`DEFAULT_TABLE`](crate::warehouse::DEFAULT_TABLE). A plain
    /// lower-case name (letters, digits, `_`), optionally with its schema: `reports.sorted`.
    pub table: Option<String>,
}

/// Where in S3 the input is and the outputs go.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Conf {
    /// The bucket; default: the connection's `schema`.
    pub bucket: Option<String>,
    /// The CSV's key; default [`DEFAULT_INPUT_KEY`](crate::DEFAULT_INPUT_KEY).
    pub input_key: Option<String>,
    /// Prefix of the outputs' keys; default `mall_customers/<run id>/`.
    pub output_prefix: Option<String>,
}

impl S3Conf {
    /// The prefix of the outputs' keys in run `run_id`.
    pub fn output_prefix(&self, run_id: &str) -> String {
        self.output_prefix
            .clone()
            .unwrap_or_else(|| default_prefix(run_id))
    }
}

/// `mall_customers/<run id>/`, the run id's characters other than letters, digits, `-`, `_`
/// and `.` replaced by `_` so that the key needs no escaping.
fn default_prefix(run_id: &str) -> String {
    let safe: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("mall_customers/{safe}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_prefix_is_the_run_id_made_safe_for_keys() {
        assert_eq!(
            default_prefix("manual__2026-11-21T13:18:18.580630+00:00"),
            "mall_customers/manual__2026-11-21T13_18_18.580630_00_00/"
        );
        let s3 = S3Conf {
            output_prefix: Some("out/".into()),
            ..S3Conf::default()
        };
        assert_eq!(s3.output_prefix("r1"), "out/");
        assert_eq!(S3Conf::default().output_prefix("r1"), "mall_customers/r1/");
    }

    #[test]
    fn the_s3_conf_is_optional_field_by_field_and_strict_about_names() {
        let conf: Conf = serde_json::from_str(r#"{"s3": {}}"#).expect("valid");
        let s3 = conf.s3.expect("s3 mode");
        assert!(s3.bucket.is_none() && s3.input_key.is_none() && s3.output_prefix.is_none());
        assert!(serde_json::from_str::<Conf>(r#"{"s3": {"bukket": "x"}}"#).is_err());
        let conf: Conf = serde_json::from_str(r#"{"name": "x"}"#).expect("other keys are fine");
        assert!(conf.s3.is_none() && conf.csv.is_none() && conf.sql.is_none());
        let conf: Conf = serde_json::from_str(r#"{"sql": {}}"#).expect("sql mode");
        assert!(conf.sql.is_some_and(|sql| sql.table.is_none()));
        assert!(serde_json::from_str::<Conf>(r#"{"sql": {"tabel": "x"}}"#).is_err());
    }
}
