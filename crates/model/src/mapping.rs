//! Mapped tasks (Airflow's dynamic task mapping): the ids their instances are stored under,
//! the items a mapped task expands over, the state that sums its instances up, and the one
//! output downstream tasks get from them.
//!
//! A mapped task `t` expanded over N items has N task instances of its own, stored as
//! `t[0]` … `t[N-1]` (no task id can hold `[`), beside `t`'s own task instance, which sums
//! them up.
//!
//! ```
//! use weft_model::mapping::{instance_id, map_items, reduce, split_instance_id};
//!
//! assert_eq!(instance_id("load", 3), "load[3]");
//! assert_eq!(split_instance_id("load[3]"), ("load", Some(3)));
//! assert_eq!(split_instance_id("load"), ("load", None));
//! assert_eq!(map_items(br#"[1, {"a": 2}]"#)?, vec!["1".to_owned(), r#"{"a":2}"#.to_owned()]);
//! assert_eq!(reduce([Some(&b"1"[..]), None, Some(&b"\"x\""[..])]), br#"[1,null,"x"]"#);
//! # Ok::<(), weft_model::mapping::MapItemsError>(())
//! ```

use crate::state::TaskState;

/// How many instances a mapped task may have unless the scheduler says otherwise (Airflow's
/// `max_map_length`).
pub const DEFAULT_MAX_MAP_LENGTH: u32 = 1024;

/// The id instance `index` of mapped task `task_id` is stored under.
pub fn instance_id(task_id: &str, index: u32) -> String {
    format!("{task_id}[{index}]")
}

/// The task id and map index of a stored task id: `("t", Some(k))` for `t[k]`, `("t", None)`
/// for `t`.
pub fn split_instance_id(stored: &str) -> (&str, Option<u32>) {
    let Some(open) = stored.find('[') else {
        return (stored, None);
    };
    let index = stored[open + 1..]
        .strip_suffix(']')
        .and_then(|k| k.parse().ok());
    match index {
        Some(k) => (&stored[..open], Some(k)),
        None => (stored, None),
    }
}

/// Why an upstream output gives no items to expand over.
#[derive(Debug, thiserror::Error)]
pub enum MapItemsError {
    /// The output is not a JSON document.
    #[error("the output is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// The output is JSON, but not an array.
    #[error("the output is a JSON {kind}, not an array")]
    NotArray {
        /// What it is instead.
        kind: &'static str,
    },
}

/// The items of an upstream output a mapped task expands over: the output must be a JSON
/// array; each item is returned as compact JSON text.
pub fn map_items(output: &[u8]) -> Result<Vec<String>, MapItemsError> {
    let value: serde_json::Value =
        serde_json::from_slice(output).map_err(MapItemsError::NotJson)?;
    let serde_json::Value::Array(items) = value else {
        return Err(MapItemsError::NotArray {
            kind: json_kind(&value),
        });
    };
    Ok(items.iter().map(serde_json::Value::to_string).collect())
}

/// The state a mapped task ends in once every instance has ended: failed if any instance
/// failed (or never ran for a failed upstream), else success if any succeeded, else skipped.
pub fn mapped_state(instances: impl IntoIterator<Item = TaskState>) -> TaskState {
    let mut any_success = false;
    for state in instances {
        match state {
            TaskState::Failed | TaskState::UpstreamFailed => return TaskState::Failed,
            TaskState::Success => any_success = true,
            _ => {}
        }
    }
    if any_success {
        TaskState::Success
    } else {
        TaskState::Skipped
    }
}

/// The output downstream tasks get from a mapped task: the instances' outputs in map index
/// order as one JSON array. An instance without an output counts as `null`, and one whose
/// output is not JSON as the JSON string of its text.
pub fn reduce<'a>(outputs: impl IntoIterator<Item = Option<&'a [u8]>>) -> Vec<u8> {
    let mut out = Vec::from(&b"["[..]);
    for (k, output) in outputs.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        match output {
            None => out.extend_from_slice(b"null"),
            Some(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(value) => out.extend_from_slice(value.to_string().as_bytes()),
                Err(_) => out.extend_from_slice(
                    serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
                        .to_string()
                        .as_bytes(),
                ),
            },
        }
    }
    out.push(b']');
    out
}

/// What kind of JSON value `value` is, for an error message.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_round_trip_and_plain_ids_stay_plain() {
        assert_eq!(
            split_instance_id(&instance_id("a.b-c", 1023)),
            ("a.b-c", Some(1023))
        );
        assert_eq!(split_instance_id("t[x]"), ("t[x]", None));
        assert_eq!(split_instance_id("t[1"), ("t[1", None));
    }

    #[test]
    fn items_must_be_a_json_array() {
        assert_eq!(map_items(b"[]").expect("empty array"), Vec::<String>::new());
        assert!(matches!(
            map_items(b"{\"a\":1}"),
            Err(MapItemsError::NotArray { kind: "object" })
        ));
        assert!(matches!(map_items(b"[1,"), Err(MapItemsError::NotJson(_))));
        let err = map_items(b"7").expect_err("a number");
        assert_eq!(err.to_string(), "the output is a JSON number, not an array");
    }

    #[test]
    fn the_mapped_state_sums_the_instances_up() {
        use TaskState::*;
        assert_eq!(mapped_state([Success, Skipped, Success]), Success);
        assert_eq!(mapped_state([Success, Failed, Success]), Failed);
        assert_eq!(mapped_state([Success, UpstreamFailed]), Failed);
        assert_eq!(mapped_state([Skipped, Skipped]), Skipped);
        assert_eq!(mapped_state([]), Skipped);
    }

    #[test]
    fn reduce_keeps_order_and_marks_what_is_missing() {
        assert_eq!(reduce([]), b"[]");
        assert_eq!(reduce([Some(&b"not json"[..])]), br#"["not json"]"#);
        assert_eq!(reduce([None, Some(&b" [1, 2] "[..])]), b"[null,[1,2]]");
    }
}
