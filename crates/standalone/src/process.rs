//! [`Standalone`]: the embedded process put together and running — the API server, the
//! scheduler, one worker behind a [`Funnel`], the notification delivery and the automatic
//! clean, on one SQLite store, until [`Standalone::stop`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use weft_queue::MemoryQueue;
use weft_runtime::{Runtime, RuntimeConfig};
use weft_scheduler::{SchedulerConfig, SystemClock};
use weft_server::{AppState, AuthConfig, ServerConfig};
use weft_store::{Credentials, SqliteStore, Store};
use weft_worker::{Worker, WorkerConfig, WorkerStatus};

use crate::config::StandaloneConfig;
use crate::error::StandaloneError;
use crate::{Funnel, LocalPlane};

/// The embedded process, running. Dropping it without [`stop`](Standalone::stop) leaves its
/// tasks running until the Tokio runtime ends.
pub struct Standalone {
    address: SocketAddr,
    scheme: &'static str,
    home: PathBuf,
    stop: Arc<Notify>,
    /// The API server, awaited first at the stop.
    server: JoinHandle<std::io::Result<()>>,
    /// The others, in the order they are awaited at the stop: the scheduler last.
    tasks: Vec<JoinHandle<()>>,
    sqlite: Arc<SqliteStore>,
}

impl Standalone {
    /// Open the store under the home directory, check or make its sealing key, put the
    /// process together and start it: once this returns, the API answers at
    /// [`url`](Standalone::url).
    pub async fn start(config: StandaloneConfig) -> Result<Standalone, StandaloneError> {
        let StandaloneConfig {
            home,
            address,
            auth,
            tls,
            connections,
            keys,
            runtime,
            scheduler,
            concurrency,
            hostname,
            delivery,
            clean,
        } = config;
        create_home(&home).map_err(|source| StandaloneError::Home {
            path: home.clone(),
            source,
        })?;
        let db = home.join("weft.db");
        let sqlite =
            Arc::new(
                SqliteStore::open(&db)
                    .await
                    .map_err(|source| StandaloneError::Database {
                        path: db.clone(),
                        source,
                    })?,
            );
        let store: Arc<dyn Store> = sqlite.clone();
        let credentials = Credentials::new(store.clone(), Some(keys.keyring_or_generate(&home)?));
        let check = credentials
            .check_keys(jiff::Timestamp::now())
            .await
            .map_err(StandaloneError::KeyCheck)?;
        tracing::info!(current = ?check.current, in_use = ?check.in_use, "secret key checked");

        let queue = Arc::new(Funnel::new(MemoryQueue::new()));
        let scheduler = SchedulerConfig {
            // The worker lives in this process: whatever was running when it stopped is lost.
            recover_running_on_start: true,
            ..scheduler
        };
        let (handle, service) = weft_scheduler::scheduler(
            store.clone(),
            queue.clone(),
            Arc::new(SystemClock),
            scheduler,
        );
        let mut worker_config = WorkerConfig::new(
            format!("standalone-{}", std::process::id()),
            hostname,
            Funnel::<MemoryQueue>::queues(),
        );
        if let Some(n) = concurrency {
            worker_config.concurrency = n.max(1);
        }
        // The funnel carries every task, whatever worker it asks for: this machine runs them all.
        worker_config.arch = None;
        // A sandbox per worker slot, and those of the deploys this process describes.
        let sandboxes = u32::try_from(worker_config.concurrency)
            .unwrap_or(u32::MAX)
            .saturating_add(runtime.max_concurrent_instances);
        let wasm = Arc::new(Runtime::new(RuntimeConfig {
            max_concurrent_instances: sandboxes,
            ..runtime
        })?);
        let plane = Arc::new(LocalPlane::new(
            store.clone(),
            handle.clone(),
            credentials.clone(),
        ));
        let worker = Worker::new(worker_config, wasm.clone(), queue, plane);

        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| StandaloneError::Listen { address, source })?;
        let local = listener.local_addr().map_err(StandaloneError::Address)?;
        let egress = wasm.config().egress.clone();
        // The worker runs in this process and never calls the worker API: it is closed with a
        // token nobody is told.
        let closed =
            weft_server::auth::unguessable_token().map_err(StandaloneError::ClosingWorkerApi)?;
        let server_config = ServerConfig {
            auth: AuthConfig {
                worker_tokens: vec![closed],
                ..auth
            },
            connections,
            ..ServerConfig::default()
        };
        let state = AppState::new(store.clone(), Arc::new(handle), wasm, server_config)
            .with_credentials(credentials.clone());

        let stop = Arc::new(Notify::new());
        let stopped = |stop: &Arc<Notify>| {
            let stop = stop.clone();
            async move { stop.notified().await }
        };
        let scheduler_task = tokio::spawn(service.run(stopped(&stop)));
        let registration_task = tokio::spawn(record_worker(
            store.clone(),
            worker.status(),
            jiff::Timestamp::now(),
            stopped(&stop),
        ));
        let worker_task = tokio::spawn(worker.run(stopped(&stop)));
        let cleaner_task = {
            let (store, stop) = (store.clone(), stopped(&stop));
            tokio::spawn(async move {
                if let Some(clean) = clean {
                    clean.run(store, stop).await;
                }
            })
        };
        let (server_task, scheme) =
            weft_server::spawn_serving(listener, tls, state, stopped(&stop));
        let notify_task = tokio::spawn(weft_notify::delivery::run_delivery(
            store,
            credentials,
            egress.allowed,
            egress.trust,
            delivery,
            stopped(&stop),
        ));
        let tasks = vec![
            notify_task,
            worker_task,
            registration_task,
            cleaner_task,
            scheduler_task,
        ];
        Ok(Standalone {
            address: local,
            scheme,
            home,
            stop,
            server: server_task,
            tasks,
            sqlite,
        })
    }

    /// The address the API server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The API server's base URL (`http://127.0.0.1:8080`, or `https://...`); the API is
    /// under `/api/v1`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Stop gracefully: the API finishes the requests in flight, the worker lets its running
    /// tasks finish, then the store is closed.
    pub async fn stop(self) {
        self.stop.notify_waiters();
        let _ = self.server.await;
        for task in self.tasks {
            let _ = task.await;
        }
        self.sqlite.close().await;
    }
}

/// Make the home directory `dir` if it is missing, with its missing parents, readable by its
/// owner only (`0700`): it holds the embedded store, the sealing key and the compile cache.
fn create_home(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// How often the embedded worker's record is renewed.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// The embedded worker as the workers page shows it: recorded at start and every few seconds
/// as a remote worker heartbeats, and its stop recorded when `stop` comes.
async fn record_worker(
    store: Arc<dyn Store>,
    status: WorkerStatus,
    started_at: jiff::Timestamp,
    stop: impl std::future::Future<Output = ()>,
) {
    let record = |stopped: bool| {
        weft_server::worker_api::registry::beat_record(
            weft_worker::registry::beat(&status, started_at, stopped),
            status.config().worker_id.clone(),
            jiff::Timestamp::now(),
        )
    };
    tokio::pin!(stop);
    loop {
        if let Err(e) = store.record_worker(record(false)).await {
            tracing::warn!(error = %e, "could not record the embedded worker's heartbeat");
        }
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
        }
    }
    if let Err(e) = store.record_worker(record(true)).await {
        tracing::warn!(error = %e, "could not record the embedded worker's stop");
    }
}
