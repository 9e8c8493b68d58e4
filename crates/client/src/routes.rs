//! The typed routes: one method of [`Client`] per route of the user API its users call,
//! named after what it does, sending and returning the server's own bodies.

use weft_model::quotas::Quotas;
use weft_model::tenant_sandbox::TenantSandbox;
use weft_protocol::api::assets::{AssetEventList, AssetEventView, AssetList, PostAssetEvent};
use weft_protocol::api::connections::ConnectionList;
use weft_protocol::api::dags::{
    DagDetail, DagList, DagSummary, DeployResponse, NextRuns, PatchDag, VersionList,
};
use weft_protocol::api::health::Health;
use weft_protocol::api::notifications::NotificationList;
use weft_protocol::api::queues::QueueList;
use weft_protocol::api::runs::{
    BackfillBody, ClearBody, ClearResponse, RunList, RunView, TriggerBody,
};
use weft_protocol::api::secrets::{PutSecret, Rotation, SecretList};
use weft_protocol::api::tasks::{LogResponse, MarkBody, XcomList};
use weft_protocol::api::tenants::{TenantList, TenantView, TenantWeight};
use weft_protocol::api::tokens::{CreatedToken, NewToken, TokenList, WhoAmI};
use weft_protocol::api::variables::{PutVariable, VariableList, VariableView};
use weft_protocol::api::workers::WorkerList;
use weft_protocol::{ConnectionInfo, SecretInfo};

use crate::error::ClientError;
use crate::path::{query_value, segment};
use crate::transport::Client;
use crate::{RunDetail, TaskInstance};

/// `path` with the query parameters that have a value, encoded.
fn with_query(path: String, params: &[(&str, Option<String>)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| Some(format!("{name}={}", query_value(value.as_deref()?))))
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

fn dag_path(dag_id: &str) -> String {
    format!("/dags/{}", segment(dag_id))
}

fn run_path(dag_id: &str, run_id: &str) -> String {
    format!("/dags/{}/runs/{}", segment(dag_id), segment(run_id))
}

/// Which runs [`Client::runs`] lists.
#[derive(Debug, Clone, Default)]
pub struct RunFilter<'a> {
    /// Only this DAG's runs.
    pub dag_id: Option<&'a str>,
    /// Only runs in this state.
    pub state: Option<&'a str>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// Which attempt's log [`Client::log`] shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogFilter {
    /// The attempt, from 1; none for the latest.
    pub try_number: Option<u32>,
    /// For a mapped task: the instance.
    pub map_index: Option<u32>,
}

impl Client {
    /// Whether the server answers its health check.
    pub fn health(&self) -> Result<Health, ClientError> {
        self.get("/health")
    }

    /// The server's Prometheus metrics, as text.
    pub fn metrics(&self) -> Result<String, ClientError> {
        self.get_text("/metrics")
    }

    /// Who the client's token is.
    pub fn whoami(&self) -> Result<WhoAmI, ClientError> {
        self.get("/whoami")
    }

    /// Deploy a DAG component.
    pub fn deploy(&self, wasm: &[u8]) -> Result<DeployResponse, ClientError> {
        self.upload("/dags", wasm)
    }

    /// The tenant's DAGs.
    pub fn dags(&self) -> Result<DagList, ClientError> {
        self.get("/dags")
    }

    /// One DAG, with its spec and tasks.
    pub fn dag(&self, dag_id: &str) -> Result<DagDetail, ClientError> {
        self.get(&dag_path(dag_id))
    }

    /// Pause or unpause a DAG.
    pub fn patch_dag(&self, dag_id: &str, change: &PatchDag) -> Result<DagSummary, ClientError> {
        self.patch(&dag_path(dag_id), change)
    }

    /// A DAG's deployed versions.
    pub fn versions(&self, dag_id: &str) -> Result<VersionList, ClientError> {
        self.get(&format!("{}/versions", dag_path(dag_id)))
    }

    /// A DAG's next `count` scheduled runs.
    pub fn next_runs(&self, dag_id: &str, count: u32) -> Result<NextRuns, ClientError> {
        self.get(&format!("{}/next-runs?count={count}", dag_path(dag_id)))
    }

    /// Trigger a run of a DAG.
    pub fn trigger(&self, dag_id: &str, body: &TriggerBody) -> Result<RunView, ClientError> {
        self.post(&format!("{}/runs", dag_path(dag_id)), body)
    }

    /// Backfill a range of logical dates: the runs made.
    pub fn backfill(&self, dag_id: &str, body: &BackfillBody) -> Result<RunList, ClientError> {
        self.post(&format!("{}/backfill", dag_path(dag_id)), body)
    }

    /// Runs, newest logical date first.
    pub fn runs(&self, filter: &RunFilter<'_>) -> Result<RunList, ClientError> {
        self.get(&with_query(
            "/runs".to_owned(),
            &[
                ("dag_id", filter.dag_id.map(str::to_owned)),
                ("state", filter.state.map(str::to_owned)),
                ("limit", filter.limit.map(|n| n.to_string())),
            ],
        ))
    }

    /// A run with its task instances; with `wait_ms`, once it has ended or that wait is over.
    pub fn run(
        &self,
        dag_id: &str,
        run_id: &str,
        wait_ms: Option<u64>,
    ) -> Result<RunDetail, ClientError> {
        self.get(&with_query(
            run_path(dag_id, run_id),
            &[("wait_ms", wait_ms.map(|ms| ms.to_string()))],
        ))
    }

    /// A run's notifications.
    pub fn notifications(
        &self,
        dag_id: &str,
        run_id: &str,
    ) -> Result<NotificationList, ClientError> {
        self.get(&format!("{}/notifications", run_path(dag_id, run_id)))
    }

    /// Clear task instances of a run.
    pub fn clear(
        &self,
        dag_id: &str,
        run_id: &str,
        body: &ClearBody,
    ) -> Result<ClearResponse, ClientError> {
        self.post(&format!("{}/clear", run_path(dag_id, run_id)), body)
    }

    /// The path of a task instance's log (its stream is this with `/stream`).
    pub fn log_path(dag_id: &str, run_id: &str, task_id: &str) -> String {
        format!(
            "{}/tasks/{}/logs",
            run_path(dag_id, run_id),
            segment(task_id)
        )
    }

    /// One attempt's log.
    pub fn log(
        &self,
        dag_id: &str,
        run_id: &str,
        task_id: &str,
        filter: LogFilter,
    ) -> Result<LogResponse, ClientError> {
        self.get(&with_query(
            Client::log_path(dag_id, run_id, task_id),
            &[
                ("try", filter.try_number.map(|n| n.to_string())),
                ("map_index", filter.map_index.map(|n| n.to_string())),
            ],
        ))
    }

    /// Mark a task instance by hand.
    pub fn mark(
        &self,
        dag_id: &str,
        run_id: &str,
        task_id: &str,
        body: &MarkBody,
    ) -> Result<TaskInstance, ClientError> {
        let path = format!(
            "{}/tasks/{}/mark",
            run_path(dag_id, run_id),
            segment(task_id)
        );
        self.post(&path, body)
    }

    /// A run's XCom values.
    pub fn xcoms(&self, dag_id: &str, run_id: &str) -> Result<XcomList, ClientError> {
        self.get(&format!("{}/xcom", run_path(dag_id, run_id)))
    }

    /// The tenant's variables.
    pub fn variables(&self) -> Result<VariableList, ClientError> {
        self.get("/variables")
    }

    /// One variable.
    pub fn variable(&self, key: &str) -> Result<VariableView, ClientError> {
        self.get(&format!("/variables/{}", segment(key)))
    }

    /// Create or replace a variable.
    pub fn put_variable(&self, key: &str, body: &PutVariable) -> Result<VariableView, ClientError> {
        self.put(&format!("/variables/{}", segment(key)), body)
    }

    /// Delete a variable.
    pub fn delete_variable(&self, key: &str) -> Result<(), ClientError> {
        self.delete(&format!("/variables/{}", segment(key)))
    }

    /// The tenant's connections, without their secrets.
    pub fn connections(&self) -> Result<ConnectionList, ClientError> {
        self.get("/connections")
    }

    /// One connection, without its secrets.
    pub fn connection(&self, conn_id: &str) -> Result<ConnectionInfo, ClientError> {
        self.get(&format!("/connections/{}", segment(conn_id)))
    }

    /// Create or replace a connection; `body` is the server's connection body (its URI or
    /// fields, and its secrets).
    pub fn put_connection<B: serde::Serialize + ?Sized>(
        &self,
        conn_id: &str,
        body: &B,
    ) -> Result<ConnectionInfo, ClientError> {
        self.put(&format!("/connections/{}", segment(conn_id)), body)
    }

    /// Delete a connection.
    pub fn delete_connection(&self, conn_id: &str) -> Result<(), ClientError> {
        self.delete(&format!("/connections/{}", segment(conn_id)))
    }

    /// The tenant's secrets, without their values.
    pub fn secrets(&self) -> Result<SecretList, ClientError> {
        self.get("/secrets")
    }

    /// Create or replace a secret.
    pub fn put_secret(&self, name: &str, body: &PutSecret) -> Result<SecretInfo, ClientError> {
        self.put(&format!("/secrets/{}", segment(name)), body)
    }

    /// Delete a secret.
    pub fn delete_secret(&self, name: &str) -> Result<(), ClientError> {
        self.delete(&format!("/secrets/{}", segment(name)))
    }

    /// Seal every secret with the current key.
    pub fn rotate_secret_key(&self) -> Result<Rotation, ClientError> {
        self.post("/secret-key/rotate", &serde_json::Map::new())
    }

    /// The workers that serve the tenant.
    pub fn workers(&self) -> Result<WorkerList, ClientError> {
        self.get("/workers")
    }

    /// The queues with work in them, with their depth.
    pub fn queues(&self) -> Result<QueueList, ClientError> {
        self.get("/queues")
    }

    /// The tenant's assets.
    pub fn assets(&self) -> Result<AssetList, ClientError> {
        self.get("/assets")
    }

    /// Asset events, newest first: at most `limit`, of one asset when `uri` names one.
    pub fn asset_events(
        &self,
        uri: Option<&str>,
        limit: u32,
    ) -> Result<AssetEventList, ClientError> {
        self.get(&with_query(
            "/assets/events".to_owned(),
            &[
                ("limit", Some(limit.to_string())),
                ("uri", uri.map(str::to_owned)),
            ],
        ))
    }

    /// Post an update of an asset.
    pub fn post_asset_event(&self, body: &PostAssetEvent) -> Result<AssetEventView, ClientError> {
        self.post("/assets/events", body)
    }

    /// The tenant's tokens.
    pub fn tokens(&self) -> Result<TokenList, ClientError> {
        self.get("/tokens")
    }

    /// Make a token of the client's tenant.
    pub fn create_token(&self, body: &NewToken) -> Result<CreatedToken, ClientError> {
        self.post("/tokens", body)
    }

    /// Revoke a token.
    pub fn revoke_token(&self, token_id: &str) -> Result<(), ClientError> {
        self.delete(&format!("/tokens/{}", segment(token_id)))
    }

    /// Every tenant (the installation administrator's).
    pub fn tenants(&self) -> Result<TenantList, ClientError> {
        self.get("/tenants")
    }

    /// Make a tenant; `body` is the server's new-tenant body.
    pub fn create_tenant<B: serde::Serialize + ?Sized>(
        &self,
        body: &B,
    ) -> Result<TenantView, ClientError> {
        self.post("/tenants", body)
    }

    /// Set a tenant's weight.
    pub fn put_tenant_weight(
        &self,
        name: &str,
        body: &TenantWeight,
    ) -> Result<TenantView, ClientError> {
        self.put(&format!("/tenants/{}/weight", segment(name)), body)
    }

    /// Set a tenant's quotas.
    pub fn put_tenant_quotas(
        &self,
        name: &str,
        quotas: &Quotas,
    ) -> Result<TenantView, ClientError> {
        self.put(&format!("/tenants/{}/quotas", segment(name)), quotas)
    }

    /// Set a tenant's sandbox policy.
    pub fn put_tenant_sandbox(
        &self,
        name: &str,
        sandbox: &TenantSandbox,
    ) -> Result<TenantView, ClientError> {
        self.put(&format!("/tenants/{}/sandbox", segment(name)), sandbox)
    }

    /// Delete a tenant.
    pub fn delete_tenant(&self, name: &str) -> Result<(), ClientError> {
        self.delete(&format!("/tenants/{}", segment(name)))
    }

    /// Make a token of a tenant (the installation administrator's).
    pub fn create_tenant_token(
        &self,
        name: &str,
        body: &NewToken,
    ) -> Result<CreatedToken, ClientError> {
        self.post(&format!("/tenants/{}/tokens", segment(name)), body)
    }
}
