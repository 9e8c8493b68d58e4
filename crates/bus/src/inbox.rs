//! [`Inbox`]: what the leading scheduler offers the bus, so that [`serve`](crate::serve)
//! can feed it without the bus knowing the scheduler (or the store) at all.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use tokio::sync::{broadcast, watch};
use weft_protocol::{Command, Notice, Reply, Report, RunCreated, RunCreatedFromDag, RunPk};

/// Resolves to `true` once the reports handed over are written to the store, to `false` if
/// they were not (they are then read from the bus again later).
pub type Written = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The leading scheduler, as the bus feeds it.
#[async_trait]
pub trait Inbox: Clone + Send + Sync + 'static {
    /// The tenants whose report streams to read: every tenant the scheduler may have queued
    /// attempts of, before any of their messages goes out (a tenant's reports wait on its
    /// stream until it is read).
    fn report_tenants(&self) -> watch::Receiver<BTreeSet<String>>;

    /// Take reports from workers. Returns at once; the future tells when they are written.
    fn reports(&self, reports: Vec<Report>) -> Written;

    /// Something changed in the store.
    fn notice(&self, notice: Notice);

    /// A run was just created in the store by an API server.
    fn run_created(&self, created: RunCreated);

    /// A run was just created in the store by an API server, its task instances as its DAG
    /// describes them, carried as their ids.
    fn run_created_from_dag(&self, created: RunCreatedFromDag);

    /// Carry out a command and answer it.
    async fn command(&self, command: Command) -> Reply;

    /// Hear of every run that ends from now on; `None` when this inbox cannot tell.
    fn subscribe_ended(&self) -> Option<broadcast::Receiver<RunPk>>;
}
