//! [`LocalPlane`]: the control plane of a worker that shares its process with the store and
//! the scheduler.

use std::sync::Arc;

use async_trait::async_trait;
use weft_protocol::{Report, RunPk};
use weft_scheduler::SchedulerHandle;
use weft_store::{Store, StoreError};
use weft_worker::{ControlPlane, PlaneError};

/// The control plane of standalone mode: the store and scheduler of this process.
pub struct LocalPlane {
    store: Arc<dyn Store>,
    scheduler: SchedulerHandle,
}

impl LocalPlane {
    /// The plane over `store`, reporting to `scheduler`.
    pub fn new(store: Arc<dyn Store>, scheduler: SchedulerHandle) -> LocalPlane {
        LocalPlane { store, scheduler }
    }
}

/// A failed store call as the worker sees it: the store's error kept as the cause.
fn unavailable(what: &str) -> impl FnOnce(StoreError) -> PlaneError + '_ {
    move |e| PlaneError::unavailable(what, e)
}

#[async_trait]
impl ControlPlane for LocalPlane {
    async fn component(&self, tenant: &str, digest: &str) -> Result<Vec<u8>, PlaneError> {
        self.store
            .component(tenant, digest)
            .await
            .map_err(unavailable("reading a component"))?
            .ok_or_else(|| PlaneError::NotFound(format!("component {digest}")))
    }

    async fn xcom(
        &self,
        run: RunPk,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError> {
        self.store
            .xcom(run, task_id, key)
            .await
            .map_err(unavailable("reading an XCom value"))
    }

    async fn variable(&self, tenant: &str, key: &str) -> Result<Option<String>, PlaneError> {
        Ok(self
            .store
            .variable(tenant, key)
            .await
            .map_err(unavailable("reading a variable"))?
            .map(|v| v.value))
    }

    async fn report(&self, reports: Vec<Report>) -> Result<(), PlaneError> {
        // One input: the scheduler takes these reports in the same step.
        drop(self.scheduler.report_batch(reports));
        Ok(())
    }
}
