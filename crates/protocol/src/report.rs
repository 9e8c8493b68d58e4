//! What a worker tells the scheduler about the attempts it runs: [`Report`]s. They travel in
//! batches (a `Vec<Report>` in one [`Envelope`](crate::Envelope)), and every one carries the
//! attempt's lease, so a report about an attempt that lost its lease is refused by the store.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::envelope::Message;
use crate::ids::{RunPk, TiPk};

/// What a worker tells the scheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Report {
    /// An attempt started running.
    Started(AttemptStarted),
    /// An attempt is still running: extend its lease.
    Heartbeat(AttemptHeartbeat),
    /// An attempt ended.
    Finished(Box<AttemptResult>),
}

impl Report {
    /// The attempt the report is about, with the key it carries.
    pub fn attempt(&self) -> crate::AttemptRef {
        let (ti, lease, key) = match self {
            Report::Started(s) => (s.ti, s.lease, s.key),
            Report::Heartbeat(h) => (h.ti, h.lease, h.key),
            Report::Finished(r) => (r.ti, r.lease, r.key),
        };
        crate::AttemptRef { ti, lease, key }
    }

    /// What kind of report it is: `started`, `heartbeat` or `finished` (as in its JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Report::Started(_) => "started",
            Report::Heartbeat(_) => "heartbeat",
            Report::Finished(_) => "finished",
        }
    }
}

impl Message for Vec<Report> {
    const NAME: &'static str = "report batch";
}

/// An attempt started on a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptStarted {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease, as the task message carried it.
    pub lease: i64,
    /// The attempt's key, as the task message carried it (none when the scheduler that
    /// queued the attempt has no secret key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::AttemptKey>,
    /// The worker running it, as registered with the API server.
    pub worker_id: String,
    /// The worker's host name, shown with the task instance.
    pub hostname: String,
    /// When the attempt started, by the worker's clock.
    pub at: Timestamp,
    /// Until when the attempt is leased unless heartbeats extend it.
    pub lease_expires_at: Timestamp,
}

/// A worker is still running an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptHeartbeat {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease.
    pub lease: i64,
    /// The attempt's key, as the task message carried it (none when the scheduler that
    /// queued the attempt has no secret key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::AttemptKey>,
    /// The lease's new end.
    pub lease_expires_at: Timestamp,
}

/// How an attempt ended, as a worker saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AttemptOutcome {
    /// The task returned its output.
    Success {
        /// The output, as the task encoded it (JSON for the SDKs).
        output: Vec<u8>,
        /// Data the task attached to its outlets' events, by asset (JSON objects).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        asset_extras: Vec<(String, serde_json::Value)>,
    },
    /// The task chose to be skipped (Airflow's `AirflowSkipException`).
    Skipped {
        /// The task's reason, shown with the task instance.
        reason: String,
    },
    /// A sensor is not satisfied yet and gives its slot back (Airflow's reschedule mode).
    Rescheduled {
        /// When to poke again, in milliseconds from the attempt's end; none means the task's
        /// poke interval.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delay_ms: Option<u64>,
    },
    /// The task waits for an event the scheduler watches, holding no slot (Airflow's
    /// deferrable operators).
    Deferred {
        /// What it waits for.
        until: weft_model::WaitCondition,
        /// Run the task again when the event happens (it sees the event); when false, the
        /// event decides the task's state.
        resume: bool,
    },
    /// The attempt failed.
    Failed {
        /// Whether a retry may help (only a task's own permanent error says no).
        retryable: bool,
        /// Failure class (`task_error`, `timeout`, `trap`, …).
        class: String,
        /// What happened, for people.
        message: String,
    },
}

/// An attempt's end, reported by the worker that ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptResult {
    /// The task instance.
    pub ti: TiPk,
    /// The attempt's lease: a result whose lease is no longer current is refused.
    pub lease: i64,
    /// The attempt's key, as the task message carried it (none when the scheduler that
    /// queued the attempt has no secret key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::AttemptKey>,
    /// The run the task instance belongs to.
    pub run: RunPk,
    /// The attempt's number.
    pub try_number: u32,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Keyed XCom values the task pushed, `(key, value)`.
    pub xcom: Vec<(String, Vec<u8>)>,
    /// Its log, in the stored form of [`crate::log`] (JSON lines).
    pub log: Vec<u8>,
    /// When it started, by the worker's clock.
    pub started_at: Timestamp,
    /// When it ended, by the worker's clock.
    pub ended_at: Timestamp,
    /// The worker that ran it.
    pub worker_id: String,
    /// The worker's host name.
    pub hostname: String,
}
