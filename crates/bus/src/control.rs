//! An API server's side of the bus: [`BusControl`], the scheduler's
//! [`Control`](weft_scheduler::Control) for an API server in another process.
//!
//! Triggers and backfills are written to the store here and announced on the bus (the
//! scheduler also finds them on its resync timer, should the notice be lost). Clearing and
//! marking are commands the leading scheduler carries out and answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use redis::Value;
use weft_model::TaskState;
use weft_scheduler::{Clock, Control, ControlError, Notice, RunRequests, TriggerRequest};
use weft_store::{DagRun, RunPk, Store, TaskInstance};

use crate::connection::{Bus, CONTROL, REPLY_PREFIX};
use crate::error::BusError;
use crate::wire::{CARRIED_TASKS, Command, ControlMessage, Reply};

/// The scheduler, reached over the bus.
pub struct BusControl {
    bus: Bus,
    requests: RunRequests,
    timeout: Duration,
    caller: String,
    calls: AtomicU64,
    ended: crate::ended::Ended,
}

impl BusControl {
    /// Control over `bus`, creating runs in `store`; commands wait up to `timeout` for the
    /// leading scheduler's answer.
    pub fn new(
        bus: Bus,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        allow_trigger_in_future: bool,
        timeout: Duration,
    ) -> BusControl {
        let caller = format!(
            "{}-{}",
            std::process::id(),
            Timestamp::now().as_nanosecond()
        );
        BusControl {
            ended: crate::ended::Ended::new(bus.clone()),
            bus,
            requests: RunRequests::new(store, clock, allow_trigger_in_future),
            timeout,
            caller,
            calls: AtomicU64::new(0),
        }
    }

    /// Put a control message on the bus.
    pub async fn publish(&self, message: &ControlMessage) -> Result<(), BusError> {
        publish(&self.bus, message).await
    }

    async fn call(&self, command: Command) -> Result<Reply, ControlError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let reply_to = self.bus.key(&format!("{REPLY_PREFIX}{}-{n}", self.caller));
        let mut conn = self
            .bus
            .blocking(self.timeout)
            .await
            .map_err(|e| ControlError::Unavailable(e.to_string()))?;
        self.publish(&ControlMessage::Command {
            reply_to: reply_to.clone(),
            command,
        })
        .await
        .map_err(|e| ControlError::Unavailable(e.to_string()))?;
        let answer: Option<(String, Vec<u8>)> = redis::cmd("BLPOP")
            .arg(&reply_to)
            .arg(self.timeout.as_secs_f64())
            .query_async(&mut conn)
            .await
            .map_err(|e| ControlError::Unavailable(self.bus.unavailable(&e).to_string()))?;
        let Some((_, bytes)) = answer else {
            return Err(ControlError::Unavailable(format!(
                "no scheduler answered within {:?}; is a `wfctl scheduler` running and connected to {}?",
                self.timeout,
                self.bus.url()
            )));
        };
        let reply: Reply = serde_json::from_slice(&bytes).map_err(|e| {
            ControlError::Unavailable(format!("unreadable answer from the scheduler: {e}"))
        })?;
        match reply {
            Reply::Error { kind, message } => Err(Reply::into_error(&kind, message)),
            other => Ok(other),
        }
    }
}

#[async_trait]
impl Control for BusControl {
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
    ) -> Result<DagRun, ControlError> {
        let created = |run: &DagRun, tis| self.created(run, tis);
        self.requests
            .trigger(tenant, dag_id, request, &created)
            .await
    }

    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<DagRun>, ControlError> {
        let created = |run: &DagRun, tis| self.created(run, tis);
        self.requests
            .backfill(tenant, dag_id, start, end, &created)
            .await
    }

    async fn clear(
        &self,
        tenant: &str,
        run: RunPk,
        task_ids: &[String],
        downstream: bool,
    ) -> Result<usize, ControlError> {
        let command = Command::Clear {
            tenant: tenant.to_owned(),
            run,
            task_ids: task_ids.to_vec(),
            downstream,
        };
        match self.call(command).await? {
            Reply::Cleared { count } => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    async fn mark(
        &self,
        tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError> {
        let command = Command::Mark {
            tenant: tenant.to_owned(),
            run,
            task_id: task_id.to_owned(),
            state,
        };
        match self.call(command).await? {
            Reply::Marked => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    fn notify(&self, notice: Notice) {
        self.send_soon(ControlMessage::Notice { notice });
    }

    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        Some(self.ended.subscribe())
    }
}

impl BusControl {
    /// Tell the leading scheduler about a run just created: with its rows when it is small,
    /// so that the scheduler does not read it back, else by its id.
    fn created(&self, run: &DagRun, tis: Vec<TaskInstance>) {
        let message = if tis.len() <= CARRIED_TASKS {
            ControlMessage::Created {
                run: Box::new(run.clone()),
                tis,
            }
        } else {
            ControlMessage::Notice {
                notice: Notice::RunChanged(run.id),
            }
        };
        self.send_soon(message);
    }

    fn send_soon(&self, message: ControlMessage) {
        let bus = self.bus.clone();
        // Best effort: a lost notice is found by the scheduler's resync timer.
        tokio::spawn(async move {
            if let Err(e) = publish(&bus, &message).await {
                tracing::warn!(error = %e, "could not tell the scheduler about a change; its resync will find it");
            }
        });
    }
}

/// Add a control message to the control stream (kept to about the last 10,000 entries).
async fn publish(bus: &Bus, message: &ControlMessage) -> Result<(), BusError> {
    let json = serde_json::to_vec(message)
        .map_err(|e| BusError::Malformed(format!("encoding a control message: {e}")))?;
    let mut conn = bus.commands();
    redis::cmd("XADD")
        .arg(bus.key(CONTROL))
        .arg("MAXLEN")
        .arg("~")
        .arg(10_000)
        .arg("*")
        .arg("m")
        .arg(json)
        .query_async::<Value>(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| bus.unavailable(&e))
}

fn unexpected(reply: &Reply) -> ControlError {
    ControlError::Unavailable(format!(
        "the scheduler gave an unexpected answer: {reply:?}"
    ))
}
