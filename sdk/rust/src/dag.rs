//! The DAG builder: a DAG's fields, its tasks and their code.

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::bindings::weft::dag::types as wit;
use crate::context::Context;
use crate::error::TaskError;
use crate::mapping::Expand;
use crate::notify::RunNotifications;
use crate::orchestration::TaskKind;
use crate::settings::{TaskSettings, millis};
use crate::task::TaskRef;
use crate::trigger_rule::TriggerRule;

/// A task's code, with its output already encoded as JSON.
pub(crate) type TaskFn = Box<dyn Fn(&Context) -> Result<Vec<u8>, TaskError>>;

/// One task as declared.
pub(crate) struct TaskEntry {
    pub(crate) id: String,
    pub(crate) upstream: Vec<String>,
    pub(crate) trigger_rule: TriggerRule,
    pub(crate) settings: TaskSettings,
    pub(crate) kind: TaskKind,
    pub(crate) expand: Option<Expand>,
    pub(crate) outlets: Vec<String>,
    pub(crate) run: TaskFn,
}

/// Everything the builder has collected.
pub(crate) struct DagState {
    id: String,
    description: String,
    schedule: Option<String>,
    start_date: Option<String>,
    pub(crate) end_date: Option<String>,
    pub(crate) assets: Vec<String>,
    catchup: bool,
    max_active_runs: Option<u32>,
    max_active_tasks: Option<u32>,
    dagrun_timeout_ms: Option<u64>,
    tags: Vec<String>,
    defaults: TaskSettings,
    pub(crate) tasks: Vec<TaskEntry>,
    pub(crate) run_notifications: RunNotifications,
}

/// A DAG: its fields, its tasks and the edges between them.
///
/// DAG fields are set with by-value builder methods; tasks are added with [`Dag::task`], which
/// returns a [`TaskRef`] whose methods set the task's own settings and whose `>>` and `<<`
/// operators record edges.
///
/// Nothing is validated here: the host validates the whole DAG at deploy time (ids, cycles,
/// schedule, dates) and reports what is wrong. Building a DAG never panics.
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::prelude::*;
///
/// fn extract(_: &Context) -> TaskResult<Vec<u32>> { Ok(vec![1, 2, 3]) }
/// fn load(ctx: &Context) -> TaskResult<u32> {
///     let rows: Vec<u32> = ctx.upstream("extract")?.unwrap_or_default();
///     Ok(rows.iter().sum())
/// }
///
/// let dag = Dag::new("etl")
///     .schedule("0 3 * * *")
///     .start_date("2024-01-01")
///     .max_active_runs(1)
///     .default_retries(2)
///     .default_retry_delay(Duration::from_secs(30));
/// let e = dag.task("extract", extract);
/// let l = dag.task("load", load).queue("db");
/// e >> l;
/// assert_eq!(dag.upstream_of("load"), Some(vec!["extract".to_string()]));
/// ```
pub struct Dag {
    state: RefCell<DagState>,
}

impl Dag {
    /// A DAG with id `dag_id` (letters, digits, `_`, `-` and `.`), no schedule (runs are only
    /// triggered by hand), no catchup and no tasks.
    pub fn new(dag_id: impl Into<String>) -> Self {
        Self {
            state: RefCell::new(DagState {
                id: dag_id.into(),
                description: String::new(),
                schedule: None,
                start_date: None,
                end_date: None,
                assets: Vec::new(),
                catchup: false,
                max_active_runs: None,
                max_active_tasks: None,
                dagrun_timeout_ms: None,
                tags: Vec::new(),
                defaults: TaskSettings::new(),
                tasks: Vec::new(),
                run_notifications: RunNotifications::default(),
            }),
        }
    }

    /// Free text shown to users.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.state.get_mut().description = description.into();
        self
    }

    /// When the DAG runs: five-field cron expressions or presets (`@hourly`, `@daily`,
    /// `@weekly`, `@monthly`, `@yearly`), several joined by `;`, read in the DAG's time zone;
    /// `@every <duration>` (`@every 90m`) for fixed intervals from the start date;
    /// `@continuous` for a new run as soon as the last ends; or `@once`. Needs a
    /// [`start_date`](Self::start_date).
    pub fn schedule(mut self, schedule: impl Into<String>) -> Self {
        self.state.get_mut().schedule = Some(schedule.into());
        self
    }

    /// First logical date the schedule covers: RFC 3339 (`2024-01-01T00:00:00Z`) or a date
    /// (`2024-01-01`, midnight UTC). A time zone in brackets after it (`2024-01-01[Asia/Seoul]`,
    /// `2024-01-01T09:00[Europe/Berlin]`) is the DAG's: its schedule is read as wall-clock
    /// time there, across changes of clocks.
    pub fn start_date(mut self, start_date: impl Into<String>) -> Self {
        self.state.get_mut().start_date = Some(start_date.into());
        self
    }

    /// Create runs for every missed interval since the start date (off by default).
    pub fn catchup(mut self, catchup: bool) -> Self {
        self.state.get_mut().catchup = catchup;
        self
    }

    /// Most runs of this DAG active at once.
    pub fn max_active_runs(mut self, runs: u32) -> Self {
        self.state.get_mut().max_active_runs = Some(runs);
        self
    }

    /// Most task instances of this DAG running at once.
    pub fn max_active_tasks(mut self, tasks: u32) -> Self {
        self.state.get_mut().max_active_tasks = Some(tasks);
        self
    }

    /// Longest a run may last from its start (Airflow's `dagrun_timeout`): past it the run
    /// fails, its running and queued tasks fail and the tasks not yet started are skipped.
    /// Sent in whole milliseconds (saturating).
    pub fn dagrun_timeout(mut self, timeout: Duration) -> Self {
        self.state.get_mut().dagrun_timeout_ms = Some(millis(timeout));
        self
    }

    /// Add labels shown to users and usable as filters.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.state
            .get_mut()
            .tags
            .extend(tags.into_iter().map(Into::into));
        self
    }

    /// Replace the settings every task inherits unless it overrides them.
    pub fn defaults(mut self, defaults: TaskSettings) -> Self {
        self.state.get_mut().defaults = defaults;
        self
    }

    /// Apply `f` to the defaults every task inherits. The per-setting methods
    /// (`default_queue`, `default_retries`, ...) are defined with the settings themselves, in
    /// `settings.rs`.
    pub(crate) fn update_defaults(mut self, f: impl FnOnce(TaskSettings) -> TaskSettings) -> Self {
        let state = self.state.get_mut();
        state.defaults = f(std::mem::take(&mut state.defaults));
        self
    }

    /// Add task `task_id` (letters, digits, `_`, `-` and `.`; unique within the DAG) that runs
    /// `f`. Its output is encoded as JSON; downstream tasks read it with
    /// [`Context::upstream`] or [`Context::xcom_pull`].
    pub fn task<T, F>(&self, task_id: impl Into<String>, f: F) -> TaskRef<'_>
    where
        F: Fn(&Context) -> Result<T, TaskError> + 'static,
        T: Serialize,
    {
        let run: TaskFn = Box::new(move |ctx| {
            let output = f(ctx)?;
            serde_json::to_vec(&output).map_err(|e| {
                TaskError::permanent(format!("the task's output cannot be encoded as JSON: {e}"))
            })
        });
        self.push_task(task_id.into(), TaskKind::Code, run)
    }

    /// Add a task of `kind` that runs `run`, with no edges and no settings of its own.
    pub(crate) fn push_task(&self, id: String, kind: TaskKind, run: TaskFn) -> TaskRef<'_> {
        let mut state = self.state.borrow_mut();
        state.tasks.push(TaskEntry {
            id,
            upstream: Vec::new(),
            trigger_rule: TriggerRule::default(),
            settings: TaskSettings::new(),
            kind,
            expand: None,
            outlets: Vec::new(),
            run,
        });
        let index = state.tasks.len() - 1;
        TaskRef::new(self, index)
    }

    /// The state, for the by-value builder methods defined next to their concern.
    pub(crate) fn state_mut(&mut self) -> &mut DagState {
        self.state.get_mut()
    }

    /// The DAG's id.
    pub fn id(&self) -> String {
        self.state.borrow().id.clone()
    }

    /// Ids of the tasks, in the order they were added.
    pub fn task_ids(&self) -> Vec<String> {
        self.state
            .borrow()
            .tasks
            .iter()
            .map(|t| t.id.clone())
            .collect()
    }

    /// Ids of the direct upstream tasks of `task_id`, in the order the edges were recorded;
    /// none when there is no such task.
    pub fn upstream_of(&self, task_id: &str) -> Option<Vec<String>> {
        let state = self.state.borrow();
        let task = state.tasks.iter().find(|t| t.id == task_id)?;
        Some(task.upstream.clone())
    }

    /// Run `f` on the state of the DAG. Never called while author code runs, so the
    /// `RefCell` is never borrowed twice.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut DagState) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    /// The DAG's structure as the host's `dag-spec`.
    pub(crate) fn to_wit(&self) -> wit::DagSpec {
        let state = self.state.borrow();
        wit::DagSpec {
            dag_id: state.id.clone(),
            description: state.description.clone(),
            schedule: state.schedule.clone(),
            start_date: state.start_date.clone(),
            catchup: state.catchup,
            max_active_runs: state.max_active_runs,
            max_active_tasks: state.max_active_tasks,
            dagrun_timeout_ms: state.dagrun_timeout_ms,
            tags: state.tags.clone(),
            defaults: state.defaults.to_wit(),
            tasks: state
                .tasks
                .iter()
                .map(|t| wit::TaskSpec {
                    task_id: t.id.clone(),
                    upstream: t.upstream.clone(),
                    trigger_rule: t.trigger_rule.to_wit(),
                    settings: t.settings.to_wit(),
                    kind: t.kind.to_wit(),
                    expand: t.expand.as_ref().map(Expand::to_wit),
                    outlets: t.outlets.clone(),
                })
                .collect(),
            notifications: state.run_notifications.to_wit(),
            end_date: state.end_date.clone(),
            assets: state.assets.clone(),
        }
    }

    /// The code of task `task_id`, taken out of the DAG; none when there is no such task.
    pub(crate) fn take_task(self, task_id: &str) -> Option<TaskFn> {
        let state = self.state.into_inner();
        state
            .tasks
            .into_iter()
            .find(|t| t.id == task_id)
            .map(|t| t.run)
    }
}

impl fmt::Debug for Dag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Dag")
            .field("id", &state.id)
            .field("schedule", &state.schedule)
            .field(
                "tasks",
                &state.tasks.iter().map(|t| &t.id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
