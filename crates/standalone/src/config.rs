//! [`StandaloneConfig`]: what the embedded process is made of, as `wfctl standalone` reads it
//! from its flags and environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use weft_notify::delivery::DeliveryConfig;
use weft_runtime::RuntimeConfig;
use weft_scheduler::SchedulerConfig;
use weft_server::{AuthConfig, ConnectionLimits};
use weft_store::AutoClean;
use weft_tls::ServerIdentity;
use weft_vault::KeySettings;

/// How to put the embedded process together: API server, scheduler and one worker on SQLite
/// and the in-process queue.
#[derive(Debug, Clone)]
pub struct StandaloneConfig {
    /// Weft's home directory, made (owner only) when missing: the database (`weft.db`), the
    /// generated sealing key (`secret.key`) and, unless the runtime says otherwise, the
    /// compiled components.
    pub home: PathBuf,
    /// Where the API server listens (port 0 picks a free one).
    pub address: SocketAddr,
    /// The administrator's tokens and whether reads are open. The worker API is closed
    /// whatever `worker_tokens` says: the embedded worker never calls it.
    pub auth: AuthConfig,
    /// The certificate and key of HTTPS; plain HTTP when `None`.
    pub tls: Option<ServerIdentity>,
    /// How many connections the API server holds.
    pub connections: ConnectionLimits,
    /// The sealing keys; without one configured, a key generated in the home directory.
    pub keys: KeySettings,
    /// The sandbox: its egress policy, compile cache and limits. `max_concurrent_instances`
    /// counts the sandboxes that describe deploys; one per worker slot is added to it.
    pub runtime: RuntimeConfig,
    /// The scheduler's limits. Attempts found running at start are always recovered: the
    /// worker that ran them lived in this process.
    pub scheduler: SchedulerConfig,
    /// Task attempts run at once; the number of cores when `None`.
    pub concurrency: Option<usize>,
    /// This machine's name, as the workers page shows the embedded worker.
    pub hostname: String,
    /// How notifications are delivered.
    pub delivery: DeliveryConfig,
    /// The automatic clean of the store, if any.
    pub clean: Option<AutoClean>,
}
