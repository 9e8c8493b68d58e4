//! `wfctl`: Weft's command-line tool. The binary only parses flags and dispatches; each
//! subcommand lives in a module of its own under `commands/`.

mod access_env;
mod auth_args;
mod client;
mod commands;
mod config;
#[cfg(feature = "control-plane")]
mod connection_args;
mod egress;
mod exit;
mod home;
#[cfg(feature = "control-plane")]
mod https_args;
mod inputs;
mod local_run;
#[cfg(feature = "control-plane")]
mod metadata;
mod metrics_args;
#[cfg(feature = "control-plane")]
mod notify_args;
mod output;
#[cfg(feature = "control-plane")]
mod postgres_tls;
#[cfg(feature = "control-plane")]
mod retention_args;
mod sdk_files;
mod services;
mod sql_limits;
mod trust;
mod waiting;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Weft: workflows whose tasks run as sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "wfctl", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a DAG project (Rust, Python, TypeScript or C) into a component.
    Build(commands::build::Args),
    /// Make a new DAG project (Python, TypeScript or Rust) that builds outside Weft's repository.
    New(commands::new::Args),
    /// Validate a DAG component and print its DAG.
    Inspect(commands::inspect::Args),
    /// Run one task of a DAG component in the sandbox.
    Run(commands::run::Args),
    /// Run a whole DAG locally, in dependency order, like `airflow dags test`.
    Test(commands::test::Args),
    /// Run Weft on this machine: API server, scheduler and worker in one process.
    #[cfg(feature = "control-plane")]
    Standalone(commands::standalone::Args),
    /// Deploy a DAG component to a Weft server.
    Deploy(commands::deploy::Args),
    /// List, show, pause, unpause, trigger and backfill DAGs on a Weft server.
    Dags(commands::dags::Args),
    /// List and show DAG runs on a Weft server.
    Runs(commands::runs::Args),
    /// Read task logs and clear tasks on a Weft server.
    Tasks(commands::tasks::Args),
    /// Get, set, list and delete variables on a Weft server.
    Variables(commands::variables::Args),
    /// List assets and their events, and post events, on a Weft server.
    Assets(commands::assets::Args),
    /// Add, show, list, delete and import connections on a Weft server.
    Connections(commands::connections::Args),
    /// Set, list and delete secrets on a Weft server; rotate the key that seals them.
    Secrets(commands::secrets::Args),
    /// Run the API server of a distributed installation (PostgreSQL and Redis).
    #[cfg(feature = "control-plane")]
    Server(commands::server::Args),
    /// Run a scheduler of a distributed installation; several may run for high availability.
    #[cfg(feature = "control-plane")]
    Scheduler(commands::scheduler::Args),
    /// Look after the metadata store: remove old runs, logs and unused components.
    #[cfg(feature = "control-plane")]
    Db(commands::db::Args),
    /// Run a worker: take tasks from Redis queues and run them in the sandbox.
    Worker(commands::worker::Args),
    /// Print or make the Redis user of a worker that serves named tenants only.
    RedisAcl(commands::redis_acl::Args),
    /// List the workers a server knows, with their queues, load and last heartbeat.
    Workers(commands::workers::Args),
    /// Make, list and revoke the API tokens of your tenant (its admins).
    Tokens(commands::tokens::Args),
    /// Make, list and delete tenants, and give them tokens (the installation administrator).
    Tenants(commands::tenants::Args),
    /// Show the tenant and role of the token in use.
    Whoami(commands::tokens::WhoamiArgs),
}

/// The `log` crate's level for a `tracing` filter's most verbose level (`None`: no hint, all).
fn log_level(most: Option<tracing::level_filters::LevelFilter>) -> log::LevelFilter {
    use tracing::level_filters::LevelFilter;
    match most {
        Some(LevelFilter::OFF) => log::LevelFilter::Off,
        Some(LevelFilter::ERROR) => log::LevelFilter::Error,
        Some(LevelFilter::WARN) => log::LevelFilter::Warn,
        Some(LevelFilter::INFO) => log::LevelFilter::Info,
        Some(LevelFilter::DEBUG) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

fn main() -> ExitCode {
    {
        use tracing_subscriber::Layer as _;
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        // What a starting process waits for, and when it comes, is shown by default.
        let shown = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
            .unwrap_or_else(|_| "warn,wfctl::waiting=info".into());
        let most_shown = shown.max_level_hint();
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(shown),
            )
            // Store and queue call latencies, for /metrics, whatever the log shows.
            .with(weft_metrics::spans::layer())
            .init();
        // Records of the `log` crate only ever reach the log shown: those it would not show
        // stop at `log`'s own level check. Cranelift and wasmtime log through it from their
        // compile loops, where handing each record to the subscriber made compiles several
        // times slower.
        log::set_max_level(log_level(most_shown));
    }
    // The Redis client's TLS asks rustls for the process's provider.
    weft_tls::install_default_provider();
    // Flags beat `WEFT_*` variables, which beat the config file (`config` module).
    let cli: Cli = match config::parse() {
        Ok(cli) => cli,
        Err(e) => return exit::finish(Err(e.into())),
    };
    let result = match cli.command {
        Command::Build(args) => commands::build::run(args),
        Command::New(args) => commands::new::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Test(args) => commands::test::run(args),
        #[cfg(feature = "control-plane")]
        Command::Standalone(args) => commands::standalone::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::Dags(args) => commands::dags::run(args),
        Command::Runs(args) => commands::runs::run(args),
        Command::Tasks(args) => commands::tasks::run(args),
        Command::Variables(args) => commands::variables::run(args),
        Command::Assets(args) => commands::assets::run(args),
        Command::Connections(args) => commands::connections::run(args),
        Command::Secrets(args) => commands::secrets::run(args),
        #[cfg(feature = "control-plane")]
        Command::Server(args) => commands::server::run(args),
        #[cfg(feature = "control-plane")]
        Command::Scheduler(args) => commands::scheduler::run(args),
        #[cfg(feature = "control-plane")]
        Command::Db(args) => commands::db::run(args),
        Command::Worker(args) => commands::worker::run(args),
        Command::Workers(args) => commands::workers::run(args),
        Command::RedisAcl(args) => commands::redis_acl::run(args),
        Command::Tokens(args) => commands::tokens::run(args),
        Command::Tenants(args) => commands::tenants::run(args),
        Command::Whoami(args) => commands::tokens::whoami(args),
    };
    exit::finish(result)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command's flags are well formed: unique names, valid defaults and groups (clap
    /// checks these only when a command is built, which a flag added to a shared set of flags
    /// could otherwise break for commands no test runs).
    #[test]
    fn every_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_log_crate_stops_at_the_most_verbose_level_shown() {
        use tracing::level_filters::LevelFilter;
        let cases = [
            (Some(LevelFilter::OFF), log::LevelFilter::Off),
            (Some(LevelFilter::ERROR), log::LevelFilter::Error),
            (Some(LevelFilter::WARN), log::LevelFilter::Warn),
            (Some(LevelFilter::INFO), log::LevelFilter::Info),
            (Some(LevelFilter::DEBUG), log::LevelFilter::Debug),
            (Some(LevelFilter::TRACE), log::LevelFilter::Trace),
            (None, log::LevelFilter::Trace),
        ];
        for (most, expected) in cases {
            assert_eq!(super::log_level(most), expected, "{most:?}");
        }
        // The default filter shows at most info (what a starting process waits for).
        let default = tracing_subscriber::EnvFilter::new("warn,wfctl::waiting=info");
        assert_eq!(
            super::log_level(default.max_level_hint()),
            log::LevelFilter::Info
        );
    }
}
