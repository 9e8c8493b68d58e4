//! `wfctl standalone`: the API server, the scheduler and a worker in one process, on SQLite
//! and the in-process queue (the embedded default).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args as ClapArgs;
use weft_queue::MemoryQueue;
use weft_scheduler::{SchedulerConfig, SystemClock};
use weft_server::{AppState, AuthConfig, ServerConfig};
use weft_standalone::{Funnel, LocalPlane};
use weft_store::{SqliteStore, Store};
use weft_worker::{Worker, WorkerConfig};

use crate::exit::{CommandResult, Failure};
use crate::home;

/// Run Weft on this machine: API server, scheduler and worker in one process (which also
/// delivers notifications, under the egress policy), with the
/// metadata in SQLite under the home directory. Connections and secrets are sealed with
/// `WEFT_SECRET_KEY` (or `WEFT_SECRET_KEY_FILE`), else with a key generated on first start
/// in `<home>/secret.key` (keep it: without it they cannot be read). Prints the server's URL; stops gracefully on
/// Ctrl-C or SIGTERM. Runs left unfinished by a crash carry on at the next start.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Port of the API server.
    #[arg(long, short, env = "WEFT_PORT", default_value_t = 8080)]
    port: u16,
    /// Address to listen on (loopback by default: without `--api-tokens`, whoever reaches
    /// the port acts as the administrator, so beyond loopback it needs --api-tokens or
    /// --insecure-no-auth).
    #[arg(long, env = "WEFT_BIND", default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    #[command(flatten)]
    admin: crate::auth_args::AdminArgs,
    #[command(flatten)]
    https: crate::https_args::HttpsArgs,
    #[command(flatten)]
    connections: crate::connection_args::ConnectionArgs,
    /// Weft's home directory (database, compiled components); default `$WEFT_HOME` or `~/.weft`.
    #[arg(long)]
    home: Option<PathBuf>,
    #[command(flatten)]
    egress: crate::egress::EgressArgs,
    #[command(flatten)]
    notify: crate::notify_args::NotifyArgs,
    #[command(flatten)]
    retention: crate::retention_args::RetentionArgs,
    #[command(flatten)]
    metrics: crate::metrics_args::MetricsArgs,
    /// Task attempts run at once (default: the number of cores).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Most task instances queued or running at once (Airflow's `parallelism`).
    #[arg(long, default_value_t = 32)]
    parallelism: usize,
    /// Most task instances one scheduling step queues: a big run's ready tasks go out in
    /// slices of this many (like Airflow's `max_tis_per_query`).
    #[arg(long, env = "WEFT_MAX_TIS_PER_STEP", default_value_t = weft_scheduler::config::DEFAULT_MAX_TIS_PER_STEP, value_parser = clap::value_parser!(u32).range(1..))]
    max_tis_per_step: u32,
    /// Most instances a mapped task may expand into (Airflow's `max_map_length`).
    #[arg(long, default_value_t = weft_model::mapping::DEFAULT_MAX_MAP_LENGTH)]
    max_map_length: u32,
    /// Allow manual runs with a logical date in the future.
    #[arg(long)]
    allow_trigger_in_future: bool,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    crate::services::block_on(serve(args))
}

async fn serve(args: Args) -> CommandResult {
    let (api_tokens, open_reads) = args.admin.tokens();
    // The embedded worker never calls the worker API, which is closed below.
    let open_worker_api = false;
    let auth = AuthConfig {
        api_tokens,
        worker_tokens: Vec::new(),
        open_reads,
    };
    args.admin
        .check_exposure(args.bind, &auth, open_worker_api)?;
    let connections = args.connections.limits()?;
    let identity = args.https.identity()?;
    let home = args.home.clone().unwrap_or_else(home::dir);
    home::create(&home)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", home.display())))?;
    let db = home.join("weft.db");
    let sqlite = Arc::new(
        SqliteStore::open(&db)
            .await
            .map_err(|e| Failure::usage(format!("cannot open {}: {e}", db.display())))?,
    );
    let store: Arc<dyn Store> = sqlite.clone();
    let credentials = crate::metadata::credentials_standalone(&store, &home).await?;
    let queue = Arc::new(Funnel::new(MemoryQueue::new()));
    let config = SchedulerConfig {
        parallelism: args.parallelism,
        max_tis_per_step: args.max_tis_per_step,
        max_map_length: args.max_map_length,
        allow_trigger_in_future: args.allow_trigger_in_future,
        // The worker lives in this process: whatever was running when it stopped is lost.
        recover_running_on_start: true,
        ..SchedulerConfig::default()
    };
    let (handle, service) =
        weft_scheduler::scheduler(store.clone(), queue.clone(), Arc::new(SystemClock), config);
    let hostname = crate::local_run::local_worker("").hostname;
    let mut worker_config = WorkerConfig::new(
        format!("standalone-{}", std::process::id()),
        hostname,
        Funnel::<MemoryQueue>::queues(),
    );
    if let Some(n) = args.concurrency {
        worker_config.concurrency = n.max(1);
    }
    // The funnel carries every task, whatever worker it asks for: this machine runs them all.
    worker_config.arch = None;
    // A sandbox per worker slot, and those of the deploys this process describes.
    let sandboxes = u32::try_from(worker_config.concurrency)
        .unwrap_or(u32::MAX)
        .saturating_add(home::DESCRIBING_SANDBOXES);
    let wasm = Arc::new(home::runtime_in(&home, args.egress.policy()?, sandboxes)?);
    let plane = Arc::new(LocalPlane::new(
        store.clone(),
        handle.clone(),
        credentials.clone(),
    ));
    let worker = Worker::new(worker_config, wasm.clone(), queue, plane);

    let address = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {address}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let egress = wasm.config().egress.clone();
    let notify_config = args.notify.config()?;
    // The worker runs in this process and never calls the worker API: it is closed with a
    // token nobody is told.
    let closed = weft_server::auth::unguessable_token()
        .map_err(|e| Failure::usage(format!("closing the worker API: {e}")))?;
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

    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = |stop: &Arc<tokio::sync::Notify>| {
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
        let (retention, store, stop) = (args.retention.clone(), store.clone(), stopped(&stop));
        tokio::spawn(async move { retention.run(store, stop).await })
    };
    let (server_task, scheme) =
        crate::https_args::spawn_api(listener, identity, state, stopped(&stop));
    let notify_task = tokio::spawn(weft_notify::delivery::run_delivery(
        store.clone(),
        credentials,
        egress.allowed,
        egress.trust,
        notify_config,
        stopped(&stop),
    ));
    println!(
        "Weft standalone: {scheme}://{local}  (home {}, API under /api/v1)",
        home.display()
    );

    let metrics_task = args.metrics.serve(stopped(&stop)).await?;

    crate::services::signal().await;
    eprintln!("shutting down: letting running tasks finish");
    stop.notify_waiters();
    let _ = server_task.await;
    let _ = notify_task.await;
    let _ = worker_task.await;
    let _ = registration_task.await;
    let _ = cleaner_task.await;
    let _ = scheduler_task.await;
    if let Some(metrics) = metrics_task {
        let _ = metrics.await;
    }
    sqlite.close().await;
    Ok(())
}

/// How often the embedded worker's record is renewed.
const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The embedded worker as the workers page shows it: recorded at start and every few seconds
/// as a remote worker heartbeats, and its stop recorded when `stop` comes.
async fn record_worker(
    store: Arc<dyn Store>,
    status: weft_worker::WorkerStatus,
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
