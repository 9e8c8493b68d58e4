//! Scheduler settings, with Airflow's names and defaults.

use std::time::Duration;

/// How the scheduler behaves.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Most task instances queued or running at once, across all DAGs (Airflow's `parallelism`).
    pub parallelism: usize,
    /// `max_active_tasks` of a DAG that sets none.
    pub default_max_active_tasks: u32,
    /// `max_active_runs` of a DAG that sets none.
    pub default_max_active_runs: u32,
    /// Allow manual runs with a logical date in the future (Airflow's `allow_trigger_in_future`).
    pub allow_trigger_in_future: bool,
    /// Treat attempts found running at start as lost (true when the workers ran in the same
    /// process, as in standalone mode; distributed schedulers wait for the leases to expire).
    pub recover_running_on_start: bool,
    /// How often expired leases are looked for.
    pub lease_check_interval: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            parallelism: 32,
            default_max_active_tasks: 16,
            default_max_active_runs: 16,
            allow_trigger_in_future: false,
            recover_running_on_start: false,
            lease_check_interval: Duration::from_secs(5),
        }
    }
}
