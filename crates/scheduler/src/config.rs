//! Scheduler settings, with Airflow's names and defaults.

use std::time::Duration;

/// [`SchedulerConfig::max_tis_per_step`] unless set otherwise.
pub const DEFAULT_MAX_TIS_PER_STEP: u32 = 1000;

/// Scheduler settings: the limits admission applies, what to do with attempts found running at
/// start, the intervals of the loop's timers, and the leadership fence.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Most task instances queued or running at once, across all DAGs (Airflow's `parallelism`).
    pub parallelism: usize,
    /// `max_active_tasks` of a DAG that sets none.
    pub default_max_active_tasks: u32,
    /// `max_active_runs` of a DAG that sets none.
    pub default_max_active_runs: u32,
    /// Most task instances one step queues, at least one (Airflow's `max_tis_per_query`
    /// plays this part). A step that reaches it writes what it has and the next step follows
    /// at once, so the ready tasks of a big run go out in slices, and a trigger or report
    /// arriving meanwhile waits for one slice rather than for all of them. Attempts sent
    /// again, wait tasks starting and mapped tasks expanding are not counted. Marking tasks
    /// that wait for a slot `scheduled` has a smaller cap of its own (see
    /// `Scheduler::admit`).
    pub max_tis_per_step: u32,
    /// Most instances a mapped task may expand into (Airflow's `max_map_length`); a mapped
    /// task given more items fails, naming both numbers.
    pub max_map_length: u32,
    /// Allow manual runs with a logical date in the future (Airflow's `allow_trigger_in_future`).
    pub allow_trigger_in_future: bool,
    /// Treat attempts found running at start as lost (true when the workers ran in the same
    /// process, as in standalone mode; distributed schedulers wait for the leases to expire).
    pub recover_running_on_start: bool,
    /// How often expired leases are looked for (and the queue asked whether it lost its
    /// contents, and whether it holds the attempts queued for long).
    pub lease_check_interval: Duration,
    /// How long after starting the scheduler waits before its first look for expired leases.
    /// A scheduler taking over from another gives the reports its predecessor left unwritten
    /// (results, heartbeats) time to arrive first, so that attempts which finished are not
    /// counted as lost.
    pub first_lease_check_after: Duration,
    /// How long an attempt stays queued, no worker having reported its start, before the
    /// scheduler asks the queue whether its message still lives (on the lease-check timer);
    /// one whose message is gone is queued again. Longer than reports take to arrive, so
    /// that an attempt that ran is not run again while its reports are on their way.
    pub requeue_unheld_after: Duration,
    /// How often the store is read again for runs and DAG changes the scheduler was not told
    /// about (notices from other processes can be lost).
    pub resync_interval: Duration,
    /// The leadership this scheduler writes under, when several schedulers share a store:
    /// every batch is fenced by it (see [`Election`](crate::Election)).
    pub leader: Option<weft_store::LeaderFence>,
    /// The attempt keys issued with every task message and checked on every report (from the
    /// installation's secret key, shared with the API servers). None: attempts carry no key
    /// and reports are taken on their lease alone, as when Redis is a trusted zone.
    pub attempt_keys: Option<weft_vault::AttemptKeys>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            parallelism: 32,
            default_max_active_tasks: 16,
            default_max_active_runs: 16,
            max_tis_per_step: DEFAULT_MAX_TIS_PER_STEP,
            max_map_length: weft_model::mapping::DEFAULT_MAX_MAP_LENGTH,
            allow_trigger_in_future: false,
            recover_running_on_start: false,
            lease_check_interval: Duration::from_secs(5),
            first_lease_check_after: Duration::from_secs(5),
            resync_interval: Duration::from_secs(15),
            requeue_unheld_after: Duration::from_secs(60),
            leader: None,
            attempt_keys: None,
        }
    }
}
