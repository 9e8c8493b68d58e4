//! [`SchedulerHandle`]: the cheap, cloneable way into a running scheduler. The API server
//! uses it as its [`Control`]; in-process workers hand it their [`Report`]s.

use async_trait::async_trait;
use jiff::Timestamp;
use std::collections::BTreeSet;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use weft_model::{Dag, TaskState};
use weft_store::{DagRun, RunPk, TaskInstance};

use crate::control::{Control, ControlError, Notice, TriggerRequest};
use crate::run_requests::RunRequests;
use crate::running::Input;
use weft_protocol::{Report, RunCreatedFromDag};

/// A cheap, cloneable handle on a running scheduler: the API server's [`Control`], and where
/// in-process workers send their [`Report`]s.
#[derive(Clone)]
pub struct SchedulerHandle {
    /// Feeds the scheduler's loop.
    tx: mpsc::UnboundedSender<Input>,
    /// Creates manual and backfill runs in the store, without going through the loop.
    requests: RunRequests,
    /// The loop's announcements of ended runs, for subscribers.
    ended: broadcast::Sender<RunPk>,
    /// The tenants whose attempts the scheduler may have queued.
    reporting: watch::Receiver<BTreeSet<String>>,
}

impl SchedulerHandle {
    /// A handle feeding the loop through `tx`.
    pub(crate) fn new(
        tx: mpsc::UnboundedSender<Input>,
        requests: RunRequests,
        ended: broadcast::Sender<RunPk>,
        reporting: watch::Receiver<BTreeSet<String>>,
    ) -> SchedulerHandle {
        SchedulerHandle {
            tx,
            requests,
            ended,
            reporting,
        }
    }

    /// The tenants whose attempts the scheduler may have queued, each named before its
    /// first attempt goes out: those whose workers may report.
    pub fn reporting_tenants(&self) -> watch::Receiver<BTreeSet<String>> {
        self.reporting.clone()
    }

    /// Hand a worker's report to the scheduler.
    pub fn report(&self, report: Report) {
        let _ = self.tx.send(Input::Reports(vec![report], None));
    }

    /// Hand a batch of reports to the scheduler; the answer resolves once they are written
    /// to the store, and fails if the scheduler stopped or the step that took them failed
    /// (the reports may then be handed in again: results are fenced, so twice is harmless).
    pub fn report_batch(&self, reports: Vec<Report>) -> oneshot::Receiver<()> {
        let (done, answer) = oneshot::channel();
        let _ = self.tx.send(Input::Reports(reports, Some(done)));
        answer
    }

    /// Whether the scheduler's loop has ended: nothing handed in is taken any more.
    pub fn is_stopped(&self) -> bool {
        self.tx.is_closed()
    }

    /// Hand over a run just created in the store, with its task instances as written: the
    /// scheduler takes it up without reading it back. Ignored when the scheduler already
    /// holds the run (it read it from the store, which is at least as new).
    pub fn run_created(&self, run: DagRun, tis: Vec<TaskInstance>) {
        let _ = self.tx.send(Input::Created(Box::new(run), tis));
    }

    /// A run was just created elsewhere, its task instances as its DAG describes them (see
    /// [`RunCreatedFromDag`]): the scheduler builds them without reading them back.
    pub fn run_created_from_dag(&self, created: RunCreatedFromDag) {
        let _ = self.tx.send(Input::CreatedFromDag(Box::new(created)));
    }
}

#[async_trait]
impl Control for SchedulerHandle {
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
    ) -> Result<DagRun, ControlError> {
        let created = |run: &DagRun, _: &Dag, tis| self.run_created(run.clone(), tis);
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
        let created = |run: &DagRun, _: &Dag, tis| self.run_created(run.clone(), tis);
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
        let (reply, answer) = oneshot::channel();
        let input = Input::Clear {
            tenant: tenant.to_owned(),
            run,
            task_ids: task_ids.to_vec(),
            downstream,
            reply,
        };
        self.tx.send(input).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn mark(
        &self,
        tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError> {
        let (reply, answer) = oneshot::channel();
        let input = Input::Mark {
            tenant: tenant.to_owned(),
            run,
            task_id: task_id.to_owned(),
            state,
            reply,
        };
        self.tx.send(input).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    fn notify(&self, notice: Notice) {
        let _ = self.tx.send(Input::Notice(notice));
    }

    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        Some(self.ended.subscribe())
    }
}

/// The answer to a request the stopped loop can no longer take.
fn stopped() -> ControlError {
    ControlError::Unavailable("the scheduler has stopped".into())
}
