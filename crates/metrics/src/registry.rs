//! The metrics and the registry that encodes them.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::encode`]'s text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A histogram family's constructor.
type NewHistogram = fn() -> Histogram;

/// Latencies from 50 µs to about 100 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.5, 17))
}

/// Task durations from 1 ms to about 8 h.
fn duration() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.6, 19))
}

/// A store or queue call, by the name of its span.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Call {
    /// The call (`run`, `write`, `push`, ...): a name the code holds, so that recording a
    /// call allocates nothing.
    pub call: &'static str,
}

/// A queue.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Queue {
    /// Its name.
    pub queue: String,
}

/// How an attempt ended, as its worker saw it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Attempt {
    /// `success`, `failed`, `skipped`, `rescheduled` or `deferred`.
    pub outcome: String,
    /// For a failure, its class (`timeout`, `trap`, `task_error`, ...); else empty.
    pub class: String,
}

/// An egress request or connection and what became of it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Decision {
    /// `http` (a request, counted allowed once its host's addresses pass) or `socket` (a
    /// TCP connection; a refused listener or UDP socket counts as a denied one).
    pub kind: String,
    /// `allowed` or `denied`.
    pub decision: String,
}

/// Task instances of a tenant's queue in one state.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueState {
    /// The tenant.
    pub tenant: String,
    /// The queue.
    pub queue: String,
    /// `queued` or `running`.
    pub state: String,
}

/// A tenant's pool.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Pool {
    /// The tenant.
    pub tenant: String,
    /// The pool.
    pub pool: String,
}

/// Every metric of a Weft process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Seconds one scheduler step takes (reports in, decisions written).
    pub scheduler_step_seconds: Histogram,
    /// Worker reports the scheduler took.
    pub scheduler_reports: Counter,
    /// Attempts a worker started, by queue.
    pub attempts_started: Family<Queue, Counter>,
    /// Attempts a worker finished, by outcome and failure class.
    pub attempts_finished: Family<Attempt, Counter>,
    /// Seconds an attempt ran, by outcome and failure class.
    pub attempt_seconds: Family<Attempt, Histogram, NewHistogram>,
    /// Attempts running on this process's worker now.
    pub attempts_running: Gauge,
    /// Seconds a task's sandbox took to instantiate.
    pub sandbox_instantiate_seconds: Histogram,
    /// Components whose tasks run on baseline code while their optimized code compiles.
    pub components_optimizing: Gauge,
    /// Egress requests and connections of tasks, allowed or denied.
    pub egress: Family<Decision, Counter>,
    /// Seconds a store call took, by call.
    pub store_call_seconds: Family<Call, Histogram, NewHistogram>,
    /// Seconds a queue (Redis) call took, by call.
    pub queue_call_seconds: Family<Call, Histogram, NewHistogram>,
    /// Task instances per tenant, queue and state (queued or running), as the API server
    /// last read them.
    pub queue_tasks: Family<QueueState, Gauge>,
    /// Seconds the oldest queued task instance of a queue has waited.
    pub queue_oldest_seconds: Family<QueueState, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// A pool's slots.
    pub pool_slots: Family<Pool, Gauge>,
    /// A pool's slots taken: its task instances queued or running.
    pub pool_slots_used: Family<Pool, Gauge>,
    /// Task instances ready to run that wait for one of a pool's slots (scheduled).
    pub pool_slots_waiting: Family<Pool, Gauge>,
    /// Workers alive, as the API server last read them.
    pub workers_alive: Gauge,
}

/// This process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("weft");
        let m = Metrics {
            scheduler_step_seconds: latency(),
            scheduler_reports: Counter::default(),
            attempts_started: Family::default(),
            attempts_finished: Family::default(),
            attempt_seconds: Family::new_with_constructor(duration),
            attempts_running: Gauge::default(),
            sandbox_instantiate_seconds: latency(),
            components_optimizing: Gauge::default(),
            egress: Family::default(),
            store_call_seconds: Family::new_with_constructor(latency),
            queue_call_seconds: Family::new_with_constructor(latency),
            queue_tasks: Family::default(),
            queue_oldest_seconds: Family::default(),
            pool_slots: Family::default(),
            pool_slots_used: Family::default(),
            pool_slots_waiting: Family::default(),
            workers_alive: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "scheduler_step_seconds",
            "Seconds one scheduler step takes, reports in to decisions written",
            m.scheduler_step_seconds.clone(),
        );
        r.register(
            "scheduler_reports",
            "Worker reports the scheduler took",
            m.scheduler_reports.clone(),
        );
        r.register(
            "attempts_started",
            "Attempts this process's worker started, by queue",
            m.attempts_started.clone(),
        );
        r.register(
            "attempts_finished",
            "Attempts this process's worker finished, by outcome and failure class",
            m.attempts_finished.clone(),
        );
        r.register(
            "attempt_seconds",
            "Seconds an attempt ran, by outcome and failure class",
            m.attempt_seconds.clone(),
        );
        r.register(
            "attempts_running",
            "Attempts running on this process's worker",
            m.attempts_running.clone(),
        );
        r.register(
            "sandbox_instantiate_seconds",
            "Seconds a task's sandbox took to instantiate",
            m.sandbox_instantiate_seconds.clone(),
        );
        r.register(
            "components_optimizing",
            "Components whose tasks run on baseline code while their optimized code compiles",
            m.components_optimizing.clone(),
        );
        r.register(
            "egress",
            "Tasks' HTTP requests (http) and sockets (socket), allowed or denied",
            m.egress.clone(),
        );
        r.register(
            "store_call_seconds",
            "Seconds a store call took, by call",
            m.store_call_seconds.clone(),
        );
        r.register(
            "queue_call_seconds",
            "Seconds a queue (Redis) call took, by call",
            m.queue_call_seconds.clone(),
        );
        r.register(
            "queue_tasks",
            "Task instances per tenant, queue and state (queued or running)",
            m.queue_tasks.clone(),
        );
        r.register(
            "queue_oldest_seconds",
            "Seconds the oldest queued task instance of a queue has waited",
            m.queue_oldest_seconds.clone(),
        );
        r.register("pool_slots", "A pool's slots", m.pool_slots.clone());
        r.register(
            "pool_slots_used",
            "A pool's slots taken: its task instances queued or running",
            m.pool_slots_used.clone(),
        );
        r.register(
            "pool_slots_waiting",
            "Task instances ready to run that wait for a slot of the pool",
            m.pool_slots_waiting.clone(),
        );
        r.register(
            "workers_alive",
            "Workers alive, by their heartbeats",
            m.workers_alive.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Every metric, in the OpenMetrics text format Prometheus scrapes
    /// ([`OPENMETRICS_CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        text
    }

    /// Record an attempt that ended with `outcome` (and failure `class`) after `ran`.
    pub fn attempt_finished(&self, outcome: &str, class: &str, ran: Duration) {
        let labels = Attempt {
            outcome: outcome.to_owned(),
            class: class.to_owned(),
        };
        self.attempts_finished.get_or_create(&labels).inc();
        self.attempt_seconds
            .get_or_create(&labels)
            .observe(ran.as_secs_f64());
    }

    /// Record an egress request (`kind` `http`) or socket (`socket`), allowed or not.
    pub fn egress(&self, kind: &str, allowed: bool) {
        let labels = Decision {
            kind: kind.to_owned(),
            decision: if allowed { "allowed" } else { "denied" }.to_owned(),
        };
        self.egress.get_or_create(&labels).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_encoded_with_the_weft_prefix_and_their_labels() {
        let m = metrics();
        m.attempt_finished("failed", "timeout", Duration::from_millis(20));
        m.egress("http", false);
        m.scheduler_step_seconds.observe(0.001);
        let text = m.encode();
        assert!(
            text.contains("weft_attempts_finished_total{outcome=\"failed\",class=\"timeout\"}"),
            "{text}"
        );
        assert!(
            text.contains("weft_egress_total{kind=\"http\",decision=\"denied\"} "),
            "{text}"
        );
        assert!(
            text.contains("# TYPE weft_scheduler_step_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("weft_scheduler_step_seconds_count "),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
