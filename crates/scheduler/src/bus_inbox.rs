//! The leading scheduler on the bus: [`SchedulerHandle`] as the [`Inbox`] that
//! `weft_bus::serve` feeds with what workers and API servers send.

use async_trait::async_trait;
use std::collections::BTreeSet;

use tokio::sync::{broadcast, watch};
use weft_bus::{Inbox, Written};
use weft_protocol::{Command, Notice, Reply, Report, RunCreated, RunCreatedFromDag, RunPk};

use crate::control::Control;
use crate::handle::SchedulerHandle;

#[async_trait]
impl Inbox for SchedulerHandle {
    fn report_tenants(&self) -> watch::Receiver<BTreeSet<String>> {
        self.reporting_tenants()
    }

    fn reports(&self, reports: Vec<Report>) -> Written {
        let written = self.report_batch(reports);
        Box::pin(async move { written.await.is_ok() })
    }

    fn notice(&self, notice: Notice) {
        self.notify(notice);
    }

    fn run_created(&self, created: RunCreated) {
        let (run, tis) = weft_store::wire::created_rows(created);
        SchedulerHandle::run_created(self, run, tis);
    }

    fn run_created_from_dag(&self, created: RunCreatedFromDag) {
        SchedulerHandle::run_created_from_dag(self, created);
    }

    async fn command(&self, command: Command) -> Reply {
        match command {
            Command::Clear {
                tenant,
                run,
                task_ids,
                downstream,
            } => match self.clear(&tenant, run, &task_ids, downstream).await {
                Ok(count) => Reply::Cleared { count },
                Err(e) => e.to_reply(),
            },
            Command::Mark {
                tenant,
                run,
                task_id,
                state,
            } => match self.mark(&tenant, run, &task_id, state).await {
                Ok(()) => Reply::Marked,
                Err(e) => e.to_reply(),
            },
        }
    }

    fn subscribe_ended(&self) -> Option<broadcast::Receiver<RunPk>> {
        Control::subscribe_ended(self)
    }
}
