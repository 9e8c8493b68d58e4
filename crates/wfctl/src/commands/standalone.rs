//! `wfctl standalone`: the API server, the scheduler and a worker in one process, on SQLite
//! and the in-process queue (the embedded default). The process is put together by
//! [`weft_standalone`]; this reads its flags into a [`StandaloneConfig`], prints where it
//! listens, and stops it on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use weft_scheduler::SchedulerConfig;
use weft_server::AuthConfig;
use weft_standalone::{Standalone, StandaloneConfig};
use weft_vault::KeySettings;

use crate::exit::{CommandResult, Failure};
use crate::home;
use crate::services::Shutdown;

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
    let config = args.config()?;
    let standalone = Standalone::start(config)
        .await
        .map_err(|e| Failure::usage(e.to_string()))?;
    println!(
        "Weft standalone: {}  (home {}, API under /api/v1)",
        standalone.url(),
        standalone.home().display()
    );
    let metrics_stop = Shutdown::default();
    let metrics_task = args.metrics.serve(metrics_stop.wait()).await?;

    crate::services::signal().await;
    eprintln!("shutting down: letting running tasks finish");
    metrics_stop.trigger();
    standalone.stop().await;
    if let Some(metrics) = metrics_task {
        let _ = metrics.await;
    }
    Ok(())
}

impl Args {
    /// The process these flags (and the environment) describe; a flag that does not read,
    /// or an address open beyond loopback without tokens, is an error naming it.
    fn config(&self) -> Result<StandaloneConfig, Failure> {
        let (api_tokens, open_reads) = self.admin.tokens();
        // The embedded worker never calls the worker API, which the process closes.
        let open_worker_api = false;
        let auth = AuthConfig {
            api_tokens,
            worker_tokens: Vec::new(),
            open_reads,
        };
        self.admin
            .check_exposure(self.bind, &auth, open_worker_api)?;
        let connections = self.connections.limits()?;
        let tls = self.https.identity()?;
        let home = self.home.clone().unwrap_or_else(home::dir);
        let runtime =
            home::runtime_config_in(&home, self.egress.policy()?, home::DESCRIBING_SANDBOXES)?;
        Ok(StandaloneConfig {
            address: SocketAddr::new(self.bind, self.port),
            auth,
            tls,
            connections,
            keys: KeySettings::from_env(),
            runtime,
            scheduler: SchedulerConfig {
                parallelism: self.parallelism,
                max_tis_per_step: self.max_tis_per_step,
                max_map_length: self.max_map_length,
                allow_trigger_in_future: self.allow_trigger_in_future,
                ..SchedulerConfig::default()
            },
            concurrency: self.concurrency,
            hostname: crate::local_run::local_worker("").hostname,
            delivery: self.notify.config()?,
            clean: self.retention.auto_clean(),
            home,
        })
    }
}
