//! A DAG's structure as data: the records of the WIT world's `dag-spec`, as serde types.
//!
//! A component's `describe` returns these; users may also write them as JSON, where every
//! optional field may be left out. [`DagSpec::validate`] checks a spec and resolves it into a
//! [`Dag`](crate::Dag).

use serde::{Deserialize, Serialize};

use crate::orchestration::{Expand, RunNotifications, SensorSettings, TaskKind, TaskNotifications};
use crate::trigger::TriggerRule;

/// A DAG's structure, as `describe` returns it (WIT `dag-spec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DagSpec {
    /// Unique within a tenant: letters, digits, `_`, `-` and `.`.
    pub dag_id: String,
    /// Free text shown to users.
    #[serde(default)]
    pub description: String,
    /// A five-field cron expression or a preset (`@daily`, ...); none: runs only by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// First logical date the schedule covers: RFC 3339 or a date (midnight UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Last logical date the schedule covers, written as `start_date` is (a date without a
    /// zone is midnight in the DAG's zone); none: no end. No run's logical date is after it,
    /// and a `@continuous` DAG starts no run after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Create runs for every missed interval since `start_date`.
    #[serde(default)]
    pub catchup: bool,
    /// Assets (URIs) whose updates start runs: a run starts once every one of them has been
    /// updated since the last run they started. With a `schedule` too, runs come from both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// Most runs of this DAG active at once; none: the host's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active_runs: Option<u32>,
    /// Most task instances of this DAG running at once; none: the host's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active_tasks: Option<u32>,
    /// Longest a run may last from its start, in milliseconds (Airflow's `dagrun_timeout`);
    /// none: no limit. Specs stored before this field existed read as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dagrun_timeout_ms: Option<u64>,
    /// Labels shown to users and usable as filters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Settings every task inherits unless it overrides them.
    #[serde(default)]
    pub defaults: TaskSettings,
    /// The tasks, in any order.
    #[serde(default)]
    pub tasks: Vec<TaskSpec>,
    /// Who is told when a run ends.
    #[serde(default, skip_serializing_if = "RunNotifications::is_empty")]
    pub notifications: RunNotifications,
}

/// One task of a DAG (WIT `task-spec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Unique within the DAG: letters, digits, `_`, `-` and `.`.
    pub task_id: String,
    /// Ids of the tasks that must finish before this one, judged by `trigger_rule`.
    #[serde(default)]
    pub upstream: Vec<String>,
    /// When the task may run, given its upstream tasks' states.
    #[serde(default)]
    pub trigger_rule: TriggerRule,
    /// Settings that override the DAG's defaults for this task.
    #[serde(default)]
    pub settings: TaskSettings,
    /// Whether the task runs code, picks a branch or only waits.
    #[serde(default, skip_serializing_if = "TaskKind::is_code")]
    pub kind: TaskKind,
    /// When set, the task runs once per item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expand: Option<Expand>,
    /// Assets (URIs) the task updates: each gets an event when the task succeeds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outlets: Vec<String>,
}

/// Task settings; a field left as none inherits (WIT `task-settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskSettings {
    /// Name of the queue the task is sent to (`default` when none is set anywhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// How many times a failed attempt is retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Delay before a retry, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_delay_ms: Option<u64>,
    /// Double the retry delay after each failed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_exponential_backoff: Option<bool>,
    /// Upper bound of the retry delay with exponential backoff, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retry_delay_ms: Option<u64>,
    /// Wall-clock limit of one attempt, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_timeout_ms: Option<u64>,
    /// Pool whose slots the task occupies while it runs (`default_pool` when none is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Higher weights are queued first when slots are scarce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_weight: Option<i32>,
    /// What the task needs from the machine, resolved field by field: each field the task
    /// leaves unset (none, or an empty list) is the defaults'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// How the task pokes and waits as a sensor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<SensorSettings>,
    /// Most instances of this task running at once across the DAG's runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_active_tis: Option<u32>,
    /// Who is told when the task's attempts end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<TaskNotifications>,
}

/// What a task needs from outside its sandbox (WIT `resources`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    /// Most linear memory the task may use, in bytes; none: the DAG's default, else the
    /// tenant's, else the host's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// Where the task may send HTTP requests and open TCP connections, as
    /// [egress rules](crate::egress::EgressRule).
    pub egress_allowlist: Vec<String>,
    /// Directories the task asks to be granted.
    pub directories: Vec<DirectoryGrant>,
    /// Ids of the connections the task may read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<String>,
    /// Names of the secrets the task may read or send.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// CPU budget of one attempt, in fuel units (about one per WebAssembly instruction);
    /// none: the DAG's default, else the tenant's, else the worker's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Labels a worker must have to run the task (`gpu`, `ssd`); see [`placement`](crate::placement).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub worker_labels: Vec<String>,
    /// The architecture a worker must have to run the task (`aarch64`); none: any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// A directory a task asks for inside its sandbox (WIT `directory-grant`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryGrant {
    /// Absolute path at which the guest sees the directory, e.g. `/scratch`.
    pub guest_path: String,
    /// Whether the task may write to it.
    #[serde(default)]
    pub writable: bool,
}

impl DagSpec {
    /// A spec with the given id and every other field empty or default.
    pub fn new(dag_id: impl Into<String>) -> Self {
        Self {
            dag_id: dag_id.into(),
            ..Self::default()
        }
    }
}

impl TaskSpec {
    /// A task with the given id, no upstream tasks, the default trigger rule and no overrides.
    pub fn new(task_id: impl Into<String>) -> Self {
        Self {
            task_id: task_id.into(),
            ..Self::default()
        }
    }

    /// The same task, with `upstream` as its upstream task ids.
    #[must_use]
    pub fn after<I, S>(mut self, upstream: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.upstream = upstream.into_iter().map(Into::into).collect();
        self
    }

    /// The same task, with `rule` as its trigger rule.
    #[must_use]
    pub fn with_rule(mut self, rule: TriggerRule) -> Self {
        self.trigger_rule = rule;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_json_fills_defaults() {
        let spec: DagSpec =
            serde_json::from_str(r#"{"dag_id":"hello","tasks":[{"task_id":"a"}]}"#).unwrap();
        assert_eq!(spec.dag_id, "hello");
        assert_eq!(spec.description, "");
        assert_eq!(spec.schedule, None);
        assert_eq!(spec.dagrun_timeout_ms, None);
        assert!(!spec.catchup);
        assert_eq!(spec.defaults, TaskSettings::default());
        assert_eq!(spec.tasks, vec![TaskSpec::new("a")]);
        assert_eq!(spec.tasks[0].trigger_rule, TriggerRule::AllSuccess);
    }

    #[test]
    fn full_json_round_trips() {
        let json = r#"{
            "dag_id": "etl", "description": "nightly", "schedule": "@daily",
            "start_date": "2024-01-01", "catchup": true, "max_active_runs": 2,
            "max_active_tasks": 8, "dagrun_timeout_ms": 3600000, "tags": ["team-a"],
            "defaults": {"retries": 3, "retry_delay_ms": 1000, "queue": "io"},
            "tasks": [
                {"task_id": "extract"},
                {"task_id": "load", "upstream": ["extract"], "trigger_rule": "none_failed",
                 "settings": {"pool": "db", "priority_weight": -2, "retry_exponential_backoff": true,
                   "max_retry_delay_ms": 60000, "execution_timeout_ms": 5000,
                   "resources": {"memory_bytes": 1048576, "egress_allowlist": ["db:5432"],
                     "directories": [{"guest_path": "/scratch", "writable": true}]}}}
            ]
        }"#;
        let spec: DagSpec = serde_json::from_str(json).unwrap();
        assert_eq!(spec.defaults.retries, Some(3));
        assert_eq!(spec.dagrun_timeout_ms, Some(3_600_000));
        let load = &spec.tasks[1];
        assert_eq!(load.trigger_rule, TriggerRule::NoneFailed);
        assert_eq!(load.settings.priority_weight, Some(-2));
        let res = load.settings.resources.as_ref().unwrap();
        assert_eq!(res.memory_bytes, Some(1_048_576));
        assert_eq!(
            res.directories[0],
            DirectoryGrant {
                guest_path: "/scratch".into(),
                writable: true
            }
        );
        let again: DagSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn none_fields_are_left_out_of_json() {
        let json = serde_json::to_value(TaskSettings {
            retries: Some(1),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(json, serde_json::json!({"retries": 1}));
    }

    #[test]
    fn unknown_fields_and_bad_rules_are_rejected() {
        let err = serde_json::from_str::<DagSpec>(r#"{"dag_id":"x","retires":3}"#).unwrap_err();
        assert!(err.to_string().contains("retires"), "{err}");
        let err = serde_json::from_str::<TaskSpec>(r#"{"task_id":"a","trigger_rule":"sometimes"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("sometimes"), "{err}");
        assert!(serde_json::from_str::<DagSpec>(r#"{"description":"no id"}"#).is_err());
    }

    #[test]
    fn builders_set_fields() {
        let t = TaskSpec::new("b")
            .after(["a", "c"])
            .with_rule(TriggerRule::Always);
        assert_eq!(t.upstream, vec!["a".to_owned(), "c".to_owned()]);
        assert_eq!(t.trigger_rule, TriggerRule::Always);
        assert_eq!(DagSpec::new("d").dag_id, "d");
    }
}
