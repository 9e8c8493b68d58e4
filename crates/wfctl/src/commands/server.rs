//! `wfctl server`: the API server of the distributed mode, on PostgreSQL and Redis.
//! Run as many as you like behind a load balancer: they share nothing but the store and Redis.
//! At start it waits for PostgreSQL (and its schema) and for Redis before it listens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;
use weft_scheduler::SystemClock;
use weft_server::{AppState, AuthConfig, ServerConfig};

use crate::exit::{CommandResult, Failure};
use crate::home;
use crate::services::{self, RedisArgs, Shutdown};

/// Run the API server: deploys, triggers, runs, logs, variables, connections and secrets,
/// the delivery of run and task notifications (webhooks and emails, under the egress policy),
/// and the worker API (components by digest, XCom, variables, an attempt's connections and
/// secrets, worker heartbeats). Stops gracefully on Ctrl-C or SIGTERM. Connections and
/// secrets are sealed with `WEFT_SECRET_KEY` (base64 of 32 bytes) or `WEFT_SECRET_KEY_FILE`,
/// the same on every server; `WEFT_SECRET_KEY_PREVIOUS` holds old keys during a rotation. It
/// refuses to start when the database holds values sealed with another key, or with no key
/// configured.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The metadata store: `postgres://USER@HOST:PORT/DB` (or `sqlite:PATH` for one machine).
    #[arg(long, env = "WEFT_DATABASE_URL")]
    database: String,
    #[command(flatten)]
    redis: RedisArgs,
    /// Address to listen on. Beyond loopback the server needs --api-tokens and
    /// --worker-tokens (or --insecure-no-auth).
    #[arg(long, env = "WEFT_BIND", default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long, short, env = "WEFT_PORT", default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    https: crate::https_args::HttpsArgs,
    #[command(flatten)]
    connections: crate::connection_args::ConnectionArgs,
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
    #[command(flatten)]
    admin: crate::auth_args::AdminArgs,
    /// Tokens workers present, comma-separated (none: the worker API is open, which the
    /// server refuses beyond loopback unless --insecure-no-auth is given).
    #[arg(
        long,
        env = "WEFT_WORKER_TOKENS",
        default_value = "",
        hide_env_values = true
    )]
    worker_tokens: String,
    /// Weft's home directory (compiled components); default `$WEFT_HOME` or `~/.weft`.
    #[arg(long)]
    home: Option<PathBuf>,
    #[command(flatten)]
    egress: crate::egress::EgressArgs,
    #[command(flatten)]
    notify: crate::notify_args::NotifyArgs,
    /// Seconds a clear or mark waits for the scheduler's answer.
    #[arg(long, default_value_t = 10.0)]
    command_timeout: f64,
    /// Allow manual runs with a logical date in the future.
    #[arg(long, env = "WEFT_ALLOW_TRIGGER_IN_FUTURE")]
    allow_trigger_in_future: bool,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    services::block_on(main(args))
}

async fn main(args: Args) -> CommandResult {
    let timeout = services::seconds(args.command_timeout, "--command-timeout")?;
    let (api_tokens, open_reads) = args.admin.tokens();
    let auth = AuthConfig {
        api_tokens,
        worker_tokens: services::list(&args.worker_tokens),
        open_reads,
    };
    args.admin.check_exposure(args.bind, &auth, true)?;
    let connections = args.connections.limits()?;
    let identity = args.https.identity()?;
    let trust = args.trust.trust()?;
    let store = crate::metadata::open_store(&args.database, &trust).await?;
    let (credentials, attempt_keys) = crate::metadata::credentials_server(&store).await?;
    let bus = services::bus(&args.redis.redis, &args.redis.namespace, &trust).await?;
    let home = args.home.clone().unwrap_or_else(home::dir);
    let wasm = Arc::new(home::describing_runtime_in(&home, args.egress.policy()?)?);
    let control = weft_server::BusControl::new(
        bus,
        store.clone(),
        Arc::new(SystemClock),
        args.allow_trigger_in_future,
        timeout,
    );
    let config = ServerConfig {
        auth,
        worker_dead_after: Duration::from_secs(30),
        connections,
        ..ServerConfig::default()
    };
    let egress = wasm.config().egress.clone();
    let notify_config = args.notify.config()?;
    let mut state = AppState::new(store.clone(), Arc::new(control), wasm, config)
        .with_credentials(credentials.clone());
    if let Some(keys) = attempt_keys {
        state = state.with_attempt_keys(keys);
    }
    let address = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {address}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let shutdown = Shutdown::default();
    let (server, scheme) = weft_server::spawn_serving(listener, identity, state, shutdown.wait());
    println!("Weft server: {scheme}://{local}  (API under /api/v1)");
    let notify = tokio::spawn(weft_notify::delivery::run_delivery(
        store,
        credentials,
        egress.allowed,
        egress.trust,
        notify_config,
        shutdown.wait(),
    ));
    services::signal().await;
    shutdown.trigger();
    let _ = server.await;
    let _ = notify.await;
    Ok(())
}
