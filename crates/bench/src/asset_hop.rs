//! Runs started by data: a producer's task updates an asset, and the run of the DAG waiting
//! for it is created and runs. Each round posts `s3://weft/sorted.parquet` through the API
//! (the consumer's other asset), runs `asset_raw`, and waits for the `asset_report` run its
//! success starts; the hop is timed by the store's clocks.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use weft_client::api::assets::PostAssetEvent;

use crate::client::{Asked, BenchApi};
use crate::dags::Sizes;
use crate::error::BenchError;
use crate::figure::{Figure, Figures, Stat, Unit};
use crate::figures::{AssetHop, Outcome};
use crate::scenarios::{read, run_timeout};
use crate::stats::Summary;
use crate::wait::Waiter;

const SORTED: &str = "s3://weft/sorted.parquet";
const RAW: &str = "s3://weft/raw.csv";

/// `rounds` asset-triggered runs, each after one update by a producer's task, after one
/// round that is not measured (the worker compiles the two components in it).
pub fn measure(waiter: &mut Waiter<'_>, rounds: usize) -> Result<AssetHop, BenchError> {
    for path in [
        weft_test_guests_artifacts::ASSET_RAW,
        weft_test_guests_artifacts::ASSET_REPORT,
    ] {
        waiter
            .api()
            .deploy(&read(path)?)
            .asked(|| format!("deploy {path}"))?;
    }
    let (mut created, mut ended) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
        let api = waiter.api().clone();
        let before: HashSet<String> = api
            .newest_runs("asset_report", 1000)?
            .into_iter()
            .map(|r| r.run_id)
            .collect();
        let update = PostAssetEvent {
            uri: SORTED.to_owned(),
            extra: None,
        };
        api.post_asset_event(&update)
            .asked(|| format!("post an update of {SORTED}"))?;
        waiter.trigger_and_wait("asset_raw", run_timeout(1))?;
        let event = api
            .asset_events(Some(RAW), 1)
            .asked(|| format!("read the last event of {RAW}"))?;
        let written =
            event
                .events
                .first()
                .map(|e| e.created_at)
                .ok_or_else(|| BenchError::BadAnswer {
                    what: "the events of the raw asset".into(),
                    reason: "none: the producer's success gave no event".into(),
                })?;
        let run_id = new_run(waiter, &before, run_timeout(1))?;
        let run = waiter.wait_newest("asset_report", &run_id, run_timeout(1))?;
        let ms = |to: Option<Timestamp>| to.map(|t| t.duration_since(written).as_secs_f64() * 1e3);
        if round > 0 {
            created.extend(ms(Some(run.queued_at)));
            ended.extend(ms(run.ended_at));
        }
    }
    let none = || BenchError::BadAnswer {
        what: "the asset-triggered runs".into(),
        reason: "no run showed its times".into(),
    };
    Ok(AssetHop {
        rounds,
        event_to_run_created_ms: Summary::of(&created).ok_or_else(none)?,
        event_to_run_ended_ms: Summary::of(&ended).ok_or_else(none)?,
    })
}

/// The id of the `asset_report` run not among `before`, once the scheduler has made it.
fn new_run(
    waiter: &mut Waiter<'_>,
    before: &HashSet<String>,
    timeout: Duration,
) -> Result<String, BenchError> {
    let started = Instant::now();
    loop {
        let runs = waiter.api().newest_runs("asset_report", 10)?;
        if let Some(run) = runs.into_iter().find(|r| !before.contains(&r.run_id)) {
            return Ok(run.run_id);
        }
        waiter.check_alive()?;
        if started.elapsed() >= timeout {
            return Err(BenchError::Timeout {
                what: "the run an asset update starts".into(),
                seconds: timeout.as_secs_f64(),
            });
        }
        // The run is made by the scheduler's next step: ask again shortly.
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The asset hop's figures in `mode`: the event to the run it starts, and to that run's end.
pub fn rows(mode: &str, outcome: &Outcome<AssetHop>, sizes: &Sizes) -> Vec<Figure> {
    let k = sizes.chain_runs;
    let created = format!(
        "asset updated by a task → the run it starts created, store's clock, median of {k}"
    );
    Figures::new("asset_hop", mode).of(
        outcome,
        ("to_run_created", &created, Unit::Ms, None),
        |f, a| {
            let to_created = a.event_to_run_created_ms;
            f.stat(
                "to_run_created",
                &created,
                Unit::Ms,
                Stat::Median,
                to_created,
            );
            let label =
                format!("asset updated by a task → that run's end, store's clock, median of {k}");
            let to_ended = a.event_to_run_ended_ms;
            f.stat("to_run_ended", &label, Unit::Ms, Stat::Median, to_ended);
        },
    )
}
