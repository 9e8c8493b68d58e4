//! An API server's side of the control stream: [`ControlClient`] tells the leading scheduler
//! of changes and runs just created, sends it commands and waits for their answers, and
//! follows the runs that end.
//!
//! Notices are best effort: the scheduler also finds every change on its resync timer.
//! A command waits for its answer on a list of its own, for at most the client's timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use redis::Value;
use tokio::sync::broadcast;
use weft_protocol::{Command, ControlMessage, Envelope, Reply, RunPk};

use crate::connection::{Bus, CONTROL, REPLY_PREFIX};
use crate::ended::Ended;
use crate::error::BusError;

/// Entries the control stream keeps (about; Redis trims whole nodes).
const STREAM_LENGTH: usize = 10_000;

/// Why a command got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The bus failed; the same call may succeed later.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// No scheduler answered in time: none is running, or none reaches this Redis.
    #[error(
        "no scheduler answered within {timeout:?}; is a `wfctl scheduler` running and connected to {url}?"
    )]
    NoAnswer {
        /// How long the call waited.
        timeout: Duration,
        /// The Redis server, with any password hidden.
        url: String,
    },
}

/// The leading scheduler, reached over the bus. Cheap to share behind an `Arc`.
pub struct ControlClient {
    bus: Bus,
    timeout: Duration,
    caller: String,
    calls: AtomicU64,
    ended: Ended,
}

impl std::fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlClient")
            .field("bus", &self.bus)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ControlClient {
    /// A client on `bus` whose commands wait up to `timeout` for an answer.
    pub fn new(bus: Bus, timeout: Duration) -> ControlClient {
        let caller = format!(
            "{}-{}",
            std::process::id(),
            Timestamp::now().as_nanosecond()
        );
        ControlClient {
            ended: Ended::new(bus.clone()),
            bus,
            timeout,
            caller,
            calls: AtomicU64::new(0),
        }
    }

    /// Put a control message on the bus.
    pub async fn publish(&self, message: &ControlMessage) -> Result<(), BusError> {
        publish(&self.bus, message).await
    }

    /// Put a control message on the bus in the background; a failure is logged (the
    /// scheduler's resync timer finds what a lost message announced).
    pub fn publish_soon(&self, message: ControlMessage) {
        drop(self.spawn_publish(message));
    }

    /// Put a control message on the bus, waiting up to `wait` for it to be there; past that
    /// it goes on in the background. A failure is logged, as with
    /// [`publish_soon`](Self::publish_soon). For a message the caller's own answer should
    /// not overtake: a task spawned and left alone runs only once the caller's task yields.
    pub async fn publish_within(&self, message: ControlMessage, wait: Duration) {
        let sending = self.spawn_publish(message);
        // Past the wait the message goes on alone; it logs its own failure.
        let _ = tokio::time::timeout(wait, sending).await;
    }

    fn spawn_publish(&self, message: ControlMessage) -> tokio::task::JoinHandle<()> {
        let bus = self.bus.clone();
        tokio::spawn(async move {
            if let Err(e) = publish(&bus, &message).await {
                tracing::warn!(error = %e, "could not tell the scheduler about a change; its resync will find it");
            }
        })
    }

    /// Send `command` to the leading scheduler and wait for its answer.
    pub async fn call(&self, command: Command) -> Result<Reply, CallError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let reply_to = self.bus.key(&format!("{REPLY_PREFIX}{}-{n}", self.caller));
        let mut conn = self.bus.blocking(self.timeout).await?;
        self.publish(&ControlMessage::Command {
            reply_to: reply_to.clone(),
            command,
        })
        .await?;
        let answer: Option<(String, Vec<u8>)> = redis::cmd("BLPOP")
            .arg(&reply_to)
            .arg(self.timeout.as_secs_f64())
            .query_async(&mut conn)
            .await
            .map_err(|e| self.bus.unavailable(&e))?;
        let Some((_, bytes)) = answer else {
            return Err(CallError::NoAnswer {
                timeout: self.timeout,
                url: self.bus.url().to_owned(),
            });
        };
        Envelope::decode(&bytes).map_err(|source| {
            CallError::Bus(BusError::Protocol {
                entry: reply_to,
                source,
            })
        })
    }

    /// Hear of runs that end from now on. Must be called within a Tokio runtime (the first
    /// call starts following the stream).
    pub fn subscribe_ended(&self) -> broadcast::Receiver<RunPk> {
        self.ended.subscribe()
    }
}

/// Add a control message to the control stream (kept to about the last 10,000 entries).
async fn publish(bus: &Bus, message: &ControlMessage) -> Result<(), BusError> {
    let json = Envelope::encode(message).map_err(BusError::Encode)?;
    let mut conn = bus.commands();
    redis::cmd("XADD")
        .arg(bus.key(CONTROL))
        .arg("MAXLEN")
        .arg("~")
        .arg(STREAM_LENGTH)
        .arg("*")
        .arg("m")
        .arg(json)
        .query_async::<Value>(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| bus.unavailable(&e))
}
