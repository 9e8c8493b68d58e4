//! Task settings (queue, retries, timeouts, resources, sensor, notifications), and the one list
//! of setting methods behind `TaskSettings`, `TaskRef` and the `default_*` methods of `Dag`.

use std::time::Duration;

use crate::bindings::weft::dag::types as wit;
use crate::dag::Dag;
use crate::notify::{Notifier, TaskNotifications};
use crate::sensor::SensorSettings;
use crate::task::TaskRef;

/// Defines every setting method once for the three types that set it: on [`TaskSettings`]
/// as written, on [`TaskRef`] for one task's own setting, and on [`Dag`] as the default every
/// task inherits (`default_*`, named in brackets before the method).
///
/// The `TaskRef` and `Dag` methods forward to the `TaskSettings` method of the same setting,
/// take the same argument, and link to it from their docs.
macro_rules! setting_methods {
    ($(
        $(#[$attr:meta])*
        [$dag_default:ident]
        pub fn $name:ident(mut $self:ident, $arg:ident: $ty:ty) -> Self $body:block
    )*) => {
        impl TaskSettings {
            $(
                $(#[$attr])*
                pub fn $name(mut $self, $arg: $ty) -> Self $body
            )*
        }

        impl TaskRef<'_> {
            $(
                #[doc = concat!("See [`TaskSettings::", stringify!($name), "`].")]
                pub fn $name(self, $arg: $ty) -> Self {
                    self.update_settings(|s| s.$name($arg))
                }
            )*
        }

        impl Dag {
            $(
                #[doc = concat!("Default for [`TaskSettings::", stringify!($name), "`].")]
                pub fn $dag_default(self, $arg: $ty) -> Self {
                    self.update_defaults(|s| s.$name($arg))
                }
            )*
        }
    };
}

/// Settings of a task, or defaults for every task of a DAG (see [`Dag::defaults`]).
///
/// A setting left unset inherits: a task's from the DAG's defaults, the defaults' from the host.
/// Durations are sent to the host in whole milliseconds (longer than `u64::MAX` ms saturates).
///
/// ```
/// use std::time::Duration;
/// use weft_sdk::TaskSettings;
///
/// let settings = TaskSettings::new()
///     .retries(3)
///     .retry_delay(Duration::from_secs(10))
///     .queue("gpu");
/// # let _ = settings;
/// ```
///
/// [`Dag::defaults`]: crate::Dag::defaults
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskSettings {
    queue: Option<String>,
    retries: Option<u32>,
    retry_delay_ms: Option<u64>,
    retry_exponential_backoff: Option<bool>,
    max_retry_delay_ms: Option<u64>,
    execution_timeout_ms: Option<u64>,
    pool: Option<String>,
    priority_weight: Option<i32>,
    memory_bytes: Option<u64>,
    fuel: Option<u64>,
    worker_labels: Vec<String>,
    arch: Option<String>,
    egress_allowlist: Vec<String>,
    directories: Vec<(String, bool)>,
    connections: Vec<String>,
    secrets: Vec<String>,
    sensor: Option<SensorSettings>,
    max_active_tis: Option<u32>,
    notifications: TaskNotifications,
}

impl TaskSettings {
    /// Settings with nothing set: everything inherits.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn to_wit(&self) -> wit::TaskSettings {
        let has_resources = self.memory_bytes.is_some()
            || self.fuel.is_some()
            || !self.worker_labels.is_empty()
            || self.arch.is_some()
            || !self.egress_allowlist.is_empty()
            || !self.directories.is_empty()
            || !self.connections.is_empty()
            || !self.secrets.is_empty();
        let resources = has_resources.then(|| wit::Resources {
            memory_bytes: self.memory_bytes,
            fuel: self.fuel,
            egress_allowlist: self.egress_allowlist.clone(),
            directories: self
                .directories
                .iter()
                .map(|(guest_path, writable)| wit::DirectoryGrant {
                    guest_path: guest_path.clone(),
                    writable: *writable,
                })
                .collect(),
            connections: self.connections.clone(),
            secrets: self.secrets.clone(),
            worker_labels: self.worker_labels.clone(),
            arch: self.arch.clone(),
        });
        wit::TaskSettings {
            queue: self.queue.clone(),
            retries: self.retries,
            retry_delay_ms: self.retry_delay_ms,
            retry_exponential_backoff: self.retry_exponential_backoff,
            max_retry_delay_ms: self.max_retry_delay_ms,
            execution_timeout_ms: self.execution_timeout_ms,
            pool: self.pool.clone(),
            priority_weight: self.priority_weight,
            resources,
            sensor: self.sensor.as_ref().map(SensorSettings::to_wit),
            max_active_tis: self.max_active_tis,
            notifications: self.notifications.to_wit(),
        }
    }
}

// The setting methods of `TaskSettings`, and their forwarding twins on `TaskRef` and `Dag`.
setting_methods! {
    /// Name of the queue the task is sent to (the host's default queue is `default`).
    [default_queue]
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }

    /// How many times a failed attempt is retried.
    [default_retries]
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Delay before a retry.
    [default_retry_delay]
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay_ms = Some(millis(delay));
        self
    }

    /// Double the retry delay after each failed attempt.
    [default_retry_exponential_backoff]
    pub fn retry_exponential_backoff(mut self, enabled: bool) -> Self {
        self.retry_exponential_backoff = Some(enabled);
        self
    }

    /// Upper bound of the retry delay with exponential backoff.
    [default_max_retry_delay]
    pub fn max_retry_delay(mut self, delay: Duration) -> Self {
        self.max_retry_delay_ms = Some(millis(delay));
        self
    }

    /// Wall-clock limit of one attempt.
    [default_execution_timeout]
    pub fn execution_timeout(mut self, timeout: Duration) -> Self {
        self.execution_timeout_ms = Some(millis(timeout));
        self
    }

    /// Pool whose slots the task occupies while it runs.
    [default_pool]
    pub fn pool(mut self, pool: impl Into<String>) -> Self {
        self.pool = Some(pool.into());
        self
    }

    /// Higher weights are queued first when slots are scarce.
    [default_priority_weight]
    pub fn priority_weight(mut self, weight: i32) -> Self {
        self.priority_weight = Some(weight);
        self
    }

    /// Most linear memory the task may use, in bytes (the host's policy may grant less).
    [default_memory_limit]
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// CPU budget of one attempt, in fuel units: about one per WebAssembly instruction the
    /// task runs. An attempt that uses it up fails (class `cpu_budget`) and is retried like
    /// any other failure, retries permitting. Without it, the DAG's default applies, else the
    /// tenant's, else the worker's; a tenant's ceiling is the most a task may ask for.
    [default_fuel_limit]
    pub fn fuel_limit(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Run the task only on workers with every one of `labels` (`["gpu", "ssd"]`; at most 4):
    /// those started with `wfctl worker --labels gpu,ssd`. It waits in its queue until such a
    /// worker takes it.
    [default_worker_labels]
    pub fn worker_labels(mut self, labels: &[&str]) -> Self {
        self.worker_labels = labels.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    /// Run the task only on workers of architecture `arch`, as Rust names it: `x86_64`,
    /// `aarch64`, `riscv64` or `s390x`.
    [default_arch]
    pub fn arch(mut self, arch: impl Into<String>) -> Self {
        self.arch = Some(arch.into());
        self
    }

    /// Ask for a fresh, empty, writable directory at `guest_path` (`/scratch`, say) for each
    /// attempt.
    [default_scratch_dir]
    pub fn scratch_dir(mut self, guest_path: impl Into<String>) -> Self {
        self.directories.push((guest_path.into(), true));
        self
    }

    /// Ask for a read-only directory at `guest_path`. The current host grants only scratch
    /// directories; it decides what to do with this request.
    [default_read_only_dir]
    pub fn read_only_dir(mut self, guest_path: impl Into<String>) -> Self {
        self.directories.push((guest_path.into(), false));
        self
    }

    /// Allow HTTP requests that match `rule`, written `[METHODS ][SCHEME://]HOST[:PORT]`:
    /// `api.example.com` (http or https on their own ports), `https://*.example.com` (any
    /// subdomain), `GET,HEAD http://10.0.0.5:8080`. A request goes out only when it matches a
    /// rule of the task and one of the operator's; the host checks every request, and so every
    /// redirect hop. Rules are checked at deploy time.
    [default_allow_egress]
    pub fn allow_egress(mut self, rule: impl Into<String>) -> Self {
        push_once(&mut self.egress_allowlist, rule.into());
        self
    }

    /// Declare that the task reads connection `conn_id` with
    /// [`Context::connection`](crate::Context::connection); undeclared ones are refused.
    [default_connection]
    pub fn connection(mut self, conn_id: impl Into<String>) -> Self {
        push_once(&mut self.connections, conn_id.into());
        self
    }

    /// Declare that the task reads secret `name` with
    /// [`Context::secret`](crate::Context::secret); undeclared ones are refused.
    [default_secret]
    pub fn secret(mut self, name: impl Into<String>) -> Self {
        push_once(&mut self.secrets, name.into());
        self
    }

    /// How the task behaves as a sensor: how often it pokes when it
    /// [reschedules](crate::TaskError::reschedule), how long it may wait (also as a
    /// [wait](crate::Dag::wait) or when it [defers](crate::TaskError::defer)).
    [default_sensor]
    pub fn sensor(mut self, sensor: SensorSettings) -> Self {
        self.sensor = Some(sensor);
        self
    }

    /// Most instances of this task running at once, across all runs of the DAG and all map
    /// indexes (Airflow's `max_active_tis_per_dag`).
    [default_max_active_tis]
    pub fn max_active_tis(mut self, instances: u32) -> Self {
        self.max_active_tis = Some(instances);
        self
    }

    /// Tell `notifier` when an attempt succeeds (Airflow's `on_success_callback`). Each call
    /// adds one; as a DAG default, every task that sets none of its own inherits the list.
    [default_on_success]
    pub fn on_success(mut self, notifier: Notifier) -> Self {
        self.notifications.on_success.push(notifier);
        self
    }

    /// Tell `notifier` when the task fails for good (Airflow's `on_failure_callback`,
    /// `email_on_failure`). Each call adds one.
    [default_on_failure]
    pub fn on_failure(mut self, notifier: Notifier) -> Self {
        self.notifications.on_failure.push(notifier);
        self
    }

    /// Tell `notifier` when an attempt fails and another will follow (Airflow's
    /// `on_retry_callback`). Each call adds one.
    [default_on_retry]
    pub fn on_retry(mut self, notifier: Notifier) -> Self {
        self.notifications.on_retry.push(notifier);
        self
    }
}

/// Append `item` unless `list` already holds it: declaring twice is declaring once.
fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Whole milliseconds of `duration`, saturating at `u64::MAX`.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
