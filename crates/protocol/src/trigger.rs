//! Runs a task asks to create (`dag-runs.trigger`), as a worker sends them to the API server,
//! and why one may be refused.

use serde::{Deserialize, Serialize};

/// A run of another DAG that a task attempt asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TriggerRun {
    /// The DAG to run, of the attempt's tenant.
    pub dag_id: String,
    /// The run's configuration, a JSON object; none means `{}`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub conf: Option<serde_json::Value>,
    /// The run's logical date (RFC 3339); none means now.
    #[serde(default)]
    pub logical_date: Option<String>,
    /// The run's id; none means one made from the calling task instance and `call`.
    #[serde(default)]
    pub run_id: Option<String>,
    /// The call's place among the attempt's trigger calls, from 0: with the task instance,
    /// it names the run made when no run id is given, so that a retried attempt finds it.
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub call: u32,
}

/// A run created (or found again) for a trigger call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggeredRun {
    /// The run's id.
    pub run_id: String,
    /// Whether this call created it (false: an earlier attempt of the same task instance did).
    pub created: bool,
}

/// The worker API's answer to a trigger call: the run, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerAnswer {
    /// The run was created, or found again.
    Triggered(TriggeredRun),
    /// The run was refused; the task sees why.
    Refused(TriggerRefusal),
}

/// Why a trigger call was refused; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind", content = "message")]
pub enum TriggerRefusal {
    /// No such DAG in the tenant.
    #[error("{0}")]
    NotFound(String),
    /// The DAG is paused.
    #[error("{0}")]
    Paused(String),
    /// A bad conf, logical date or run id.
    #[error("{0}")]
    Invalid(String),
    /// The run id given is taken by a run that exists already.
    #[error("{0}")]
    AlreadyExists(String),
}

/// The run id a trigger call without one gets, from the calling task instance (its DAG, run
/// and task) and the call's place among its calls: the same call of a retried attempt names
/// the same run. It reads `triggered__<dag>.<task>.<call>__<hash>`, the readable part cut to
/// 150 characters, and the hash (SHA-256 of the four parts, each length-prefixed) tells apart
/// what the readable part may not: a run id stays under 200 characters however long the
/// caller's ids, and two task instances never share one.
pub fn triggered_run_id(dag_id: &str, run_id: &str, task_id: &str, call: u32) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [dag_id, run_id, task_id, &call.to_string()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    let readable = format!("{dag_id}.{task_id}.{call}");
    let cut = readable
        .char_indices()
        .nth(150)
        .map_or(readable.as_str(), |(i, _)| &readable[..i]);
    format!("triggered__{cut}__{}", &digest[..32])
}

#[cfg(test)]
mod tests {
    use super::triggered_run_id;

    #[test]
    fn triggered_run_ids_are_short_stable_and_distinct() {
        let id = triggered_run_id("parent", "manual__1", "kick", 0);
        assert!(id.starts_with("triggered__parent.kick.0__"), "{id}");
        assert_eq!(id, triggered_run_id("parent", "manual__1", "kick", 0));
        assert_ne!(id, triggered_run_id("parent", "manual__1", "kick", 1));
        assert_ne!(id, triggered_run_id("parent", "manual__2", "kick", 0));
        // Ids that would read alike are told apart by the hash.
        assert_ne!(
            triggered_run_id("a__b", "r", "c", 0),
            triggered_run_id("a", "b__r", "c", 0)
        );
        let long = "x".repeat(250);
        let id = triggered_run_id(&long, &long, &long, u32::MAX);
        assert!(id.len() < 200, "{} characters", id.len());
    }
}
