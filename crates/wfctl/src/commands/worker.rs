//! `wfctl worker`: a worker of the distributed mode. It needs only a Redis URL, the API
//! server's URL and a worker token: no database credentials, no DAG folder, no Python. At
//! start it waits for Redis and then for the API server to accept its registration.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;
use jiff::Timestamp;
use weft_bus::ReportSender;
use weft_worker::api::ApiClient;
use weft_worker::{PlaneError, RemotePlane, Worker, WorkerConfig, registry};

use crate::exit::{CommandResult, Failure};
use crate::home;
use crate::services::{self, RedisArgs, Shutdown};
use crate::waiting::{self, GaveUp, Peer};

/// How often a worker tells the API server it is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// Run a worker: take tasks from the named queues and run each in a fresh sandbox. On
/// SIGTERM or Ctrl-C it stops taking tasks, lets running ones finish within the grace
/// period, and hands the rest back.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Queues to take tasks from, comma-separated.
    #[arg(long, short, env = "WEFT_QUEUES", default_value = "default")]
    queues: String,
    /// Tenants whose tasks this worker runs, comma-separated, or `*` for every tenant. Give a
    /// worker of named tenants a Redis user limited to their keys (`wfctl redis-acl`).
    #[arg(long, env = "WEFT_TENANTS", default_value = "*")]
    tenants: String,
    /// Labels of this worker, comma-separated (`gpu,ssd`; at most 4). Besides the tasks that
    /// ask for nothing, it runs those that ask for some of its labels, its architecture, or
    /// both; a task asking for a label no worker has waits in its queue until one comes.
    #[arg(long, env = "WEFT_WORKER_LABELS", default_value = "")]
    labels: String,
    /// Task attempts run at once (default: the number of cores).
    #[arg(long, short, env = "WEFT_CONCURRENCY")]
    concurrency: Option<usize>,
    /// Tasks taken ahead beyond the running ones, so a freed slot starts its next task at
    /// once (default: 4 per slot; 0: take only for free slots). A task held ahead goes back
    /// to the queue after 2 s without a free slot.
    #[arg(long, env = "WEFT_PREFETCH")]
    prefetch: Option<usize>,
    #[command(flatten)]
    redis: RedisArgs,
    /// The API server: `http://HOST:PORT`, or `https://HOST:PORT`.
    #[arg(long, env = "WEFT_SERVER")]
    server: String,
    /// The worker token the API server expects.
    #[arg(long, env = "WEFT_WORKER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// This worker's id (default: host name and process id).
    #[arg(long, env = "WEFT_WORKER_ID")]
    id: Option<String>,
    /// Seconds an attempt's lease lasts without a heartbeat: when a worker dies, its tasks run
    /// elsewhere after about this long.
    #[arg(long, env = "WEFT_TASK_LEASE", default_value_t = 30.0)]
    lease: f64,
    /// Seconds running tasks get to finish after SIGTERM before they are handed back.
    #[arg(long, env = "WEFT_GRACE", default_value_t = 30.0)]
    grace: f64,
    /// Weft's home directory (compiled components are kept there); default `$WEFT_HOME` or `~/.weft`.
    #[arg(long)]
    home: Option<PathBuf>,
    #[command(flatten)]
    egress: crate::egress::EgressArgs,
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
    #[command(flatten)]
    metrics: crate::metrics_args::MetricsArgs,
}

/// The tenants of `--tenants`: `None` for `*` (every tenant), else names checked as tenant
/// names.
fn tenants(text: &str) -> Result<Option<Vec<String>>, Failure> {
    if text.trim() == "*" {
        return Ok(None);
    }
    services::tenant_names(text, "--tenants (or `*` for every tenant)").map(Some)
}

/// The labels of `--labels`, checked.
fn labels(text: &str) -> Result<Vec<String>, Failure> {
    use weft_model::placement::{MAX_WORKER_LABELS, check_labels};
    let mut labels = services::list(text);
    labels.sort();
    labels.dedup();
    check_labels(&labels, MAX_WORKER_LABELS)
        .map_err(|e| Failure::usage(format!("--labels: {e}")))?;
    Ok(labels)
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    services::block_on(main(args))
}

async fn main(args: Args) -> CommandResult {
    let queues = services::list(&args.queues);
    if queues.is_empty() {
        return Err(Failure::usage("--queues names no queue"));
    }
    let hostname = services::hostname();
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("{hostname}-{}", std::process::id()));
    let mut config = WorkerConfig::new(id.clone(), hostname, queues);
    config.tenants = tenants(&args.tenants)?;
    config.labels = labels(&args.labels)?;
    if let Some(n) = args.concurrency {
        config.concurrency = n.max(1);
    }
    config.prefetch = args.prefetch;
    config.lease = services::seconds(args.lease, "--lease")?;
    config.grace = services::seconds(args.grace, "--grace")?;

    let trust = args.trust.trust()?;
    let api = ApiClient::new_trusting(&args.server, args.token.clone(), &trust)
        .map_err(|e| Failure::usage(format!("--server: {e}")))?;
    let queue = services::redis_queue(&args.redis.redis, &args.redis.namespace, &trust).await?;
    let bus = services::bus(&args.redis.redis, &args.redis.namespace, &trust).await?;
    let home = args.home.clone().unwrap_or_else(home::dir);
    // A sandbox per slot, and room for the descriptions of components it loads.
    let sandboxes = u32::try_from(config.concurrency)
        .unwrap_or(u32::MAX)
        .saturating_add(home::DESCRIBING_SANDBOXES);
    let wasm = Arc::new(home::runtime_in(&home, args.egress.policy()?, sandboxes)?);
    let plane = Arc::new(RemotePlane::new(api.clone(), ReportSender::new(bus)));
    let worker = Worker::new(config.clone(), wasm, queue, plane);
    let status = worker.status();
    let started_at = Timestamp::now();
    // The API server may come up after this worker: wait for it, but not for a server that
    // refuses the token, which no retry fixes.
    let server = Peer::new("the API server", &args.server);
    let registering = || registry::register(&api, &status, started_at);
    match waiting::wait_for(&server, registering).await {
        Ok(()) => {}
        Err(GaveUp {
            peer,
            source: PlaneError::Refused(why),
        }) => {
            return Err(Failure::usage(format!("{peer} refused this worker: {why}")));
        }
        Err(e) => return Err(Failure::usage(waiting::chain(&e))),
    }
    println!(
        "Weft worker {id} on {} ({}): queues {}{} of {}, concurrency {}",
        config.hostname,
        std::env::consts::ARCH,
        config.queues.join(","),
        if config.labels.is_empty() {
            String::new()
        } else {
            format!(" with labels {}", config.labels.join(","))
        },
        config.tenants.as_ref().map_or_else(
            || "every tenant".to_owned(),
            |t| format!("tenants {}", t.join(","))
        ),
        config.concurrency
    );
    let shutdown = Shutdown::default();
    // Heartbeats go on while running tasks finish, and record the stop after them.
    let finished = Shutdown::default();
    let metrics = args.metrics.serve(finished.wait()).await?;
    let beats = tokio::spawn(registry::heartbeats(
        api,
        status,
        started_at,
        HEARTBEAT_EVERY,
        finished.wait(),
    ));
    let running = tokio::spawn(worker.run(shutdown.wait()));
    services::signal().await;
    eprintln!("worker {id} stopping: letting running tasks finish");
    shutdown.trigger();
    let _ = running.await;
    finished.trigger();
    let _ = beats.await;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    Ok(())
}
