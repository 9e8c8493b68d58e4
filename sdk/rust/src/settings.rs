//! Task settings (queue, retries, timeouts, resources) and trigger rules, and the one list of
//! setting methods behind `TaskSettings`, `TaskRef` and the `default_*` methods of `Dag`.

use std::time::Duration;

use crate::bindings::weft::dag::types as wit;
use crate::dag::Dag;
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
    egress_allowlist: Vec<String>,
    directories: Vec<(String, bool)>,
    connections: Vec<String>,
    secrets: Vec<String>,
}

impl TaskSettings {
    /// Settings with nothing set: everything inherits.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn to_wit(&self) -> wit::TaskSettings {
        let has_resources = self.memory_bytes.is_some()
            || !self.egress_allowlist.is_empty()
            || !self.directories.is_empty()
            || !self.connections.is_empty()
            || !self.secrets.is_empty();
        let resources = has_resources.then(|| wit::Resources {
            memory_bytes: self.memory_bytes,
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

/// When a task may run, given the final states of its direct upstream tasks (Airflow's trigger
/// rules, with the same meaning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TriggerRule {
    /// Every upstream succeeded (the default).
    #[default]
    AllSuccess,
    /// Every upstream failed or was upstream-failed.
    AllFailed,
    /// Every upstream finished, whatever its state.
    AllDone,
    /// At least one upstream succeeded; does not wait for the others.
    OneSuccess,
    /// At least one upstream failed; does not wait for the others.
    OneFailed,
    /// At least one upstream succeeded or failed; does not wait for the others.
    OneDone,
    /// No upstream failed or was upstream-failed (skipped ones are fine).
    NoneFailed,
    /// No upstream failed or was upstream-failed, and at least one succeeded.
    NoneFailedMinOneSuccess,
    /// No upstream was skipped.
    NoneSkipped,
    /// Run regardless of upstream states.
    Always,
}

impl TriggerRule {
    pub(crate) fn to_wit(self) -> wit::TriggerRule {
        match self {
            TriggerRule::AllSuccess => wit::TriggerRule::AllSuccess,
            TriggerRule::AllFailed => wit::TriggerRule::AllFailed,
            TriggerRule::AllDone => wit::TriggerRule::AllDone,
            TriggerRule::OneSuccess => wit::TriggerRule::OneSuccess,
            TriggerRule::OneFailed => wit::TriggerRule::OneFailed,
            TriggerRule::OneDone => wit::TriggerRule::OneDone,
            TriggerRule::NoneFailed => wit::TriggerRule::NoneFailed,
            TriggerRule::NoneFailedMinOneSuccess => wit::TriggerRule::NoneFailedMinOneSuccess,
            TriggerRule::NoneSkipped => wit::TriggerRule::NoneSkipped,
            TriggerRule::Always => wit::TriggerRule::Always,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_settings_inherit_everything() {
        let wit = TaskSettings::new().to_wit();
        assert_eq!(wit.queue, None);
        assert_eq!(wit.retries, None);
        assert_eq!(wit.retry_delay_ms, None);
        assert_eq!(wit.pool, None);
        assert!(wit.resources.is_none(), "no resources asked for");
    }

    #[test]
    fn every_setting_reaches_the_wit_record() {
        let wit = TaskSettings::new()
            .queue("q")
            .retries(4)
            .retry_delay(Duration::from_secs(5))
            .retry_exponential_backoff(true)
            .max_retry_delay(Duration::from_secs(60))
            .execution_timeout(Duration::from_millis(1500))
            .pool("p")
            .priority_weight(-3)
            .memory_limit(64 << 20)
            .scratch_dir("/scratch")
            .read_only_dir("/data")
            .allow_egress("example.org:443")
            .connection("s3")
            .secret("token")
            .to_wit();
        assert_eq!(wit.queue.as_deref(), Some("q"));
        assert_eq!(wit.retries, Some(4));
        assert_eq!(wit.retry_delay_ms, Some(5_000));
        assert_eq!(wit.retry_exponential_backoff, Some(true));
        assert_eq!(wit.max_retry_delay_ms, Some(60_000));
        assert_eq!(wit.execution_timeout_ms, Some(1_500));
        assert_eq!(wit.pool.as_deref(), Some("p"));
        assert_eq!(wit.priority_weight, Some(-3));
        let resources = wit.resources.expect("resources were asked for");
        assert_eq!(resources.memory_bytes, Some(64 << 20));
        assert_eq!(resources.egress_allowlist, ["example.org:443"]);
        assert_eq!(resources.connections, ["s3"]);
        assert_eq!(resources.secrets, ["token"]);
        let dirs: Vec<_> = resources
            .directories
            .iter()
            .map(|d| (d.guest_path.as_str(), d.writable))
            .collect();
        assert_eq!(dirs, [("/scratch", true), ("/data", false)]);
    }

    #[test]
    fn durations_are_whole_milliseconds_and_saturate() {
        assert_eq!(millis(Duration::from_micros(2_999)), 2);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn a_lone_resource_setting_creates_the_resources_record() {
        let wit = TaskSettings::new().memory_limit(1).to_wit();
        let resources = wit.resources.expect("memory limit set");
        assert!(resources.directories.is_empty());
        assert!(resources.egress_allowlist.is_empty());
        assert!(resources.connections.is_empty() && resources.secrets.is_empty());
    }

    #[test]
    fn access_declarations_alone_create_the_resources_record_once_each() {
        let wit = TaskSettings::new()
            .connection("s3")
            .connection("s3")
            .secret("a")
            .secret("b")
            .secret("a")
            .allow_egress("https://x.org")
            .allow_egress("https://x.org")
            .to_wit();
        let resources = wit.resources.expect("access declared");
        assert_eq!(resources.memory_bytes, None);
        assert_eq!(resources.connections, ["s3"]);
        assert_eq!(resources.secrets, ["a", "b"]);
        assert_eq!(resources.egress_allowlist, ["https://x.org"]);
    }

    #[test]
    fn trigger_rules_map_one_to_one() {
        use wit::TriggerRule as W;
        let pairs = [
            (TriggerRule::AllSuccess, W::AllSuccess),
            (TriggerRule::AllFailed, W::AllFailed),
            (TriggerRule::AllDone, W::AllDone),
            (TriggerRule::OneSuccess, W::OneSuccess),
            (TriggerRule::OneFailed, W::OneFailed),
            (TriggerRule::OneDone, W::OneDone),
            (TriggerRule::NoneFailed, W::NoneFailed),
            (
                TriggerRule::NoneFailedMinOneSuccess,
                W::NoneFailedMinOneSuccess,
            ),
            (TriggerRule::NoneSkipped, W::NoneSkipped),
            (TriggerRule::Always, W::Always),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours.to_wit(), theirs, "{ours:?}");
        }
        assert_eq!(TriggerRule::default(), TriggerRule::AllSuccess);
    }
}
