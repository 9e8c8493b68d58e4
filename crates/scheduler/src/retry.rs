//! From an attempt's end to the task instance's next state: Airflow's retry rules.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use weft_model::message::storable;
use weft_model::{Deferral, Task, TaskKind, TaskState, branch_choice, format_duration};
use weft_store::{DagRun, FinishTask, SensorPoke, TaskInstance};

use weft_protocol::{AttemptOutcome, AttemptResult};

/// The fenced change that records `result` for `task`'s instance `ti` of `run`: success,
/// skipped, up_for_retry (when the failure is retryable and tries remain, after the task's
/// retry delay), up_for_reschedule (a sensor not satisfied yet, within its timeout),
/// deferred (waiting for an event, within its timeout) or failed.
pub fn finish_for(
    task: &Task,
    ti: &TaskInstance,
    run: &DagRun,
    mut result: AttemptResult,
) -> FinishTask {
    // What the store cannot keep fails this attempt, not the step that writes it: an honest
    // worker's runtime checks XCom keys as they are pushed, so only a broken or hostile
    // worker reports such a key.
    if let Some(refusal) = result
        .xcom
        .iter()
        .find_map(|(key, _)| weft_store::check_name("XCom key", key).err())
    {
        result.xcom.clear();
        result.outcome = AttemptOutcome::Failed {
            retryable: true,
            class: "bad_report".into(),
            message: format!("the worker's report cannot be stored: {refusal}"),
        };
    }
    let max_tries = ti.max_tries;
    let duration_ms = result
        .ended_at
        .duration_since(result.started_at)
        .as_millis()
        .max(0) as i64;
    let mut finish = FinishTask {
        ti: result.ti,
        lease: result.lease,
        state: TaskState::Success,
        at: result.ended_at,
        duration_ms,
        started_at: Some(result.started_at),
        worker_id: Some(result.worker_id),
        hostname: Some(result.hostname),
        xcom: result.xcom,
        log: Some(result.log),
        ..FinishTask::default()
    };
    match result.outcome {
        AttemptOutcome::Success { output, .. } => {
            // A branch whose output picks no valid downstream task fails: no retry mends it.
            if task.kind == TaskKind::Branch
                && let Err(message) = branch_choice(&task.id, &output, &task.downstream)
            {
                finish.state = TaskState::Failed;
                finish.error_class = Some("branch".into());
                finish.error = Some(message);
            }
            finish.output = Some(output);
        }
        AttemptOutcome::Skipped { reason } => {
            finish.state = TaskState::Skipped;
            finish.error = Some(reason);
        }
        AttemptOutcome::Rescheduled { delay_ms } => {
            reschedule(task, ti, &mut finish, result.started_at, delay_ms);
        }
        AttemptOutcome::Deferred { until, resume } => {
            let checked = weft_model::validate::check_wait(&until)
                .map_err(|issue| format!("the task deferred with a bad wait: {issue}"))
                .and_then(|()| until.resolve(run.logical_date, run.data_interval_end));
            match checked {
                Ok(wait) => defer(
                    task,
                    ti,
                    &mut finish,
                    result.started_at,
                    Deferral {
                        wait,
                        resume,
                        event: None,
                    },
                ),
                Err(message) => {
                    finish.state = TaskState::Failed;
                    finish.error_class = Some("wait".into());
                    finish.error = Some(message);
                }
            }
        }
        AttemptOutcome::Failed {
            retryable,
            class,
            message,
        } => {
            let retry = retryable && result.try_number < max_tries;
            finish.state = if retry {
                TaskState::UpForRetry
            } else {
                TaskState::Failed
            };
            if retry {
                let delay = SignedDuration::try_from(task.retry_delay_for(result.try_number))
                    .unwrap_or(SignedDuration::MAX);
                finish.next_retry_at = Some(
                    result
                        .ended_at
                        .saturating_add(delay)
                        .unwrap_or(result.ended_at),
                );
            }
            finish.error_class = Some(class);
            finish.error = Some(message);
        }
    }
    // The worker's words are stored as text: a hostile one (or a guest through it) must not
    // make the step's write fail for every result in it.
    finish.error = finish.error.map(storable);
    finish.error_class = finish.error_class.map(storable);
    finish.worker_id = finish.worker_id.map(storable);
    finish.hostname = finish.hostname.map(storable);
    finish
}

/// A sensor's "not yet": `up_for_reschedule` until its next poke, or, past its timeout
/// (counted from its try's first poke), failed, or skipped with `soft_fail`.
fn reschedule(
    task: &Task,
    ti: &TaskInstance,
    finish: &mut FinishTask,
    poked_at: Timestamp,
    delay_ms: Option<u64>,
) {
    let sensor = &task.sensor;
    let first = ti.sensor_started_at.unwrap_or(poked_at);
    let pokes = ti.pokes.saturating_add(1);
    let waited = finish.at.duration_since(first);
    if let Some(timeout) = sensor.timeout()
        && waited >= SignedDuration::try_from(timeout).unwrap_or(SignedDuration::MAX)
    {
        finish.state = if sensor.soft_fail {
            TaskState::Skipped
        } else {
            TaskState::Failed
        };
        finish.error_class = Some("sensor_timeout".into());
        finish.error = Some(format!(
            "sensor timed out: not satisfied after {pokes} pokes over {} (its timeout is {})",
            format_duration(Duration::try_from(waited).unwrap_or_default()),
            format_duration(timeout)
        ));
        return;
    }
    let delay = delay_ms.map_or_else(|| sensor.delay_after(pokes), Duration::from_millis);
    let delay = SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX);
    let mut next = finish.at.saturating_add(delay).unwrap_or(finish.at);
    // A delay past the timeout pokes at the timeout: one last chance, then the verdict.
    if let Some(timeout) = sensor.timeout()
        && let Ok(timeout) = SignedDuration::try_from(timeout)
        && let Ok(deadline) = first.checked_add(timeout)
    {
        next = next.min(deadline);
    }
    finish.state = TaskState::UpForReschedule;
    finish.next_retry_at = Some(next);
    finish.poke = Some(SensorPoke {
        started_at: first,
        pokes,
    });
}

/// A task's wait for an event: `deferred` until the event, or its timeout (counted from its
/// try's first poke or deferral); past the timeout already, failed or skipped at once.
fn defer(
    task: &Task,
    ti: &TaskInstance,
    finish: &mut FinishTask,
    started_at: Timestamp,
    deferral: Deferral,
) {
    let first = ti.sensor_started_at.unwrap_or(started_at);
    let deadline = crate::waits::deadline(task, first);
    if deadline.is_some_and(|d| d <= finish.at) {
        finish.state = if task.sensor.soft_fail {
            TaskState::Skipped
        } else {
            TaskState::Failed
        };
        finish.error_class = Some("sensor_timeout".into());
        finish.error = Some(format!(
            "sensor timed out: its timeout ({}) passed before it deferred",
            task.sensor
                .timeout()
                .map(format_duration)
                .unwrap_or_default()
        ));
        return;
    }
    finish.state = TaskState::Deferred;
    finish.next_retry_at = crate::waits::next_look(&deferral, deadline);
    finish.poke = Some(SensorPoke {
        started_at: first,
        pokes: ti.pokes,
    });
    finish.deferral = Some(deferral);
}

/// The change that records an attempt lost without a result (its worker died, or the
/// process restarted): a failure of class `lost`, retried like any other.
pub fn lost_attempt(
    task: &Task,
    ti: &weft_store::TaskInstance,
    run: &DagRun,
    at: Timestamp,
) -> FinishTask {
    let mut finish = finish_for(
        task,
        ti,
        run,
        AttemptResult {
            ti: ti.id,
            lease: ti.lease,
            key: None,
            run: ti.run,
            try_number: ti.try_number,
            outcome: AttemptOutcome::Failed {
                retryable: true,
                class: "lost".into(),
                message: format!(
                    "attempt {} was lost: its worker {} stopped reporting",
                    ti.try_number,
                    ti.worker_id.as_deref().unwrap_or("(none yet)")
                ),
            },
            xcom: Vec::new(),
            log: Vec::new(),
            started_at: ti.started_at.unwrap_or(at),
            ended_at: at,
            worker_id: ti.worker_id.clone().unwrap_or_default(),
            hostname: ti.hostname.clone().unwrap_or_default(),
        },
    );
    // An attempt lost before it started keeps no start time.
    finish.started_at = ti.started_at;
    finish
}
