//! Between messages and rows: what a worker reports becomes a write, and a run just created
//! travels to the scheduler and back into rows. The two sides are separate types, so that a
//! change to a table never changes what travels between processes unnoticed: it fails to
//! compile here.

use weft_protocol::control::{CreatedRun, CreatedTaskInstance, RunCreated};
use weft_protocol::{AttemptHeartbeat, AttemptStarted};

use crate::records::{DagRun, TaskInstance};
use crate::write::{Heartbeat, StartTask};

/// Moves every field of one struct into the other, both ways, so that a field added to
/// either side and not the other fails to compile. Fields only the message has (named after
/// `only`, with the value a row gives them) are dropped on the way to the row.
macro_rules! same_fields {
    ($a:ident <=> $b:ident { $($field:ident),* $(,)? } $(only $b_only:ident = $default:expr)?) => {
        impl From<$a> for $b {
            fn from(from: $a) -> $b {
                let $a { $($field),* } = from;
                $b { $($field,)* $($b_only: $default)? }
            }
        }
        impl From<$b> for $a {
            fn from(from: $b) -> $a {
                let $b { $($field,)* $($b_only: _)? } = from;
                $a { $($field),* }
            }
        }
    };
}

same_fields!(StartTask <=> AttemptStarted {
    ti,
    lease,
    worker_id,
    hostname,
    at,
    lease_expires_at,
} only key = None);

// The attempt's key is checked by the scheduler before a report becomes a write; the store
// keeps no key.
same_fields!(Heartbeat <=> AttemptHeartbeat {
    ti,
    lease,
    lease_expires_at,
} only key = None);

same_fields!(DagRun <=> CreatedRun {
    id,
    tenant,
    dag_id,
    run_id,
    run_type,
    logical_date,
    data_interval_start,
    data_interval_end,
    conf,
    digest,
    state,
    queued_at,
    started_at,
    ended_at,
});

same_fields!(TaskInstance <=> CreatedTaskInstance {
    id,
    run,
    tenant,
    dag_id,
    run_id,
    task_id,
    state,
    try_number,
    max_tries,
    queue,
    pool,
    priority_weight,
    lease,
    lease_expires_at,
    worker_id,
    hostname,
    queued_at,
    started_at,
    ended_at,
    duration_ms,
    next_retry_at,
    error_class,
    error,
    sensor_started_at,
    pokes,
    deferral,
    map_count,
    map_index,
    map_item,
});

/// A run just created, with its task instances, as a message.
pub fn run_created(run: DagRun, tis: Vec<TaskInstance>) -> RunCreated {
    RunCreated {
        run: run.into(),
        tis: tis.into_iter().map(Into::into).collect(),
    }
}

/// The rows of a run announced as created.
pub fn created_rows(created: RunCreated) -> (DagRun, Vec<TaskInstance>) {
    (
        created.run.into(),
        created.tis.into_iter().map(Into::into).collect(),
    )
}
