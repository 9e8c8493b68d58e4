//! What a running task can see: its run, its attempt, the run's conf and its upstream outputs.
//! The host calls it can make are added by the capability modules (`src/capabilities/`).

use serde::de::DeserializeOwned;

use crate::bindings::weft::dag::types as wit;
use crate::error::TaskError;

/// The run and attempt a task belongs to, handed to every task function.
///
/// Reading the run's conf and upstream outputs needs no host call; the methods that ask the
/// host ([`Context::xcom_pull`], [`Context::variable`], [`Context::connection`],
/// [`Context::sql`], [`Context::worker`], ...) are each defined in their capability's module
/// (`src/capabilities/`).
#[derive(Debug, Clone)]
pub struct Context {
    info: wit::TaskContext,
    upstream: Vec<wit::UpstreamOutput>,
}

impl Context {
    pub(crate) fn new(info: wit::TaskContext, upstream: Vec<wit::UpstreamOutput>) -> Self {
        Self { info, upstream }
    }

    /// The host's record of the run and attempt.
    pub(crate) fn info(&self) -> &wit::TaskContext {
        &self.info
    }

    /// The DAG's id.
    pub fn dag_id(&self) -> &str {
        &self.info.dag_id
    }

    /// The id of the task being run.
    pub fn task_id(&self) -> &str {
        &self.info.task_id
    }

    /// The DAG run's id, unique within the DAG.
    pub fn run_id(&self) -> &str {
        &self.info.run_id
    }

    /// Logical date of the run (RFC 3339).
    pub fn logical_date(&self) -> &str {
        &self.info.logical_date
    }

    /// Start of the run's data interval (RFC 3339).
    pub fn data_interval_start(&self) -> &str {
        &self.info.data_interval_start
    }

    /// End of the run's data interval (RFC 3339).
    pub fn data_interval_end(&self) -> &str {
        &self.info.data_interval_end
    }

    /// Attempt number of this task instance, starting at 1.
    pub fn try_number(&self) -> u32 {
        self.info.try_number
    }

    /// Number of attempts the task may have in all (retries + 1).
    pub fn max_tries(&self) -> u32 {
        self.info.max_tries
    }

    /// The run's conf as JSON text; `{}` when none was given.
    fn conf_text(&self) -> &str {
        let text = self.info.conf.trim();
        if text.is_empty() { "{}" } else { text }
    }

    /// The run's conf decoded into `T`. A conf that does not fit `T` is a permanent error:
    /// the same conf would fail the same way on a retry.
    pub fn conf<T: DeserializeOwned>(&self) -> Result<T, TaskError> {
        serde_json::from_str(self.conf_text()).map_err(|e| {
            TaskError::permanent(format!(
                "the run's conf does not fit the expected type: {e}"
            ))
        })
    }

    /// The run's conf as a JSON value: `{}` when none was given, or when the host sent text
    /// that is not JSON (use [`Context::conf`] to see that error).
    pub fn conf_value(&self) -> serde_json::Value {
        serde_json::from_str(self.conf_text())
            .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()))
    }

    /// The output of direct upstream task `task_id`, decoded from JSON; none when that task is
    /// not a direct upstream or produced no output (it was skipped, say).
    pub fn upstream<T: DeserializeOwned>(&self, task_id: &str) -> Result<Option<T>, TaskError> {
        self.upstream
            .iter()
            .find(|u| u.task_id == task_id)
            .map(|u| {
                decode(
                    &u.value,
                    &format!("the output of upstream task `{task_id}`"),
                )
            })
            .transpose()
    }

    /// Ids of the direct upstream tasks whose outputs were handed to this attempt.
    pub fn upstream_ids(&self) -> impl Iterator<Item = &str> {
        self.upstream.iter().map(|u| u.task_id.as_str())
    }
}

/// Decode JSON `bytes`; `what` names them in the error, which is permanent since the same bytes
/// would fail the same way on a retry.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, TaskError> {
    serde_json::from_slice(bytes)
        .map_err(|e| TaskError::permanent(format!("{what} does not fit the expected type: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::TaskErrorKind;
    use serde::Deserialize;

    fn context(conf: &str, upstream: &[(&str, &str)]) -> Context {
        Context::new(
            wit::TaskContext {
                dag_id: "d".into(),
                task_id: "t".into(),
                run_id: "manual__1".into(),
                logical_date: "2024-01-01T00:00:00Z".into(),
                data_interval_start: "2024-01-01T00:00:00Z".into(),
                data_interval_end: "2024-01-02T00:00:00Z".into(),
                try_number: 2,
                max_tries: 3,
                conf: conf.into(),
                map_index: None,
                map_item: None,
                event: None,
            },
            upstream
                .iter()
                .map(|(id, value)| wit::UpstreamOutput {
                    task_id: (*id).into(),
                    value: value.as_bytes().to_vec(),
                })
                .collect(),
        )
    }

    #[test]
    fn exposes_the_run_and_attempt() {
        let ctx = context("{}", &[]);
        assert_eq!(ctx.dag_id(), "d");
        assert_eq!(ctx.task_id(), "t");
        assert_eq!(ctx.run_id(), "manual__1");
        assert_eq!(ctx.logical_date(), "2024-01-01T00:00:00Z");
        assert_eq!(ctx.data_interval_start(), "2024-01-01T00:00:00Z");
        assert_eq!(ctx.data_interval_end(), "2024-01-02T00:00:00Z");
        assert_eq!((ctx.try_number(), ctx.max_tries()), (2, 3));
    }

    #[test]
    fn conf_decodes_into_a_type_and_a_value() {
        #[derive(Deserialize)]
        struct Conf {
            name: String,
        }
        let ctx = context(r#"{"name": "ada"}"#, &[]);
        assert_eq!(ctx.conf::<Conf>().expect("fits").name, "ada");
        assert_eq!(ctx.conf_value(), json!({"name": "ada"}));
    }

    #[test]
    fn missing_conf_reads_as_an_empty_object() {
        let ctx = context("", &[]);
        assert_eq!(ctx.conf_value(), json!({}));
        let conf: serde_json::Map<String, serde_json::Value> = ctx.conf().expect("{} fits a map");
        assert!(conf.is_empty());
    }

    #[test]
    fn conf_of_the_wrong_shape_is_a_permanent_error() {
        let ctx = context(r#"{"name": 7}"#, &[]);
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Conf {
            name: String,
        }
        let err = ctx.conf::<Conf>().expect_err("7 is not a string");
        assert_eq!(err.kind(), TaskErrorKind::Permanent);
        assert!(err.message().contains("conf"), "{}", err.message());
    }

    #[test]
    fn malformed_conf_is_an_error_but_reads_as_empty_value() {
        let ctx = context("{not json", &[]);
        assert!(ctx.conf::<serde_json::Value>().is_err());
        assert_eq!(ctx.conf_value(), json!({}));
    }

    #[test]
    fn upstream_outputs_are_decoded_by_task_id() {
        let ctx = context("{}", &[("a", r#"{"n": 1}"#), ("b", "[1, 2]")]);
        assert_eq!(
            ctx.upstream::<serde_json::Value>("a").expect("valid"),
            Some(json!({"n": 1}))
        );
        assert_eq!(
            ctx.upstream::<Vec<u8>>("b").expect("valid"),
            Some(vec![1, 2])
        );
        assert_eq!(
            ctx.upstream::<serde_json::Value>("zz").expect("absent"),
            None
        );
        assert_eq!(ctx.upstream_ids().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn upstream_output_of_the_wrong_shape_names_the_task() {
        let ctx = context("{}", &[("a", r#""text""#)]);
        let err = ctx.upstream::<u32>("a").expect_err("a string is not a u32");
        assert_eq!(err.kind(), TaskErrorKind::Permanent);
        assert!(
            err.message().contains("upstream task `a`"),
            "{}",
            err.message()
        );
    }
}
