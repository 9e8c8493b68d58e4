//! What a task is beyond code that runs once: a branch, a wait the scheduler resolves, a
//! sensor, a mapped task; and who is told when tasks and runs end. The records of the WIT
//! world's `task-kind`, `wait-condition`, `sensor-settings`, `expand` and `notifier`, as serde
//! types.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::TaskState;

/// What a task is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// It runs its code (the default).
    #[default]
    Code,
    /// It runs its code, whose output (a JSON string or array of strings) names the direct
    /// downstream tasks to follow; the others are skipped.
    Branch,
    /// It runs no code: deferred from the start, it succeeds when the condition holds.
    Wait(WaitCondition),
}

impl TaskKind {
    /// Whether the task is the default kind, left out of JSON.
    pub fn is_code(&self) -> bool {
        matches!(self, Self::Code)
    }
}

/// The direct downstream tasks a branch task's output picks: a JSON string (one task id) or
/// array of strings (none, one or more), each a direct downstream task of `task`. An error
/// says what is wrong, for the task's failure.
pub fn branch_choice(
    task: &str,
    output: &[u8],
    downstream: &[String],
) -> Result<Vec<String>, String> {
    let value: serde_json::Value = serde_json::from_slice(output).map_err(|e| {
        format!("branch task {task:?} must return a task id or a list of them as JSON: {e}")
    })?;
    let picked = match value {
        serde_json::Value::String(id) => vec![id],
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(id) => Ok(id),
                other => Err(format!(
                    "branch task {task:?} returned {other}, which is not a task id"
                )),
            })
            .collect::<Result<_, _>>()?,
        serde_json::Value::Null => Vec::new(),
        other => {
            return Err(format!(
                "branch task {task:?} must return a task id or a list of them, not {other}"
            ));
        }
    };
    if let Some(bad) = picked.iter().find(|id| !downstream.contains(id)) {
        return Err(format!(
            "branch task {task:?} picked {bad:?}, which is not one of its direct downstream tasks ({})",
            downstream.join(", ")
        ));
    }
    Ok(picked)
}

/// Something the scheduler waits for by itself (Airflow's triggers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitCondition {
    /// A point in time, RFC 3339.
    Until(String),
    /// Milliseconds after the end of the run's data interval.
    AfterDataIntervalEndMs(u64),
    /// Another DAG's run, or one of its tasks, ending.
    External(ExternalWait),
}

/// The most bytes of text a wait may hold (ids, a time): a task's deferral is stored and
/// shown with its task instance.
pub const MAX_WAIT_TEXT: usize = 1024;

impl WaitCondition {
    /// The texts the wait holds: its time, or the DAG, run and task it names.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            WaitCondition::Until(at) => vec![at.as_str()],
            WaitCondition::AfterDataIntervalEndMs(_) => Vec::new(),
            WaitCondition::External(wait) => {
                let mut texts = vec![wait.dag_id.as_str()];
                if let RunSelector::RunId(id) = &wait.run {
                    texts.push(id);
                }
                texts.extend(wait.task_id.as_deref());
                texts
            }
        }
    }
}

impl std::fmt::Display for WaitCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitCondition::Until(at) => write!(f, "the time {at}"),
            WaitCondition::AfterDataIntervalEndMs(ms) => write!(
                f,
                "{} after the end of the run's data interval",
                crate::units::format_duration(Duration::from_millis(*ms))
            ),
            WaitCondition::External(wait) => {
                if let Some(task) = &wait.task_id {
                    write!(f, "task {task:?} of ")?;
                }
                match &wait.run {
                    RunSelector::RunId(id) => write!(f, "run {id:?} of DAG {:?}", wait.dag_id),
                    RunSelector::LogicalDateOffsetMs(0) => write!(
                        f,
                        "the run of DAG {:?} with the same logical date",
                        wait.dag_id
                    ),
                    RunSelector::LogicalDateOffsetMs(ms) => write!(
                        f,
                        "the run of DAG {:?} whose logical date is {} {}",
                        wait.dag_id,
                        crate::units::format_duration(Duration::from_millis(ms.unsigned_abs())),
                        if *ms < 0 { "earlier" } else { "later" }
                    ),
                }
            }
        }
    }
}

/// A wait on a run of another DAG of the same tenant, or on one of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalWait {
    /// The DAG.
    pub dag_id: String,
    /// Which of its runs.
    pub run: RunSelector,
    /// The task to wait for; none waits for the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// End states that satisfy the wait; empty means `success`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_states: Vec<TaskState>,
    /// End states that fail the wait; empty means every state not allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_states: Vec<TaskState>,
}

/// How an external wait ended, judged by its allowed and failed states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitVerdict {
    /// The awaited state is allowed: the wait is over and satisfied.
    Satisfied,
    /// The awaited state is a failed one: the wait fails (or is skipped with `soft_fail`).
    Failed,
    /// Neither: keep waiting (for a task that may be cleared and run again).
    Pending,
}

impl ExternalWait {
    /// The verdict on the awaited run or task ending in `state`.
    pub fn verdict(&self, state: TaskState) -> WaitVerdict {
        let allowed = if self.allowed_states.is_empty() {
            state == TaskState::Success
        } else {
            self.allowed_states.contains(&state)
        };
        if allowed {
            WaitVerdict::Satisfied
        } else if self.failed_states.is_empty() || self.failed_states.contains(&state) {
            WaitVerdict::Failed
        } else {
            WaitVerdict::Pending
        }
    }
}

/// Which run of another DAG an external wait means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunSelector {
    /// The run with this run id.
    RunId(String),
    /// The run whose logical date is the waiting run's shifted by these milliseconds.
    LogicalDateOffsetMs(i64),
}

/// What a mapped task expands over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expand {
    /// The output of this direct upstream task, a JSON array.
    Upstream(String),
    /// These items, each a JSON document as text.
    Items(Vec<String>),
}

/// How a sensor pokes and how long it may wait, as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSettings {
    /// Delay before the next poke when the task does not name one, in milliseconds.
    pub poke_interval_ms: u64,
    /// Longest the task may wait from its first poke, in milliseconds; none: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Skip instead of failing on a timeout or a failed awaited state.
    #[serde(default)]
    pub soft_fail: bool,
    /// Double the delay after each reschedule, up to `max_poke_interval_ms`.
    #[serde(default)]
    pub exponential_backoff: bool,
    /// Upper bound of the delay with backoff, in milliseconds; none: an hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_poke_interval_ms: Option<u64>,
}

/// The poke interval of a task that sets no sensor settings (Airflow's default).
pub const DEFAULT_POKE_INTERVAL: Duration = Duration::from_secs(60);
/// The longest delay between pokes with exponential backoff, unless set.
pub const DEFAULT_MAX_POKE_INTERVAL: Duration = Duration::from_secs(3600);
/// How long a task that sets no sensor settings may wait (Airflow's default sensor timeout).
pub const DEFAULT_SENSOR_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

impl Default for SensorSettings {
    fn default() -> Self {
        Self {
            poke_interval_ms: DEFAULT_POKE_INTERVAL.as_millis() as u64,
            timeout_ms: Some(DEFAULT_SENSOR_TIMEOUT.as_millis() as u64),
            soft_fail: false,
            exponential_backoff: false,
            max_poke_interval_ms: None,
        }
    }
}

impl SensorSettings {
    /// The delay before poke number `pokes + 1`, after `pokes` reschedules, when the task
    /// names none: the poke interval, doubled per reschedule with backoff, up to the bound.
    pub fn delay_after(&self, pokes: u32) -> Duration {
        let base = Duration::from_millis(self.poke_interval_ms);
        if !self.exponential_backoff {
            return base;
        }
        let max = self
            .max_poke_interval_ms
            .map_or(DEFAULT_MAX_POKE_INTERVAL, Duration::from_millis);
        let factor = 1u32
            .checked_shl(pokes.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        base.saturating_mul(factor).min(max.max(base))
    }

    /// The longest wait, if bounded.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notifier {
    /// An HTTP POST to the URL of this connection.
    Webhook(String),
    /// An email through the SMTP server of a connection.
    Email(EmailNotifier),
}

/// An email notification: the SMTP connection and the recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailNotifier {
    /// Connection of the SMTP server.
    pub conn_id: String,
    /// The recipients' addresses.
    pub to: Vec<String>,
}

/// Who is told about a task's attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskNotifications {
    /// When an attempt succeeds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<Notifier>,
    /// When the task fails for good.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Notifier>,
    /// When an attempt fails and another follows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_retry: Vec<Notifier>,
}

/// Who is told when a run ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunNotifications {
    /// When a run succeeds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<Notifier>,
    /// When a run fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Notifier>,
}

impl TaskNotifications {
    /// Whether no notifier is set.
    pub fn is_empty(&self) -> bool {
        self.on_success.is_empty() && self.on_failure.is_empty() && self.on_retry.is_empty()
    }
}

impl RunNotifications {
    /// Whether no notifier is set.
    pub fn is_empty(&self) -> bool {
        self.on_success.is_empty() && self.on_failure.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_choices_are_downstream_ids() {
        let down = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            branch_choice("pick", br#""a""#, &down),
            Ok(vec!["a".into()])
        );
        assert_eq!(
            branch_choice("pick", br#"["b","a"]"#, &down),
            Ok(vec!["b".into(), "a".into()])
        );
        assert_eq!(branch_choice("pick", b"[]", &down), Ok(Vec::new()));
        assert_eq!(branch_choice("pick", b"null", &down), Ok(Vec::new()));
        let err = branch_choice("pick", br#""c""#, &down).expect_err("not downstream");
        assert!(err.contains("\"c\"") && err.contains("a, b"), "{err}");
        let err = branch_choice("pick", b"[1]", &down).expect_err("not a string");
        assert!(err.contains("not a task id"), "{err}");
        let err = branch_choice("pick", b"{", &down).expect_err("not JSON");
        assert!(err.contains("JSON"), "{err}");
        let err = branch_choice("pick", b"{}", &down).expect_err("an object");
        assert!(err.contains("not {}"), "{err}");
    }

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let s = SensorSettings {
            poke_interval_ms: 1000,
            exponential_backoff: true,
            max_poke_interval_ms: Some(5000),
            ..SensorSettings::default()
        };
        let delays: Vec<u64> = (1..=5)
            .map(|n| s.delay_after(n).as_millis() as u64)
            .collect();
        assert_eq!(delays, [1000, 2000, 4000, 5000, 5000]);
        let flat = SensorSettings {
            poke_interval_ms: 1000,
            ..SensorSettings::default()
        };
        assert_eq!(flat.delay_after(9), Duration::from_secs(1));
        assert_eq!(s.delay_after(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn external_verdicts_follow_allowed_and_failed_states() {
        let mut w = ExternalWait {
            dag_id: "child".into(),
            run: RunSelector::LogicalDateOffsetMs(0),
            task_id: None,
            allowed_states: Vec::new(),
            failed_states: Vec::new(),
        };
        assert_eq!(w.verdict(TaskState::Success), WaitVerdict::Satisfied);
        assert_eq!(w.verdict(TaskState::Failed), WaitVerdict::Failed);
        assert_eq!(w.verdict(TaskState::Skipped), WaitVerdict::Failed);
        w.allowed_states = vec![TaskState::Success, TaskState::Skipped];
        w.failed_states = vec![TaskState::Failed];
        assert_eq!(w.verdict(TaskState::Skipped), WaitVerdict::Satisfied);
        assert_eq!(w.verdict(TaskState::Failed), WaitVerdict::Failed);
        assert_eq!(w.verdict(TaskState::UpstreamFailed), WaitVerdict::Pending);
    }

    #[test]
    fn kinds_and_waits_round_trip_as_json() {
        let kind = TaskKind::Wait(WaitCondition::External(ExternalWait {
            dag_id: "mall_sort".into(),
            run: RunSelector::RunId("r1".into()),
            task_id: Some("sort".into()),
            allowed_states: vec![TaskState::Success],
            failed_states: Vec::new(),
        }));
        let json = serde_json::to_value(&kind).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"wait": {"external": {"dag_id": "mall_sort",
                "run": {"run_id": "r1"}, "task_id": "sort", "allowed_states": ["success"]}}})
        );
        let back: TaskKind = serde_json::from_value(json).expect("parses");
        assert_eq!(back, kind);
        assert_eq!(
            serde_json::to_value(TaskKind::Branch).expect("serializes"),
            serde_json::json!("branch")
        );
    }
}
