//! The control plane of a worker on another machine: the API server for components, host
//! calls and live logs (over HTTP, with the worker token), and the bus for reports.

use async_trait::async_trait;
use weft_bus::ReportSender;
use weft_protocol::{HostAnswer, HostCall, Report};

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

    async fn call(&self, caller: Caller<'_>, call: HostCall) -> Result<HostAnswer, PlaneError> {
        self.api.host_call(caller.attempt, &call).await
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
