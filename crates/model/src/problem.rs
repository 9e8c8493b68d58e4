//! What can be wrong with a DAG spec: [`SpecError`] and the [`SpecProblem`]s it lists.

use std::fmt;

use crate::names::write_joined;
use crate::schedule::ScheduleError;

/// A DAG spec that cannot be used, with everything that is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// The spec's DAG id, as given.
    pub dag_id: String,
    /// Every problem found, in the order the spec was checked.
    pub problems: Vec<SpecProblem>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid DAG spec for \"{}\": ", self.dag_id)?;
        write_joined(f, &self.problems, "; ")
    }
}

/// What is wrong with an id or name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdIssue {
    /// It is empty.
    #[error("is empty")]
    Empty,
    /// It is longer than [`MAX_ID_LEN`](crate::validate::MAX_ID_LEN) characters.
    #[error("is {len} characters long (at most {})", crate::validate::MAX_ID_LEN)]
    TooLong {
        /// Its length in characters.
        len: usize,
    },
    /// It has a character other than an ASCII letter, a digit, `_`, `-` or `.`.
    #[error("contains {ch:?} (only letters, digits, '_', '-' and '.' are allowed)")]
    BadChar {
        /// The first such character.
        ch: char,
    },
    /// It is longer than [`MAX_ID_LEN`](crate::validate::MAX_ID_LEN) bytes (a run id, which
    /// may hold any character but a control one, is measured as the store keeps it).
    #[error("is {len} bytes long (at most {})", crate::validate::MAX_ID_LEN)]
    TooManyBytes {
        /// Its length in bytes of UTF-8.
        len: usize,
    },
    /// It has a control character (a run id may hold any other).
    #[error("contains the control character {ch:?}")]
    ControlChar {
        /// The first such character.
        ch: char,
    },
}

/// Where in a spec a setting was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The DAG's own fields.
    Dag,
    /// The DAG's `defaults`.
    Defaults,
    /// The settings of the task with this id.
    Task(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dag => f.write_str("DAG"),
            Self::Defaults => f.write_str("defaults"),
            Self::Task(id) => write!(f, "task \"{id}\""),
        }
    }
}

/// What is wrong with a numeric setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingIssue {
    /// It is zero, which would make the DAG or task unusable.
    Zero,
    /// It is larger than the limit given.
    TooLarge {
        /// The largest value allowed.
        max: u64,
    },
}

/// One thing wrong with a DAG spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    /// The DAG id is not a valid id.
    #[error("DAG id \"{id}\" {issue}")]
    InvalidDagId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// A task id is not a valid id.
    #[error("task id \"{id}\" {issue}")]
    InvalidTaskId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// Two tasks have the same id.
    #[error("task id \"{task}\" is used by more than one task")]
    DuplicateTask {
        /// The id.
        task: String,
    },
    /// A task names an upstream task that does not exist.
    #[error("task \"{task}\" has unknown upstream \"{upstream}\"")]
    UnknownUpstream {
        /// The task.
        task: String,
        /// The upstream id it names.
        upstream: String,
    },
    /// A task names itself as upstream.
    #[error("task \"{task}\" depends on itself")]
    SelfDependency {
        /// The task.
        task: String,
    },
    /// A task names the same upstream task twice.
    #[error("task \"{task}\" lists upstream \"{upstream}\" more than once")]
    DuplicateUpstream {
        /// The task.
        task: String,
        /// The upstream id it repeats.
        upstream: String,
    },
    /// The tasks depend on each other in a circle.
    #[error("cycle: {}", CyclePath(.tasks))]
    Cycle {
        /// The tasks on the cycle, each one upstream of the next and the last upstream of
        /// the first, starting with the one declared first.
        tasks: Vec<String>,
    },
    /// The DAG has no tasks.
    #[error("the DAG has no tasks")]
    NoTasks,
    /// The schedule does not parse, or never fires.
    #[error("schedule \"{schedule}\": {error}")]
    InvalidSchedule {
        /// The schedule given.
        schedule: String,
        /// What is wrong with it.
        error: ScheduleError,
    },
    /// There is a schedule but no start date.
    #[error("schedule \"{schedule}\" needs a start_date")]
    ScheduleWithoutStartDate {
        /// The schedule given.
        schedule: String,
    },
    /// The start date is neither RFC 3339 nor a date.
    #[error("start_date \"{value}\": {reason}")]
    InvalidStartDate {
        /// The start date given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A queue name is not a valid name.
    #[error("{scope}: queue name \"{name}\" {issue}")]
    InvalidQueue {
        /// Where it was set.
        scope: Scope,
        /// The name given.
        name: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// The labels a task asks of its worker are not valid.
    #[error("{scope}: worker labels: {issue}")]
    InvalidWorkerLabels {
        /// Where they were set.
        scope: Scope,
        /// What is wrong with them.
        issue: crate::placement::LabelIssue,
    },
    /// A task's queue and the labels and architecture it asks for make too long a name.
    #[error(
        "task \"{task}\": its queue with the worker labels and arch it asks for is {len} characters long (at most {}): shorten the queue's name or the labels",
        crate::validate::MAX_ID_LEN
    )]
    RoutedQueueTooLong {
        /// The task.
        task: String,
        /// The length of the routed queue name.
        len: usize,
    },
    /// The architecture a task asks of its worker is not one Weft knows.
    #[error(
        "{scope}: arch {arch:?} is not known: write one of {}{}",
        crate::placement::KNOWN_ARCHES.join(", "),
        .alias.map(|a| format!(" ({arch:?} is {a:?})")).unwrap_or_default()
    )]
    UnknownArch {
        /// Where it was set.
        scope: Scope,
        /// The architecture given (its first 64 characters).
        arch: String,
        /// The known name of the same architecture, when it has one (`arm64`: `aarch64`).
        alias: Option<&'static str>,
    },
    /// A pool name is not a valid name.
    #[error("{scope}: pool name \"{name}\" {issue}")]
    InvalidPool {
        /// Where it was set.
        scope: Scope,
        /// The name given.
        name: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// A numeric setting is zero or too large.
    #[error("{scope}: {field} {}", SettingText(.value, .issue))]
    InvalidSetting {
        /// Where it was set.
        scope: Scope,
        /// The field's name, e.g. `memory_bytes`.
        field: &'static str,
        /// The value given.
        value: u64,
        /// What is wrong with it.
        issue: SettingIssue,
    },
    /// An egress rule cannot be parsed.
    #[error("{scope}: egress rule {rule:?}: {issue}")]
    InvalidEgressRule {
        /// Where it was declared.
        scope: Scope,
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        issue: String,
    },
    /// A declared connection id or secret name is not a valid name.
    #[error("{scope}: {what} name {name:?} {issue}")]
    InvalidAccessName {
        /// Where it was declared.
        scope: Scope,
        /// `connection` or `secret`.
        what: &'static str,
        /// The name given.
        name: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// A branch, wait, mapping, sensor or notification setting of a task is wrong.
    #[error("task \"{task}\": {issue}")]
    InvalidOrchestration {
        /// The task.
        task: String,
        /// What is wrong.
        issue: OrchestrationIssue,
    },
    /// A DAG-level notifier is wrong.
    #[error("DAG notifications: {issue}")]
    InvalidRunNotifier {
        /// What is wrong.
        issue: OrchestrationIssue,
    },
    /// A directory's guest path does not start with `/`.
    #[error("{scope}: directory guest_path \"{guest_path}\" is not absolute")]
    RelativeDirectory {
        /// Where it was asked for.
        scope: Scope,
        /// The path given.
        guest_path: String,
    },
    /// The end date does not parse, or comes before the start date.
    #[error("end_date \"{value}\": {reason}")]
    InvalidEndDate {
        /// The end date given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An asset the DAG waits for (`Scope::Dag`) or a task updates is not a valid URI.
    #[error("{scope}: asset {uri:?} {issue}")]
    InvalidAsset {
        /// Where it was listed.
        scope: Scope,
        /// The URI given.
        uri: String,
        /// What is wrong with it.
        issue: crate::asset::AssetIssue,
    },
}

struct CyclePath<'a>(&'a [String]);

impl fmt::Display for CyclePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, self.0, " -> ")?;
        match self.0.first() {
            Some(first) => write!(f, " -> {first}"),
            None => Ok(()),
        }
    }
}

struct SettingText<'a>(&'a u64, &'a SettingIssue);

impl fmt::Display for SettingText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            SettingIssue::Zero => f.write_str("must not be 0"),
            SettingIssue::TooLarge { max } => {
                write!(f, "is {}, more than the limit of {max}", self.0)
            }
        }
    }
}

/// What is wrong with a task's orchestration settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrchestrationIssue {
    /// A branch task with no downstream task to pick.
    #[error("a branch task needs downstream tasks to pick from")]
    BranchWithoutDownstream,
    /// A mapped task that expands over a task that is not its direct upstream.
    #[error("expands over \"{upstream}\", which is not one of its direct upstream tasks")]
    ExpandNotUpstream {
        /// The task named.
        upstream: String,
    },
    /// A literal item that is not JSON.
    #[error("expand item {index} is not JSON: {reason}")]
    ExpandItemNotJson {
        /// Its place in the list.
        index: usize,
        /// The parser's complaint.
        reason: String,
    },
    /// A wait that would be mapped or a branch that would be mapped.
    #[error("a {kind} task cannot be mapped")]
    MappedKind {
        /// `wait` or `branch`.
        kind: &'static str,
    },
    /// A wait's time is not RFC 3339.
    #[error("wait until {value:?}: {reason}")]
    BadUntil {
        /// The text.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// An external wait names a DAG or task id that cannot exist.
    #[error("external wait: {what} id {id:?} {issue}")]
    BadExternalId {
        /// `DAG` or `task`.
        what: &'static str,
        /// The id.
        id: String,
        /// What is wrong with it.
        issue: IdIssue,
    },
    /// A state both allowed and failed, or one a run or task never ends in.
    #[error("external wait: state {state} {problem}")]
    BadWaitState {
        /// The state.
        state: crate::state::TaskState,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A notifier with a bad connection id or recipient.
    #[error("notifier: {problem}")]
    BadNotifier {
        /// What is wrong.
        problem: String,
    },
}
