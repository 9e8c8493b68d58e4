//! A validated DAG: its tasks with every setting resolved, in topological order.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::orchestration::{Expand, SensorSettings, TaskKind, TaskNotifications};
use crate::placement::routed_queue;
use crate::schedule::{DataInterval, Schedule};
use crate::spec::{DagSpec, Resources, TaskSettings, TaskSpec};
use crate::trigger::TriggerRule;

/// Queue of tasks that set none.
pub const DEFAULT_QUEUE: &str = "default";
/// Pool of tasks that set none (Airflow's `default_pool`).
pub const DEFAULT_POOL: &str = "default_pool";
/// Retry delay of tasks that set none: 300 s, as in Airflow.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(300);
/// Priority weight of tasks that set none.
pub const DEFAULT_PRIORITY_WEIGHT: i32 = 1;

/// A task of a validated DAG, with the DAG's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: String,
    /// Ids of its direct upstream tasks, as declared.
    pub upstream: Vec<String>,
    /// Ids of its direct downstream tasks, in the DAG's topological order.
    pub downstream: Vec<String>,
    /// When it may run, given its upstream tasks' states.
    pub trigger_rule: TriggerRule,
    /// Queue it is sent to: its queue, routed by the labels and architecture it asks of its
    /// worker ([`routed_queue`]).
    pub queue: String,
    /// How many times a failed attempt is retried.
    pub retries: u32,
    /// Delay before a retry (the base delay with exponential backoff).
    pub retry_delay: Duration,
    /// Double the retry delay after each failed attempt.
    pub retry_exponential_backoff: bool,
    /// Upper bound of the retry delay with exponential backoff.
    pub max_retry_delay: Option<Duration>,
    /// Wall-clock limit of one attempt; none: the host's default.
    pub execution_timeout: Option<Duration>,
    /// Pool whose slots it occupies while it runs.
    pub pool: String,
    /// Higher weights are queued first when slots are scarce.
    pub priority_weight: i32,
    /// What it needs from the machine.
    pub resources: Resources,
    /// Whether it runs code, picks a branch or only waits.
    pub kind: TaskKind,
    /// What it is mapped over, if it is mapped.
    pub expand: Option<Expand>,
    /// How it pokes and waits as a sensor (defaults when it sets none).
    pub sensor: SensorSettings,
    /// Most instances of it running at once across the DAG's runs; none: no limit of its own.
    pub max_active_tis: Option<u32>,
    /// Who is told when its attempts end.
    pub notifications: TaskNotifications,
    /// Assets (URIs) it updates: each gets an event when it succeeds.
    pub outlets: Vec<String>,
}

/// A task's resources from its own and the DAG's defaults, field by field: each the task
/// leaves unset (none, or an empty list) is the defaults'.
fn resolve_resources(own: Option<&Resources>, defaults: Option<&Resources>) -> Resources {
    let (Some(own), Some(d)) = (own, defaults) else {
        return own.or(defaults).cloned().unwrap_or_default();
    };
    fn list<T: Clone>(own: &[T], defaults: &[T]) -> Vec<T> {
        if own.is_empty() { defaults } else { own }.to_vec()
    }
    Resources {
        memory_bytes: own.memory_bytes.or(d.memory_bytes),
        egress_allowlist: list(&own.egress_allowlist, &d.egress_allowlist),
        directories: list(&own.directories, &d.directories),
        connections: list(&own.connections, &d.connections),
        secrets: list(&own.secrets, &d.secrets),
        fuel: own.fuel.or(d.fuel),
        worker_labels: list(&own.worker_labels, &d.worker_labels),
        arch: own.arch.clone().or_else(|| d.arch.clone()),
    }
}

/// The queue a task with settings `own` over `defaults` goes to, given its resolved
/// `resources`: its queue, routed by the labels and architecture it asks for.
fn queue_of(own: &TaskSettings, defaults: &TaskSettings, resources: &Resources) -> String {
    let queue = own
        .queue
        .as_ref()
        .or(defaults.queue.as_ref())
        .map_or(DEFAULT_QUEUE, |q| q);
    routed_queue(queue, &resources.worker_labels, resources.arch.as_deref())
}

/// [`queue_of`] from the settings alone, for checking a spec before it is resolved.
pub(crate) fn routed_queue_of(own: &TaskSettings, defaults: &TaskSettings) -> String {
    let resources = resolve_resources(own.resources.as_ref(), defaults.resources.as_ref());
    queue_of(own, defaults, &resources)
}

impl Task {
    fn resolve(spec: &TaskSpec, defaults: &TaskSettings) -> Self {
        let (s, d) = (&spec.settings, defaults);
        let millis = Duration::from_millis;
        let resources = resolve_resources(s.resources.as_ref(), d.resources.as_ref());
        Self {
            id: spec.task_id.clone(),
            upstream: spec.upstream.clone(),
            downstream: Vec::new(),
            trigger_rule: spec.trigger_rule,
            queue: queue_of(s, d, &resources),
            retries: s.retries.or(d.retries).unwrap_or(0),
            retry_delay: s
                .retry_delay_ms
                .or(d.retry_delay_ms)
                .map_or(DEFAULT_RETRY_DELAY, millis),
            retry_exponential_backoff: s
                .retry_exponential_backoff
                .or(d.retry_exponential_backoff)
                .unwrap_or(false),
            max_retry_delay: s.max_retry_delay_ms.or(d.max_retry_delay_ms).map(millis),
            execution_timeout: s
                .execution_timeout_ms
                .or(d.execution_timeout_ms)
                .map(millis),
            pool: s
                .pool
                .as_ref()
                .or(d.pool.as_ref())
                .map_or(DEFAULT_POOL, |p| p)
                .to_owned(),
            priority_weight: s
                .priority_weight
                .or(d.priority_weight)
                .unwrap_or(DEFAULT_PRIORITY_WEIGHT),
            resources,
            kind: spec.kind.clone(),
            expand: spec.expand.clone(),
            outlets: spec.outlets.clone(),
            sensor: s.sensor.or(d.sensor).unwrap_or_default(),
            max_active_tis: s.max_active_tis.or(d.max_active_tis),
            notifications: s
                .notifications
                .as_ref()
                .or(d.notifications.as_ref())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// How many attempts the task may have in all: `retries + 1`.
    pub const fn max_tries(&self) -> u32 {
        self.retries.saturating_add(1)
    }
}

/// When a DAG runs, as validation resolved it.
pub(crate) struct Timing {
    /// The schedule, read in `zone` and anchored at `start_date`.
    pub schedule: Option<Schedule>,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub zone: TimeZone,
}

/// A validated DAG, made by [`DagSpec::validate`].
#[derive(Debug, Clone)]
pub struct Dag {
    spec: DagSpec,
    /// In topological order.
    tasks: Vec<Task>,
    /// Task id to position in `tasks`.
    index: HashMap<String, usize>,
    /// Positions of each task's direct upstream tasks.
    upstream: Vec<Vec<usize>>,
    schedule: Option<Schedule>,
    start_date: Option<Timestamp>,
    /// No run's logical date is after it (nor a continuous run's start).
    end_date: Option<Timestamp>,
    /// The time zone the schedule is read in and dates are shown in.
    zone: TimeZone,
    /// Whether a task runs no code but waits (see [`Dag::has_waits`]).
    has_waits: bool,
}

impl Dag {
    /// Builds the DAG from a checked spec; `order` holds declaration indexes in topological
    /// order and `upstream` the upstream declaration indexes of each task.
    pub(crate) fn new(
        spec: DagSpec,
        order: &[usize],
        upstream: &[Vec<usize>],
        timing: Timing,
    ) -> Self {
        let Timing {
            schedule,
            start_date,
            end_date,
            zone,
        } = timing;
        let mut position = vec![0; spec.tasks.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
        }
        let mut tasks: Vec<Task> = order
            .iter()
            .map(|&i| Task::resolve(&spec.tasks[i], &spec.defaults))
            .collect();
        let mut upstream_pos = Vec::with_capacity(order.len());
        for (p, &i) in order.iter().enumerate() {
            let ups: Vec<usize> = upstream[i].iter().map(|&u| position[u]).collect();
            for &u in &ups {
                let id = tasks[p].id.clone();
                tasks[u].downstream.push(id);
            }
            upstream_pos.push(ups);
        }
        let index = tasks
            .iter()
            .enumerate()
            .map(|(p, t)| (t.id.clone(), p))
            .collect();
        let has_waits = tasks
            .iter()
            .any(|t| matches!(t.kind, crate::orchestration::TaskKind::Wait(_)));
        Self {
            spec,
            tasks,
            index,
            upstream: upstream_pos,
            schedule,
            start_date,
            end_date,
            zone,
            has_waits,
        }
    }

    /// Whether any task runs no code but waits (a task of kind `wait`): a scheduler looks
    /// for them among ready tasks only then.
    pub const fn has_waits(&self) -> bool {
        self.has_waits
    }

    /// The DAG's id.
    pub fn id(&self) -> &str {
        &self.spec.dag_id
    }

    /// The spec the DAG was made from.
    pub const fn spec(&self) -> &DagSpec {
        &self.spec
    }

    /// The tasks in topological order (upstream before downstream), ties broken by the
    /// order in which the spec declares them.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The task with id `id`.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.index.get(id).map(|&p| &self.tasks[p])
    }

    /// Whether task `id` exists and has no downstream tasks.
    pub fn is_leaf(&self, id: &str) -> bool {
        self.task(id).is_some_and(|t| t.downstream.is_empty())
    }

    /// Whether task `ancestor` is upstream of task `of`, directly or not. False when either
    /// does not exist, and for a task and itself.
    pub fn is_ancestor(&self, ancestor: &str, of: &str) -> bool {
        let (Some(&a), Some(&b)) = (self.index.get(ancestor), self.index.get(of)) else {
            return false;
        };
        if a >= b {
            return false; // Ancestors come first in topological order.
        }
        let mut seen = vec![false; self.tasks.len()];
        let mut queue = VecDeque::from([b]);
        while let Some(p) = queue.pop_front() {
            for &u in &self.upstream[p] {
                if u == a {
                    return true;
                }
                if u > a && !seen[u] {
                    seen[u] = true;
                    queue.push_back(u);
                }
            }
        }
        false
    }

    /// The parsed schedule; none when runs are only triggered by hand.
    pub const fn schedule(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }

    /// The parsed start date.
    pub const fn start_date(&self) -> Option<Timestamp> {
        self.start_date
    }

    /// The parsed end date: no run starts after it.
    pub const fn end_date(&self) -> Option<Timestamp> {
        self.end_date
    }

    /// Whether `logical_date` is past the end date.
    pub fn is_past_end(&self, logical_date: Timestamp) -> bool {
        self.end_date.is_some_and(|end| logical_date > end)
    }

    /// Whether the end date comes before scheduled interval `iv`: its logical date is past
    /// it, or, for a continuous run, its start (now, the interval's end) is.
    fn ends_before(&self, iv: &DataInterval) -> bool {
        if self.is_continuous() {
            self.is_past_end(iv.end)
        } else {
            self.is_past_end(iv.logical_date())
        }
    }

    /// The assets (URIs) whose updates start runs; empty when none do.
    pub fn assets(&self) -> &[String] {
        &self.spec.assets
    }

    /// The DAG's time zone, named with its start date (UTC when it names none): its
    /// schedule is read in it.
    pub const fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether the schedule is `@continuous`: a new run as soon as one ends, within
    /// `max_active_runs`.
    pub fn is_continuous(&self) -> bool {
        self.schedule().is_some_and(Schedule::is_continuous)
    }

    /// Most runs active at once; none: the host's default.
    pub const fn max_active_runs(&self) -> Option<u32> {
        self.spec.max_active_runs
    }

    /// Most task instances running at once; none: the host's default.
    pub const fn max_active_tasks(&self) -> Option<u32> {
        self.spec.max_active_tasks
    }

    /// Longest a run may last from its start before it is failed; none: no limit.
    pub fn dagrun_timeout(&self) -> Option<Duration> {
        self.spec.dagrun_timeout_ms.map(Duration::from_millis)
    }

    /// Whether missed intervals since the start date get runs.
    pub const fn catchup(&self) -> bool {
        self.spec.catchup
    }

    /// The interval of the next scheduled run, due or not; see [`Schedule::next_interval`].
    /// None without a schedule.
    pub fn next_interval(
        &self,
        last: Option<DataInterval>,
        now: Timestamp,
    ) -> Option<DataInterval> {
        self.schedule()?
            .next_interval(last, self.start_date?, self.catchup(), now)
            .filter(|iv| !self.ends_before(iv))
    }

    /// The interval of the next scheduled run if it is due at `now`; see
    /// [`Schedule::next_dagrun_interval`]. None without a schedule.
    pub fn next_dagrun_interval(
        &self,
        last: Option<DataInterval>,
        now: Timestamp,
    ) -> Option<DataInterval> {
        self.schedule()?
            .next_dagrun_interval(last, self.start_date?, self.catchup(), now)
            .filter(|iv| !self.ends_before(iv))
    }

    /// The intervals of the next `count` scheduled runs after `last`, the first as
    /// [`next_interval`](Self::next_interval) chooses it; see [`Schedule::upcoming`].
    pub fn upcoming(
        &self,
        last: Option<DataInterval>,
        now: Timestamp,
        count: usize,
    ) -> Vec<DataInterval> {
        match (self.schedule(), self.start_date) {
            (Some(schedule), Some(start)) => schedule
                .upcoming(last, start, self.catchup(), now, count)
                .into_iter()
                .take_while(|iv| !self.ends_before(iv))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The interval a manual run at `logical_date` covers: inferred from the schedule, or the
    /// empty interval at `logical_date` without one.
    pub fn manual_interval(&self, logical_date: Timestamp) -> DataInterval {
        match self.schedule() {
            Some(s) => s.manual_interval(logical_date),
            None => DataInterval::exact(logical_date),
        }
    }
}

#[cfg(test)]
mod tests;
