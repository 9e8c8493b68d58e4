//! What a worker needs from the rest of Weft, behind one trait: components by digest, XCom
//! values and variables, and a place to send reports. In standalone mode it is the store and
//! the scheduler in the same process ([`LocalPlane`]); on other machines it is the API server.

use async_trait::async_trait;
use weft_scheduler::{Report, SchedulerHandle};
use weft_store::{RunPk, Store};

/// Why a control-plane call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlaneError {
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The service could not be reached or failed; worth retrying.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The service refused the worker's credentials (401/403): retrying will not help.
    #[error("refused: {0}")]
    Refused(String),
}

/// The worker's view of the control plane.
#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    /// A component's bytes.
    async fn component(&self, tenant: &str, digest: &str) -> Result<Vec<u8>, PlaneError>;
    /// An XCom value of a task of run `run`.
    async fn xcom(
        &self,
        run: RunPk,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError>;
    /// A variable.
    async fn variable(&self, tenant: &str, key: &str) -> Result<Option<String>, PlaneError>;
    /// Send reports (starts, heartbeats, results).
    async fn report(&self, reports: Vec<Report>) -> Result<(), PlaneError>;
}

/// The control plane of standalone mode: the store and scheduler of this process.
pub struct LocalPlane {
    store: std::sync::Arc<dyn Store>,
    scheduler: SchedulerHandle,
}

impl LocalPlane {
    /// The plane over `store`, reporting to `scheduler`.
    pub fn new(store: std::sync::Arc<dyn Store>, scheduler: SchedulerHandle) -> LocalPlane {
        LocalPlane { store, scheduler }
    }
}

fn unavailable(e: weft_store::StoreError) -> PlaneError {
    PlaneError::Unavailable(e.to_string())
}

#[async_trait]
impl ControlPlane for LocalPlane {
    async fn component(&self, tenant: &str, digest: &str) -> Result<Vec<u8>, PlaneError> {
        self.store
            .component(tenant, digest)
            .await
            .map_err(unavailable)?
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
            .map_err(unavailable)
    }

    async fn variable(&self, tenant: &str, key: &str) -> Result<Option<String>, PlaneError> {
        Ok(self
            .store
            .variable(tenant, key)
            .await
            .map_err(unavailable)?
            .map(|v| v.value))
    }

    async fn report(&self, reports: Vec<Report>) -> Result<(), PlaneError> {
        // One input: the scheduler takes these reports in the same step.
        drop(self.scheduler.report_batch(reports));
        Ok(())
    }
}
