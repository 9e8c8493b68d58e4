//! `wfctl scheduler`: a scheduler process of the distributed mode, on PostgreSQL and Redis.
//! Run several for high availability: one leads, the others stand by and take over when its
//! lease runs out. At start it waits for PostgreSQL (and its schema) and for Redis.

use std::sync::Arc;

use clap::Args as ClapArgs;
use weft_bus::serve::ServeConfig;
use weft_scheduler::{Clock, Election, SchedulerConfig, SystemClock};

use crate::exit::CommandResult;
use crate::services::{self, RedisArgs, Shutdown};

/// Run a scheduler: turn schedules and triggers into runs, queue ready tasks on Redis, and
/// write what workers report. Stops gracefully on Ctrl-C or SIGTERM.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The metadata store: `postgres://USER@HOST:PORT/DB` (or `sqlite:PATH` for one machine).
    #[arg(long, env = "WEFT_DATABASE_URL")]
    database: String,
    #[command(flatten)]
    redis: RedisArgs,
    #[command(flatten)]
    metrics: crate::metrics_args::MetricsArgs,
    #[command(flatten)]
    retention: crate::retention_args::RetentionArgs,
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
    /// This scheduler's id (default: host name and process id).
    #[arg(long, env = "WEFT_SCHEDULER_ID")]
    id: Option<String>,
    /// Seconds a leader's lease lasts: a standby takes over this long after a leader dies.
    #[arg(long, env = "WEFT_LEADER_TTL", default_value_t = 10.0)]
    leader_ttl: f64,
    /// Seconds between looks for attempts whose worker stopped heartbeating.
    #[arg(long, env = "WEFT_LEASE_CHECK_INTERVAL", default_value_t = 2.0)]
    lease_check_interval: f64,
    /// Seconds an attempt stays queued, no worker having reported it, before the scheduler
    /// asks Redis whether its message is still there; one whose message is gone (evicted, or
    /// taken with its reports lost) is queued again.
    #[arg(long, env = "WEFT_REQUEUE_UNHELD_AFTER", default_value_t = 60.0)]
    requeue_unheld_after: f64,
    /// Most task instances queued or running at once (Airflow's `parallelism`).
    #[arg(long, env = "WEFT_PARALLELISM", default_value_t = 32)]
    parallelism: usize,
    /// Most task instances one scheduling step queues: a big run's ready tasks go out in
    /// slices of this many (like Airflow's `max_tis_per_query`).
    #[arg(long, env = "WEFT_MAX_TIS_PER_STEP", default_value_t = weft_scheduler::config::DEFAULT_MAX_TIS_PER_STEP, value_parser = clap::value_parser!(u32).range(1..))]
    max_tis_per_step: u32,
    /// Most instances a mapped task may expand into (Airflow's `max_map_length`).
    #[arg(long, env = "WEFT_MAX_MAP_LENGTH", default_value_t = weft_model::mapping::DEFAULT_MAX_MAP_LENGTH)]
    max_map_length: u32,
    /// Allow manual runs with a logical date in the future.
    #[arg(long, env = "WEFT_ALLOW_TRIGGER_IN_FUTURE")]
    allow_trigger_in_future: bool,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    services::block_on(main(args))
}

async fn main(args: Args) -> CommandResult {
    let ttl = services::seconds(args.leader_ttl, "--leader-ttl")?;
    let lease_check = services::seconds(args.lease_check_interval, "--lease-check-interval")?;
    let requeue_unheld_after =
        services::seconds(args.requeue_unheld_after, "--requeue-unheld-after")?;
    let trust = args.trust.trust()?;
    let store = crate::metadata::open_store(&args.database, &trust).await?;
    let attempt_keys = crate::metadata::attempt_keys_scheduler(&store).await?;
    let queue = services::redis_queue(&args.redis.redis, &args.redis.namespace, &trust).await?;
    let bus = services::bus(&args.redis.redis, &args.redis.namespace, &trust).await?;
    // Eviction or no persistence loses queued tasks: say so before leading.
    queue.check_settings().await;
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", services::hostname(), std::process::id()));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let election = Election::new(store.clone(), clock.clone(), id.clone(), ttl);
    let shutdown = Shutdown::default();
    let metrics = args.metrics.serve(shutdown.wait()).await?;
    let signal = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            services::signal().await;
            shutdown.trigger();
        })
    };
    println!("Weft scheduler {id}: standing by for the lead");
    election
        .run(shutdown.wait(), |term| {
            let config = SchedulerConfig {
                parallelism: args.parallelism,
                max_tis_per_step: args.max_tis_per_step,
                max_map_length: args.max_map_length,
                allow_trigger_in_future: args.allow_trigger_in_future,
                // Workers run elsewhere: a running attempt is lost only when its lease ends.
                recover_running_on_start: false,
                lease_check_interval: lease_check,
                requeue_unheld_after,
                // Reports the previous leader left unwritten come first (see bus::serve).
                first_lease_check_after: ttl,
                leader: Some(term.fence.clone()),
                attempt_keys: attempt_keys.clone(),
                ..SchedulerConfig::default()
            };
            let (handle, service) =
                weft_scheduler::scheduler(store.clone(), queue.clone(), clock.clone(), config);
            let (bus, id, lost) = (bus.clone(), id.clone(), term.lost());
            let served = term.lost();
            // The leader cleans the store, when asked to.
            let cleaner = {
                let (retention, store, lost) = (args.retention.clone(), store.clone(), term.lost());
                async move { retention.run(store, lost).await }
            };
            async move {
                // Where the control stream stands before the scheduler reads the store: runs
                // created and commands sent while it reads are served, not missed.
                let control_from = weft_bus::control_position(&bus).await;
                let config = ServeConfig {
                    consumer: id,
                    claim_after: ttl,
                    control_from,
                };
                let serve = weft_bus::serve(bus, handle, config, served);
                tokio::join!(service.run(lost), serve, cleaner);
            }
        })
        .await;
    signal.abort();
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    eprintln!("scheduler {id} stopped");
    Ok(())
}
