//! One delivery, start to end: report the start, keep the lease alive, fetch and check the
//! component, run the attempt in the sandbox, report the result, then ack the delivery.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;
use weft_protocol::host_call::XcomPull;
use weft_protocol::{
    AttemptHeartbeat, AttemptOutcome, AttemptRef, AttemptResult, AttemptStarted, RETURN_VALUE,
    Report, TaskMessage,
};
use weft_queue::{Delivery, Queue};
use weft_runtime::{
    Digest, LiveLog, Runtime, TaskContext, TaskOutcome, TaskRequest, UpstreamOutput, WorkerInfo,
};

use crate::acks::Acks;
use crate::config::WorkerConfig;
use crate::host::PlaneHost;
use crate::live_log::LiveLogSender;
use crate::plane::{Caller, ControlPlane};
use crate::sandbox::AttemptSandbox;

/// How long an attempt runs before its start is reported on its own (see `run_tracked`).
const START_REPORT_DELAY: Duration = Duration::from_millis(50);

/// How an attempt ended: its outcome, XCom pushes and log (JSON lines).
type Ended = (AttemptOutcome, Vec<(String, Vec<u8>)>, Vec<u8>);

/// What every attempt of a worker shares.
pub(crate) struct Shared {
    pub(crate) config: WorkerConfig,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) queue: Arc<dyn Queue>,
    /// Acknowledges finished deliveries in batches.
    pub(crate) acks: Acks,
    pub(crate) plane: Arc<dyn ControlPlane>,
    /// Deliveries being run, so they can be handed back when the grace period ends.
    pub(crate) in_flight: std::sync::Mutex<std::collections::HashSet<weft_queue::DeliveryId>>,
    /// Attempts that ended and whose result the control plane took, for heartbeats.
    pub(crate) ended: EndedCounts,
}

/// How many attempts a worker ran to an end since it started, and how many of them failed.
#[derive(Debug, Default)]
pub(crate) struct EndedCounts {
    finished: AtomicU64,
    failed: AtomicU64,
}

impl EndedCounts {
    fn count(&self, failed: bool) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Attempts finished, and of those failed. The two are read apart, so a beat may count
    /// an attempt as finished and not yet as failed; never the other way round.
    pub(crate) fn get(&self) -> (u64, u64) {
        let failed = self.failed.load(Ordering::Relaxed);
        (self.finished.load(Ordering::Relaxed).max(failed), failed)
    }
}

impl Shared {
    /// How many attempts are running.
    pub(crate) fn running(&self) -> usize {
        self.in_flight.lock().map_or(0, |set| set.len())
    }

    fn track(&self, id: &weft_queue::DeliveryId, running: bool) {
        if let Ok(mut set) = self.in_flight.lock() {
            if running {
                set.insert(id.clone());
            } else {
                set.remove(id);
            }
        }
    }
}

/// One attempt counted in `weft_attempts_running` while it lives, however its future ends.
struct RunningAttempt;

impl RunningAttempt {
    fn new() -> RunningAttempt {
        weft_metrics::metrics().attempts_running.inc();
        RunningAttempt
    }
}

impl Drop for RunningAttempt {
    fn drop(&mut self) {
        weft_metrics::metrics().attempts_running.dec();
    }
}

fn later(at: Timestamp, by: Duration) -> Timestamp {
    at.saturating_add(SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX))
        .unwrap_or(at)
}

/// Run one delivery to its end. Never panics on what it is given.
#[tracing::instrument(level = "debug", skip_all, fields(delivery = %delivery.id.as_str()))]
pub(crate) async fn run_delivery(shared: Arc<Shared>, delivery: Delivery) {
    shared.track(&delivery.id, true);
    run_tracked(&shared, &delivery).await;
    shared.track(&delivery.id, false);
}

async fn run_tracked(shared: &Arc<Shared>, delivery: &Delivery) {
    let message = match TaskMessage::decode(&delivery.payload) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(error = %e, queue = %delivery.queue, "undecodable task message dropped");
            shared.acks.ack(delivery.id.clone());
            return;
        }
    };
    let config = &shared.config;
    let started_at = Timestamp::now();
    let metrics = weft_metrics::metrics();
    metrics
        .attempts_started
        .get_or_create(&weft_metrics::Queue {
            queue: message.queue.clone(),
        })
        .inc();
    let _running = RunningAttempt::new();
    let running_since = std::time::Instant::now();
    let start = AttemptStarted {
        ti: message.ti,
        lease: message.lease,
        worker_id: config.worker_id.clone(),
        hostname: config.hostname.clone(),
        key: message.attempt_key,
        at: started_at,
        lease_expires_at: later(started_at, config.lease),
    };
    // The start is reported after a short delay: a task that ends sooner reports its start
    // and its end together, in one report the scheduler writes in one step. Heartbeats keep
    // both leases alive while it runs. (Timers in this task, not tasks of their own: most
    // attempts end before either is due.)
    let live = weft_runtime::LiveLog::new();
    let live_sender = LiveLogSender::start(
        shared.plane.clone(),
        message.tenant.clone(),
        message.run,
        message.attempt(),
        live.clone(),
    );
    let attempt = execute(shared, &message, &live);
    tokio::pin!(attempt);
    let every = shared.config.lease / 3;
    let announce_at = Instant::now() + START_REPORT_DELAY;
    let mut next_beat = Instant::now() + every;
    let mut announced = false;
    let (outcome, xcom, log) = loop {
        tokio::select! {
            biased;
            ended = &mut attempt => break ended,
            () = tokio::time::sleep_until(announce_at), if !announced => {
                announced = true;
                let started = vec![Report::Started(start.clone())];
                if let Err(e) = shared.plane.report(&message.tenant, started).await {
                    tracing::warn!(error = %e, "could not report the start; running anyway");
                }
            }
            () = tokio::time::sleep_until(next_beat) => {
                next_beat += every;
                heartbeat(shared, &delivery.id, &message.tenant, message.attempt()).await;
            }
        }
    };
    // The live log's last lines are stored before the result that replaces them is sent.
    live_sender.stop().await;
    let (ended_as, class) = match &outcome {
        AttemptOutcome::Success { .. } => ("success", ""),
        AttemptOutcome::Failed { class, .. } => ("failed", class.as_str()),
        AttemptOutcome::Skipped { .. } => ("skipped", ""),
        AttemptOutcome::Rescheduled { .. } => ("rescheduled", ""),
        AttemptOutcome::Deferred { .. } => ("deferred", ""),
    };
    metrics.attempt_finished(ended_as, class, running_since.elapsed());
    let failed = matches!(outcome, AttemptOutcome::Failed { .. });
    let mut reports = Vec::with_capacity(2);
    if !announced {
        reports.push(Report::Started(start));
    }
    let result = AttemptResult {
        ti: message.ti,
        lease: message.lease,
        key: message.attempt_key,
        run: message.run,
        try_number: message.try_number,
        outcome,
        xcom,
        log,
        started_at,
        ended_at: Timestamp::now(),
        worker_id: config.worker_id.clone(),
        hostname: config.hostname.clone(),
    };
    reports.push(Report::Finished(Box::new(result)));
    match shared.plane.report(&message.tenant, reports).await {
        Ok(()) => {
            shared.ended.count(failed);
            shared.acks.ack(delivery.id.clone());
        }
        Err(e) => {
            // The result did not get through: hand the delivery back so the attempt runs again.
            tracing::error!(error = %e, ti = message.ti, "could not report the result; releasing the delivery");
            let _ = shared
                .queue
                .release(std::slice::from_ref(&delivery.id))
                .await;
        }
    }
}

/// Extend the delivery's and the attempt's leases (one heartbeat).
async fn heartbeat(
    shared: &Arc<Shared>,
    id: &weft_queue::DeliveryId,
    tenant: &str,
    attempt: AttemptRef,
) {
    let lost = shared
        .queue
        .extend(std::slice::from_ref(id), shared.config.delivery_lease())
        .await;
    if matches!(&lost, Ok(ids) if !ids.is_empty()) {
        tracing::warn!(ti = attempt.ti, "delivery lease lost while running");
    }
    let beat = AttemptHeartbeat {
        ti: attempt.ti,
        lease: attempt.lease,
        key: attempt.key,
        lease_expires_at: later(Timestamp::now(), shared.config.lease),
    };
    let _ = shared
        .plane
        .report(tenant, vec![Report::Heartbeat(beat)])
        .await;
}

fn failed(retryable: bool, class: &str, message: impl Into<String>) -> Ended {
    (
        AttemptOutcome::Failed {
            retryable,
            class: class.to_owned(),
            message: message.into(),
        },
        Vec::new(),
        Vec::new(),
    )
}

/// Fetch what the attempt needs and run it; its outcome, XCom pushes and log (JSON lines).
async fn execute(shared: &Arc<Shared>, message: &TaskMessage, live: &LiveLog) -> Ended {
    let component = match component(shared, message).await {
        Ok(component) => component,
        Err(outcome) => return outcome,
    };
    let Some(task) = component.dag().task(&message.task_id) else {
        return failed(
            false,
            "task_error",
            format!("DAG {:?} has no task {:?}", message.dag_id, message.task_id),
        );
    };
    let upstream = match &message.upstream_outputs {
        // The scheduler sent every upstream output along.
        Some(outputs) => outputs
            .iter()
            .map(|(task_id, value)| UpstreamOutput {
                task_id: task_id.clone(),
                value: value.clone(),
            })
            .collect(),
        None => match fetch_upstream(shared, message).await {
            Ok(upstream) => upstream,
            Err(ended) => return ended,
        },
    };
    let sandbox = match AttemptSandbox::of(shared.config.limits, task, message) {
        Ok(sandbox) => sandbox,
        Err(why) => return failed(false, "internal", why),
    };
    let request = TaskRequest {
        context: TaskContext {
            dag_id: message.dag_id.clone(),
            task_id: message.task_id.clone(),
            run_id: message.run_id.clone(),
            logical_date: message.logical_date.to_string(),
            data_interval_start: message.data_interval_start.to_string(),
            data_interval_end: message.data_interval_end.to_string(),
            try_number: message.try_number,
            max_tries: message.max_tries,
            conf: message.conf.to_string(),
            event: message.event.clone(),
            map_index: message.map_index,
            map_item: message.map_item.clone(),
        },
        upstream,
        worker: WorkerInfo {
            worker_id: shared.config.worker_id.clone(),
            hostname: shared.config.hostname.clone(),
            queue: message.queue.clone(),
        },
        limits: sandbox.limits,
        tenant_egress: sandbox.egress,
        host: Arc::new(PlaneHost {
            plane: shared.plane.clone(),
            tenant: message.tenant.clone(),
            run: message.run,
            attempt: message.attempt(),
            handle: tokio::runtime::Handle::current(),
        }),
    };
    let runtime = shared.runtime.clone();
    let thread_live = live.clone();
    let report = match tokio::task::spawn_blocking(move || {
        runtime.run_task_live(&component, request, Some(&thread_live))
    })
    .await
    {
        Ok(report) => report,
        Err(e) => {
            let (outcome, xcom, _) = failed(
                true,
                "internal",
                format!("the attempt's thread failed: {e}"),
            );
            // What the attempt logged before is kept, not replaced by nothing.
            let log = live.finish().map(|log| log.encode()).unwrap_or_default();
            return (outcome, xcom, log);
        }
    };
    let outcome = match report.outcome {
        TaskOutcome::Success(output) => AttemptOutcome::Success {
            output,
            asset_extras: report.asset_extras,
        },
        TaskOutcome::Skipped(reason) => AttemptOutcome::Skipped { reason },
        TaskOutcome::Rescheduled(delay) => AttemptOutcome::Rescheduled {
            delay_ms: delay.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        },
        TaskOutcome::Deferred { until, resume } => AttemptOutcome::Deferred { until, resume },
        TaskOutcome::Failed(failure) => {
            let mut text = failure.to_string();
            if let weft_runtime::TaskFailure::Trap { backtrace, .. } = &failure
                && !backtrace.is_empty()
            {
                text = format!("{text}\n{backtrace}");
            }
            AttemptOutcome::Failed {
                retryable: failure.is_retryable(),
                class: failure.class().as_str().to_owned(),
                message: text,
            }
        }
    };
    (
        outcome,
        report.xcom.into_iter().map(|p| (p.key, p.value)).collect(),
        report.log.encode(),
    )
}

/// Each upstream task's output, fetched from the control plane.
async fn fetch_upstream(
    shared: &Arc<Shared>,
    message: &TaskMessage,
) -> Result<Vec<UpstreamOutput>, Ended> {
    let mut upstream = Vec::with_capacity(message.upstream.len());
    let caller = caller(message);
    for id in &message.upstream {
        let pull = XcomPull {
            task_id: id.clone(),
            key: RETURN_VALUE.to_owned(),
        };
        match shared.plane.ask(caller, pull).await {
            Ok(Some(value)) => upstream.push(UpstreamOutput {
                task_id: id.clone(),
                value: value.0,
            }),
            Ok(None) => {}
            Err(e) => {
                let why = format!("reading the output of {id}: {e}");
                return Err(failed(true, "internal", why));
            }
        }
    }
    Ok(upstream)
}

/// The attempt of `message` as it calls the control plane.
fn caller(message: &TaskMessage) -> Caller<'_> {
    Caller {
        tenant: &message.tenant,
        run: message.run,
        attempt: message.attempt(),
    }
}

/// The component of the message: already loaded, or fetched, checked against its digest and
/// loaded (compiled once per machine thanks to the runtime's cache).
async fn component(
    shared: &Arc<Shared>,
    message: &TaskMessage,
) -> Result<Arc<weft_runtime::DagComponent>, Ended> {
    let digest: Digest = message
        .digest
        .parse()
        .map_err(|e: weft_runtime::ParseDigestError| {
            failed(false, "invalid_component", e.to_string())
        })?;
    if let Some(component) = shared.runtime.loaded(&digest) {
        return Ok(component);
    }
    let bytes = shared
        .plane
        .component(caller(message), &message.digest)
        .await
        .map_err(|e| {
            failed(
                true,
                "internal",
                format!("fetching component {}: {e}", message.digest),
            )
        })?;
    if Digest::of(&bytes) != digest {
        return Err(failed(
            false,
            "invalid_component",
            format!(
                "the bytes received for component {} do not match its digest; refused",
                message.digest
            ),
        ));
    }
    let runtime = shared.runtime.clone();
    match tokio::task::spawn_blocking(move || runtime.load(&bytes)).await {
        Ok(Ok(component)) => Ok(component),
        Ok(Err(e)) => Err(failed(false, e.class().as_str(), e.to_string())),
        Err(e) => Err(failed(
            true,
            "internal",
            format!("loading the component failed: {e}"),
        )),
    }
}
