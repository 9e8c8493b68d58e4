//! The control plane of a worker on another machine: the API server for components, XCom
//! values, variables, connections and secrets (over HTTP, with the worker token), and the bus for reports.

use async_trait::async_trait;
use weft_bus::ReportSender;
use weft_protocol::{Connection, Report, TriggerAnswer, TriggerRun};

use crate::api::ApiClient;
use crate::plane::{Caller, ControlPlane, PlaneError};

/// A remote worker's [`ControlPlane`].
pub struct RemotePlane {
    api: ApiClient,
    reports: ReportSender,
}

impl RemotePlane {
    /// The plane over the API server `api`, sending reports with `reports`.
    pub fn new(api: ApiClient, reports: ReportSender) -> RemotePlane {
        RemotePlane { api, reports }
    }
}

#[async_trait]
impl ControlPlane for RemotePlane {
    async fn component(&self, caller: Caller<'_>, digest: &str) -> Result<Vec<u8>, PlaneError> {
        self.api.component(caller.attempt, digest).await
    }

    async fn xcom(
        &self,
        caller: Caller<'_>,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError> {
        self.api.xcom(caller.attempt, task_id, key).await
    }

    async fn variable(&self, caller: Caller<'_>, key: &str) -> Result<Option<String>, PlaneError> {
        self.api.variable(caller.attempt, key).await
    }

    async fn connection(
        &self,
        caller: Caller<'_>,
        conn_id: &str,
    ) -> Result<Option<Connection>, PlaneError> {
        self.api.connection(caller.attempt, conn_id).await
    }

    async fn secret(&self, caller: Caller<'_>, name: &str) -> Result<Option<String>, PlaneError> {
        self.api.secret(caller.attempt, name).await
    }

    async fn trigger_run(
        &self,
        caller: Caller<'_>,
        request: TriggerRun,
    ) -> Result<TriggerAnswer, PlaneError> {
        self.api.trigger_run(caller.attempt, &request).await
    }

    async fn append_log(
        &self,
        caller: Caller<'_>,
        first_line: u64,
        lines: Vec<weft_protocol::log::LogLine>,
    ) -> Result<(), PlaneError> {
        self.api.append_log(caller.attempt, first_line, lines).await
    }

    async fn report(&self, tenant: &str, reports: Vec<Report>) -> Result<(), PlaneError> {
        self.reports
            .send(tenant, reports)
            .await
            .map_err(|e| PlaneError::unavailable("sending reports on the bus", e))
    }
}
