//! [`BusControl`]: the scheduler's [`Control`] for an API server in another process than the
//! scheduler (distributed mode).
//!
//! Triggers and backfills are written to the store here and announced on the bus (the
//! scheduler also finds them on its resync timer, should the notice be lost). Clearing and
//! marking, which change what the scheduler holds in memory, are commands the leading
//! scheduler carries out and answers.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use weft_bus::{Bus, ControlClient};
use weft_model::{Dag, TaskState};
use weft_protocol::{CARRIED_TASKS, Command, ControlMessage, Notice, Reply, RunPk};
use weft_scheduler::{Clock, Control, ControlError, RunRequests, TriggerRequest};
use weft_store::{DagRun, Store, TaskInstance};

/// Longest a trigger's answer waits for its run's message to be on the bus.
const NOTICE_WAIT: Duration = Duration::from_millis(50);

/// How long a command the scheduler could not take waits before it is sent again.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The scheduler, reached over the bus.
pub struct BusControl {
    client: ControlClient,
    requests: RunRequests,
    /// How long a command is sent again while the scheduler cannot take it.
    timeout: Duration,
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
        BusControl {
            client: ControlClient::new(bus, timeout),
            requests: RunRequests::new(store, clock, allow_trigger_in_future),
            timeout,
        }
    }

    /// The bus client underneath, to publish control messages directly.
    pub fn client(&self) -> &ControlClient {
        &self.client
    }

    /// Send `command` to the leading scheduler and wait for its answer. While the command's
    /// timeout lasts, a command the scheduler could not take (its term ended under it, its
    /// store did not answer) or the bus failed to carry is sent again every
    /// [`RETRY_PAUSE`]: a failover or a restart of Redis delays a clear or a mark instead of
    /// failing it. Either is harmless twice, should the first have been carried out as its
    /// answer was lost: a mark sets the same state again, a clear runs its tasks again from
    /// the second (the first's attempts are fenced out).
    async fn call(&self, command: Command) -> Result<Reply, ControlError> {
        let started = tokio::time::Instant::now();
        loop {
            let answer = match self.client.call(command.clone()).await {
                Ok(Reply::Error { kind, message }) => Err(ControlError::from_reply(kind, message)),
                Ok(reply) => Ok(reply),
                // The bus failed, or no scheduler answered in time: the same call may succeed
                // later.
                Err(e) => Err(ControlError::Unavailable(e.to_string())),
            };
            match answer {
                Err(ControlError::Unavailable(why))
                    if started.elapsed() + RETRY_PAUSE < self.timeout =>
                {
                    tracing::debug!(%why, "the scheduler could not take a command; sending it again");
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                answer => return answer,
            }
        }
    }

    /// Tell the leading scheduler about a run just created, in the background (see
    /// [`created_message`]).
    fn created(&self, run: &DagRun, dag: &Dag, tis: Vec<TaskInstance>) {
        self.client.publish_soon(created_message(run, dag, tis));
    }
}

/// What tells the leading scheduler about a run just created, so that it does not read the
/// run back: the run with its rows when it is small, else with its task instances' ids (the
/// rest of each row is what `dag` says), or, should the ids not fit, its id alone.
fn created_message(run: &DagRun, dag: &Dag, tis: Vec<TaskInstance>) -> ControlMessage {
    if tis.len() <= CARRIED_TASKS {
        return ControlMessage::Created(Box::new(weft_store::wire::run_created(run.clone(), tis)));
    }
    let tasks = weft_scheduler::new_runs::new_task_instances(dag);
    match weft_store::wire::run_created_from_dag(run, tasks, &tis) {
        Some(created) => ControlMessage::CreatedFromDag(Box::new(created)),
        None => {
            tracing::debug!(
                run = run.id,
                tasks = tis.len(),
                "a new run's ids do not fit in its message; the scheduler will read it"
            );
            ControlMessage::Notice {
                notice: Notice::RunChanged(run.id),
            }
        }
    }
}

fn unexpected(reply: &Reply) -> ControlError {
    ControlError::Unavailable(format!(
        "the scheduler gave an unexpected answer: {reply:?}"
    ))
}

#[async_trait]
impl Control for BusControl {
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
    ) -> Result<DagRun, ControlError> {
        // The run's message goes on the bus before the trigger is answered: sent from a task
        // left alone beside the request, it went out only once the request's task yielded,
        // after the answer was written (about 0.8 ms later in a strace of the round trip), and
        // the run waited for it. A bus that is slow or down delays the answer by
        // `NOTICE_WAIT` at most.
        let message = std::sync::Mutex::new(None);
        let created = |run: &DagRun, dag: &Dag, tis| {
            let created = created_message(run, dag, tis);
            *message.lock().unwrap_or_else(|e| e.into_inner()) = Some(created);
        };
        let run = self
            .requests
            .trigger(tenant, dag_id, request, &created)
            .await?;
        if let Some(message) = message.into_inner().unwrap_or_else(|e| e.into_inner()) {
            self.client.publish_within(message, NOTICE_WAIT).await;
        }
        Ok(run)
    }

    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<DagRun>, ControlError> {
        let created = |run: &DagRun, dag: &Dag, tis| self.created(run, dag, tis);
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
        self.client.publish_soon(ControlMessage::Notice { notice });
    }

    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        Some(self.client.subscribe_ended())
    }
}
