//! XCom: small values passed between the tasks of one DAG run, through the host.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::weft::dag::types::XcomError;
use crate::bindings::weft::dag::xcom;
use crate::context::{Context, decode};
use crate::error::TaskError;

impl Context {
    /// The output of task `task_id` in this run, decoded from JSON; none when it has none
    /// (it was skipped, say). The task must be upstream of this one, directly or not.
    pub fn xcom_pull<T: DeserializeOwned>(&self, task_id: &str) -> Result<Option<T>, TaskError> {
        let value = xcom::pull(task_id, None).map_err(|e| from_xcom_error(e, task_id))?;
        value
            .map(|bytes| decode(&bytes, &format!("the output of task `{task_id}`")))
            .transpose()
    }

    /// The value task `task_id` pushed under `key` in this run, decoded from JSON; none when it
    /// pushed nothing under that key.
    pub fn xcom_pull_key<T: DeserializeOwned>(
        &self,
        task_id: &str,
        key: &str,
    ) -> Result<Option<T>, TaskError> {
        let value = xcom::pull(task_id, Some(key)).map_err(|e| from_xcom_error(e, task_id))?;
        value
            .map(|bytes| decode(&bytes, &format!("the XCom `{key}` of task `{task_id}`")))
            .transpose()
    }

    /// Store `value`, encoded as JSON, under `key` for this task instance, replacing any
    /// earlier value. Keys use letters, digits, `_`, `-` and `.`.
    pub fn xcom_push(&self, key: &str, value: &impl Serialize) -> Result<(), TaskError> {
        let bytes = serde_json::to_vec(value).map_err(|e| {
            TaskError::permanent(format!("the XCom `{key}` cannot be encoded as JSON: {e}"))
        })?;
        xcom::push(key, &bytes).map_err(|e| from_xcom_error(e, self.task_id()))
    }
}

/// The task error for a failed XCom call about task `task_id`. Only an unreachable store is
/// worth a retry.
fn from_xcom_error(error: XcomError, task_id: &str) -> TaskError {
    match error {
        XcomError::NotUpstream(detail) => TaskError::permanent(format!(
            "XCom: task `{task_id}` is not upstream of this task: {detail}"
        )),
        XcomError::InvalidKey(detail) => {
            TaskError::permanent(format!("XCom: invalid key: {detail}"))
        }
        XcomError::TooLarge(limit) => TaskError::permanent(format!(
            "XCom: the value is larger than the host's limit of {limit} bytes"
        )),
        XcomError::Unavailable(detail) => {
            TaskError::retryable(format!("XCom: the store is unavailable: {detail}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TaskErrorKind;

    #[test]
    fn only_an_unavailable_store_is_retryable() {
        let cases = [
            (XcomError::NotUpstream("x".into()), TaskErrorKind::Permanent),
            (
                XcomError::InvalidKey("bad key".into()),
                TaskErrorKind::Permanent,
            ),
            (XcomError::TooLarge(1024), TaskErrorKind::Permanent),
            (
                XcomError::Unavailable("timeout".into()),
                TaskErrorKind::Retryable,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(from_xcom_error(error, "t1").kind(), kind);
        }
    }

    #[test]
    fn messages_name_the_task_and_the_limit() {
        let err = from_xcom_error(XcomError::NotUpstream("no path".into()), "t9");
        assert_eq!(
            err.message(),
            "XCom: task `t9` is not upstream of this task: no path"
        );
        let err = from_xcom_error(XcomError::TooLarge(4096), "t1");
        assert!(err.message().contains("4096 bytes"), "{}", err.message());
    }
}
