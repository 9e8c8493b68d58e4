//! Fair share between tenants: tenant `flood` triggers runs of the big fan at once (20,000
//! tasks in the full benchmark; five floods or more one after the other) while tenant
//! `probe` triggers one single-task run every [`PERIOD`] and waits for each. `probe`'s
//! round trips with the scheduler idle (in slices between the floods, so that idle and
//! flooded probes sample the same stretch of the machine's time) and during the flood show
//! how long another tenant's backlog holds a task back, in time and in the steps the
//! scheduler took meanwhile (`weft_scheduler_step_seconds_count` before the trigger and
//! after the answer); `flood`'s tasks per second against the same flood's with `probe` idle
//! (a flood alone beside each probed one) show what sharing costs it. Beside each probed
//! flood too, the same flood runs in an installation next door (the same mode, on this
//! machine, with its own store, queue and processes) while `probe` probes this one: the
//! cores as busy, nothing queued ahead of it here. Its round trips then, against those
//! during the flood, tell what sharing the installation costs `probe` from what sharing the
//! machine does. The installation next door is up, idle, through the other floods and probes
//! too.

use std::thread;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::json;
use weft_client::Client;
use weft_client::api::runs::RunView;
use weft_client::api::tokens::NewToken;
use weft_model::DagRunState;

use crate::breakdown::span;
use crate::client::{Asked, BenchApi};
use crate::dags::{self, Sizes};
use crate::error::BenchError;
use crate::figure::{self, Figure, Stat, Unit};
use crate::figures::{FairShare, Outcome, ProbeAt, ProbeHops, SLOWEST_PROBES};
use crate::install::Installation;
use crate::scenarios::{self, run_timeout};
use crate::stats::Summary;
use crate::wait::{WAIT_SLICE, Waiter};
use crate::{format, goals};

/// How often the probing tenant triggers its run.
pub const PERIOD: Duration = Duration::from_millis(100);

/// Longest the idle probes wait for the scheduler to be still after a flood.
const SETTLE: Duration = Duration::from_secs(2);

/// The two tenants, made through the administrator's API (the installation's client).
const FLOOD: &str = "bench-flood";
const PROBE: &str = "bench-probe";

/// Measure; `single_tenant_tasks_per_s` is the big fan's figure alone, reported beside the
/// flood's.
pub fn measure(
    waiter: &mut Waiter<'_>,
    sizes: &Sizes,
    single_tenant_tasks_per_s: Option<f64>,
) -> Result<FairShare, BenchError> {
    let big = sizes.big_fan;
    let flood = tenant(waiter.api(), FLOOD)?;
    let probe = tenant(waiter.api(), PROBE)?;
    deploy(&flood, big.path)?;
    deploy(&probe, dags::SINGLE.path)?;
    // The probe's first run warms its tenant's path; not measured.
    probe_once(&probe, waiter.installation(), None)?;
    // The idle probes go in slices, one before the floods and one after each round of them,
    // so that they sample the same stretch of the machine's time as the flooded ones: a
    // slower spell of this machine then weighs on both alike. The slices of the rounds asked
    // for make the idle probes asked for; rounds past those add theirs.
    let at_least = sizes.fair_share_floods.max(1);
    let idle_slice = sizes.fair_share_probes.div_ceil(at_least + 1);
    let mut idle_probes = Vec::with_capacity(idle_slice * (at_least + 1));
    probe_idle(waiter, &probe, idle_slice, &mut idle_probes)?;

    let runs = sizes.fair_share_flood_runs;
    let tasks = big.tasks * runs;
    // The same floods in an installation next door, on this machine, while `probe` probes
    // this one: its first run, unmeasured, warms it as the big fan alone warmed this one.
    let mut next_door = waiter.installation().next_door("next-door")?;
    let next_door_flood = tenant(&next_door.installation.api, FLOOD)?;
    deploy(&next_door_flood, big.path)?;
    flood_alone(
        &mut Waiter::new(&mut next_door.installation),
        &next_door_flood,
        big.dag_id,
        1,
        big.tasks,
    )?;
    let mut next_door_probes = Vec::new();
    let mut next_door_s = Vec::new();
    let mut flood_next_door = |waiter: &mut Waiter<'_>| -> Result<(), BenchError> {
        let (probes, span) = flood_once(
            waiter,
            Some(&mut next_door.installation),
            &next_door_flood,
            &probe,
            big.dag_id,
            runs,
            tasks,
        )?;
        next_door_probes.extend(probes);
        next_door_s.push(span);
        Ok(())
    };
    let mut flooded_probes = Vec::new();
    let mut floods_s = Vec::new();
    let mut alone_s = Vec::new();
    // At least the floods asked for and the probes asked for, an odd number of floods, and
    // no more than three times the floods asked for.
    while floods_s.len() < at_least
        || ((flooded_probes.len() < sizes.fair_share_flooded_probes || floods_s.len() % 2 == 0)
            && floods_s.len() < 3 * at_least)
    {
        // Around each probed flood, the same flood with the probing tenant idle (for the
        // flood's ratio) and the same flood next door (for the probe's): one before it and
        // the other after it, swapped pair by pair, so that stores growing flood by flood
        // weigh on each alike.
        let alone_first = floods_s.len() % 2 == 0;
        if alone_first {
            alone_s.push(flood_alone(waiter, &flood, big.dag_id, runs, tasks)?);
        } else {
            flood_next_door(waiter)?;
        }
        let (probes, flood_s) = flood_once(waiter, None, &flood, &probe, big.dag_id, runs, tasks)?;
        flooded_probes.extend(probes);
        floods_s.push(flood_s);
        if alone_first {
            flood_next_door(waiter)?;
        } else {
            alone_s.push(flood_alone(waiter, &flood, big.dag_id, runs, tasks)?);
        }
        probe_idle(waiter, &probe, idle_slice, &mut idle_probes)?;
    }
    drop(next_door);
    // A flood whose times could not be read leaves the rate unknown, not the median of the
    // others.
    let median = |spans: &[Option<f64>]| {
        let spans: Option<Vec<f64>> = spans.iter().copied().collect();
        spans.as_deref().and_then(Summary::of).map(|s| s.median)
    };
    let figures = Figures {
        tasks,
        floods: floods_s.len(),
        flood_s: median(&floods_s),
        alone_s: median(&alone_s),
        next_door_s: median(&next_door_s),
        single_tenant_tasks_per_s,
    };
    figures.of(&probe, &idle_probes, &flooded_probes, &next_door_probes)
}

/// `count` probes one [`PERIOD`] apart, with nothing flooding, added to `idle`; first, the
/// scheduler is given up to [`SETTLE`] to be still (no step for one period), so that the
/// tail of a flood that has just ended is not counted as idle.
fn probe_idle(
    waiter: &mut Waiter<'_>,
    probe: &Client,
    count: usize,
    idle: &mut Vec<Probe>,
) -> Result<(), BenchError> {
    let settle_until = Instant::now() + SETTLE;
    let mut steps = waiter.installation().scheduler_steps()?;
    while Instant::now() < settle_until {
        thread::sleep(PERIOD);
        let now = waiter.installation().scheduler_steps()?;
        if now == steps {
            break;
        }
        steps = now;
    }
    let mut next = Instant::now();
    for _ in 0..count {
        idle.push(probe_once(probe, waiter.installation(), None)?);
        next = pace(next);
    }
    waiter.check_alive()
}

/// One flood: `flood` triggers `runs` runs of `dag_id` (`tasks` in all) at once while `probe`
/// probes until they have ended; the probes sent before the flood's end, and the flood's
/// span by the store's clock, if its runs' times were read. `flood` acts in the installation
/// next door when `next_door` is given (checked alive beside `waiter`'s), else in `probe`'s.
fn flood_once(
    waiter: &mut Waiter<'_>,
    mut next_door: Option<&mut Installation>,
    flood: &Client,
    probe: &Client,
    dag_id: &str,
    runs: usize,
    tasks: usize,
) -> Result<(Vec<Probe>, Option<f64>), BenchError> {
    let started = Instant::now();
    let mut flood_runs = Vec::with_capacity(runs);
    for _ in 0..runs {
        flood_runs.push(flood.trigger_now(dag_id)?);
    }
    let mut flooded_probes = Vec::new();
    let mut next = Instant::now();
    let deadline = started + run_timeout(tasks);
    loop {
        flooded_probes.push(probe_once(probe, waiter.installation(), Some(started))?);
        next = pace(next);
        if flooded_probes.len() % 10 == 0 || Instant::now() > deadline {
            let ended = ended_runs(flood, dag_id, &flood_runs)?;
            if ended.len() == flood_runs.len() {
                // The flood is looked at every tenth probe: the last few may have been sent
                // after it ended, and are not probes during the flood.
                if let Some(end) = ended.iter().filter_map(|r| r.ended_at).max() {
                    flooded_probes.retain(|p| p.sent < end);
                }
                return Ok((flooded_probes, flood_seconds(&ended)));
            }
            if Instant::now() > deadline {
                return Err(BenchError::BadAnswer {
                    what: format!(
                        "tenant {FLOOD}'s {runs} runs of {dag_id}{}",
                        if next_door.is_some() {
                            " next door"
                        } else {
                            ""
                        }
                    ),
                    reason: format!("{} of them ended in {:?}", ended.len(), run_timeout(tasks)),
                });
            }
            waiter.check_alive()?;
            if let Some(next_door) = next_door.as_deref_mut() {
                next_door.check_alive()?;
            }
        }
    }
}

/// One flood with nobody probing: `flood` triggers `runs` runs of `dag_id` (`tasks` in all)
/// at once and waits for them to succeed; its span by the store's clock, if every run's
/// times were read.
fn flood_alone(
    waiter: &mut Waiter<'_>,
    flood: &Client,
    dag_id: &str,
    runs: usize,
    tasks: usize,
) -> Result<Option<f64>, BenchError> {
    let mut flood_runs = Vec::with_capacity(runs);
    for _ in 0..runs {
        flood_runs.push(flood.trigger_now(dag_id)?);
    }
    waiter.acting_as(flood, |w| {
        w.wait_all(dag_id, &flood_runs, run_timeout(tasks))
    })?;
    let ended = ended_runs(flood, dag_id, &flood_runs)?;
    if ended.len() < flood_runs.len() {
        return Ok(None);
    }
    Ok(flood_seconds(&ended))
}

/// A client acting as an editor of tenant `name`, which it makes if it does not exist.
fn tenant(admin: &Client, name: &str) -> Result<Client, BenchError> {
    match admin.create_tenant(&json!({ "name": name })) {
        Err(e) if e.status() != Some(409) => {
            return Err(e).asked(|| format!("make tenant {name}"));
        }
        _ => {}
    }
    let new = NewToken {
        name: "benchmark".to_owned(),
        role: "editor".to_owned(),
        expires_in: None,
    };
    let made = admin
        .create_tenant_token(name, &new)
        .asked(|| format!("make a token of tenant {name}"))?;
    Ok(admin.clone().with_token(Some(made.token)))
}

/// Deploy the component at `path` as `tenant`.
fn deploy(tenant: &Client, path: &str) -> Result<(), BenchError> {
    tenant
        .deploy(&scenarios::read(path)?)
        .asked(|| format!("deploy {path}"))?;
    Ok(())
}

/// One probe's round trip.
struct Probe {
    /// Its run.
    run_id: String,
    /// When the trigger was sent, by the wall clock (the store's).
    sent: Timestamp,
    /// The round trip in ms.
    ms: f64,
    /// From its flood's first trigger to its own, if it was sent during a flood.
    into_flood: Option<Duration>,
    /// Steps the scheduler took from just before the trigger to just after the answer.
    steps: u64,
}

/// Trigger one single-task run as `probe` and wait for it to succeed; `flood_started`, when
/// the flood it is sent during was (just before its first trigger).
fn probe_once(
    probe: &Client,
    installation: &Installation,
    flood_started: Option<Instant>,
) -> Result<Probe, BenchError> {
    let dag = dags::SINGLE;
    let steps_before = installation.scheduler_steps()?;
    let sent = Timestamp::now();
    let started = Instant::now();
    let into_flood = flood_started.map(|flood| started.saturating_duration_since(flood));
    let run_id = probe.trigger_now(dag.dag_id)?;
    let deadline = started + run_timeout(dag.tasks);
    loop {
        let run = probe.wait_run(dag.dag_id, &run_id, WAIT_SLICE)?;
        if run.state == DagRunState::Success {
            let ms = started.elapsed().as_secs_f64() * 1e3;
            let steps = installation.scheduler_steps()?.saturating_sub(steps_before);
            return Ok(Probe {
                run_id,
                sent,
                ms,
                into_flood,
                steps,
            });
        }
        if run.state.is_finished() || Instant::now() > deadline {
            return Err(BenchError::BadAnswer {
                what: format!("tenant {PROBE}'s run {run_id}"),
                reason: format!("it is {} after {:?}", run.state, started.elapsed()),
            });
        }
    }
}

/// Where `probed`'s round trip went, from its run's times in the store; none if they
/// cannot be read or one is missing.
fn hops(probe: &Client, probed: &Probe) -> Option<ProbeHops> {
    let detail = probe.run_detail(dags::SINGLE.dag_id, &probed.run_id).ok()?;
    let task = detail.task_instances.first()?;
    let run = &detail.run;
    let answered = probed
        .sent
        .checked_add(jiff::SignedDuration::from_secs_f64(probed.ms / 1e3))
        .ok();
    Some(ProbeHops {
        round_trip_ms: probed.ms,
        to_created_ms: span(Some(probed.sent), Some(run.queued_at))?,
        created_to_queued_ms: span(Some(run.queued_at), task.queued_at)?,
        queued_to_started_ms: span(task.queued_at, task.started_at)?,
        started_to_ended_ms: span(task.started_at, task.ended_at)?,
        ended_to_run_ended_ms: span(task.ended_at, run.ended_at)?,
        to_answered_ms: span(run.ended_at, answered)?,
    })
}

/// What the figures need besides the probes.
struct Figures {
    /// A flood's tasks.
    tasks: usize,
    /// Floods measured.
    floods: usize,
    /// The median flood's span by the store's clock, in s, if its runs' times were read.
    flood_s: Option<f64>,
    /// The same of the floods alone, nobody probing.
    alone_s: Option<f64>,
    /// The same of the floods next door.
    next_door_s: Option<f64>,
    /// The big fan's tasks per second with one tenant alone, if measured.
    single_tenant_tasks_per_s: Option<f64>,
}

impl Figures {
    /// The figures of the `idle` probes, the `flooded` ones and those during the floods
    /// `next_door`.
    fn of(
        &self,
        probe: &Client,
        idle: &[Probe],
        flooded: &[Probe],
        next_door: &[Probe],
    ) -> Result<FairShare, BenchError> {
        let none = |what: &str| BenchError::BadAnswer {
            what: format!("fair share: {what}"),
            reason: "nothing was measured".to_owned(),
        };
        let ms = |probes: &[Probe]| Summary::of(&probes.iter().map(|p| p.ms).collect::<Vec<_>>());
        let steps = |probes: &[Probe]| {
            Summary::of(&probes.iter().map(|p| p.steps as f64).collect::<Vec<_>>())
        };
        // The hops are a view of the figures, not one of them: a probe whose times cannot be
        // read is left out of them.
        let read = |probes: &[Probe]| {
            probes
                .iter()
                .filter_map(|p| hops(probe, p))
                .collect::<Vec<_>>()
        };
        let flood_s = self.flood_s.ok_or_else(|| none("the flood's times"))?;
        let flooded_hops = read(flooded);
        Ok(FairShare {
            flood_tasks: self.tasks,
            floods: self.floods,
            probe_idle_ms: ms(idle).ok_or_else(|| none("the idle probes"))?,
            probe_flooded_ms: ms(flooded).ok_or_else(|| none("the probes during the flood"))?,
            probe_next_door_ms: ms(next_door),
            flood_s,
            flood_tasks_per_s: self.tasks as f64 / flood_s,
            flood_alone_tasks_per_s: self.alone_s.map(|s| self.tasks as f64 / s),
            next_door_flood_tasks_per_s: self.next_door_s.map(|s| self.tasks as f64 / s),
            single_tenant_tasks_per_s: self.single_tenant_tasks_per_s,
            slowest_probe: flooded_hops
                .iter()
                .max_by(|a, b| a.round_trip_ms.total_cmp(&b.round_trip_ms))
                .cloned(),
            slowest_probes_at: slowest_at(flooded),
            idle_hop_medians: median_hops(&read(idle)),
            flooded_hop_medians: median_hops(&flooded_hops),
            next_door_hop_medians: median_hops(&read(next_door)),
            probe_idle_steps: steps(idle),
            probe_flooded_steps: steps(flooded),
        })
    }
}

/// The slowest of `flooded` (up to [`SLOWEST_PROBES`]), slowest first, with when each was
/// sent into its flood; a probe not sent during a flood is left out.
fn slowest_at(flooded: &[Probe]) -> Vec<ProbeAt> {
    let mut at: Vec<ProbeAt> = flooded
        .iter()
        .filter_map(|p| {
            Some(ProbeAt {
                into_flood_ms: p.into_flood?.as_secs_f64() * 1e3,
                round_trip_ms: p.ms,
            })
        })
        .collect();
    at.sort_by(|a, b| b.round_trip_ms.total_cmp(&a.round_trip_ms));
    at.truncate(SLOWEST_PROBES);
    at
}

/// Each hop's median over `all` (the round trip's too); none if `all` is empty. Medians need
/// not add up to the round trip's median.
fn median_hops(all: &[ProbeHops]) -> Option<ProbeHops> {
    let median = |hop: fn(&ProbeHops) -> f64| {
        Summary::of(&all.iter().map(hop).collect::<Vec<_>>()).map(|s| s.median)
    };
    Some(ProbeHops {
        round_trip_ms: median(|h| h.round_trip_ms)?,
        to_created_ms: median(|h| h.to_created_ms)?,
        created_to_queued_ms: median(|h| h.created_to_queued_ms)?,
        queued_to_started_ms: median(|h| h.queued_to_started_ms)?,
        started_to_ended_ms: median(|h| h.started_to_ended_ms)?,
        ended_to_run_ended_ms: median(|h| h.ended_to_run_ended_ms)?,
        to_answered_ms: median(|h| h.to_answered_ms)?,
    })
}

/// Sleep until `next` (now if it has passed); the time after that, one period on.
fn pace(next: Instant) -> Instant {
    let next = next + PERIOD;
    thread::sleep(next.saturating_duration_since(Instant::now()));
    next.max(Instant::now())
}

/// The flood's runs that have ended, as the run list shows them.
fn ended_runs(
    flood: &Client,
    dag_id: &str,
    run_ids: &[String],
) -> Result<Vec<RunView>, BenchError> {
    let limit = u32::try_from(run_ids.len()).unwrap_or(u32::MAX);
    let runs = flood.newest_runs(dag_id, limit)?;
    let ended: Vec<RunView> = runs
        .into_iter()
        .filter(|r| run_ids.contains(&r.run_id) && r.state.is_finished())
        .collect();
    if let Some(failed) = ended.iter().find(|r| r.state != DagRunState::Success) {
        return Err(BenchError::BadAnswer {
            what: format!("tenant {FLOOD}'s run {}", failed.run_id),
            reason: format!("it ended {}", failed.state),
        });
    }
    Ok(ended)
}

/// From the first flood run's creation to the last one's end, by the store's clock, in s.
fn flood_seconds(ended: &[RunView]) -> Option<f64> {
    let first = ended.iter().map(|r| r.queued_at).min()?;
    let last = ended.iter().filter_map(|r| r.ended_at).max()?;
    Some((last.as_nanosecond() - first.as_nanosecond()) as f64 / 1e9)
}

/// The fair share's figures in `mode`: the probing tenant's round trips idle, flooded and
/// next door, their ratios (judged by the goals), the scheduler steps, the slowest probes
/// and each hop's median, and the flood's rate against the same flood alone.
pub fn rows(mode: &str, outcome: &Outcome<FairShare>, sizes: &Sizes) -> Vec<Figure> {
    let n = format::number((sizes.big_fan.tasks * sizes.fair_share_flood_runs) as f64);
    let ratio = "fair share: the probe's p99 while flooded / idle";
    let goal = Some(goals::FAIR_SHARE_P99_RATIO);
    figure::Figures::new("fair_share", mode).of(
        outcome,
        ("p99_ratio", ratio, Unit::Ratio, goal),
        |f, fs| {
            let flooded = format!("while another tenant's {n} tasks flood");
            let next_door = "while the same floods run in an installation next door (the cores \
                             as busy, nothing queued ahead in its own)";
            let round_trips = [
                ("idle", "idle", Some(fs.probe_idle_ms)),
                ("flooded", flooded.as_str(), Some(fs.probe_flooded_ms)),
                ("next_door", next_door, fs.probe_next_door_ms),
            ];
            for (key, when, samples) in round_trips {
                let Some(samples) = samples else { continue };
                let label = format!("fair share: a tenant's single-task round trip p50, {when}");
                f.stat(
                    &format!("{key}/p50"),
                    &label,
                    Unit::Ms,
                    Stat::Median,
                    samples,
                );
                let label = format!("fair share: the same, p99, {when}");
                f.stat(&format!("{key}/p99"), &label, Unit::Ms, Stat::P99, samples);
                let label = format!("fair share: probes {when}");
                f.number(
                    &format!("{key}/probes"),
                    &label,
                    Unit::Count,
                    samples.count as f64,
                );
            }
            f.number("p99_ratio", ratio, Unit::Ratio, fs.p99_ratio())
                .with_goal(goals::FAIR_SHARE_P99_RATIO);
            if let Some(r) = fs.next_door_p99_ratio() {
                let label = "fair share: the probe's p99 while flooded / while flooded next door";
                f.number("next_door_p99_ratio", label, Unit::Ratio, r)
                    .with_goal(goals::FAIR_SHARE_NEXT_DOOR_P99_RATIO);
            }
            if let Some(r) = fs.next_door_flood_tasks_per_s {
                let label = "fair share: the floods' rate next door";
                f.number("next_door_tasks_per_s", label, Unit::TasksPerS, r);
            }
            for (key, when, steps) in [
                ("idle", "idle", fs.probe_idle_steps),
                ("flooded", "during the flood", fs.probe_flooded_steps),
            ] {
                let Some(steps) = steps else { continue };
                let label = format!(
                    "fair share: scheduler steps during a probe's round trip (trigger → answer), \
                     median, {when}"
                );
                f.stat(
                    &format!("{key}/steps"),
                    &label,
                    Unit::Count,
                    Stat::Median,
                    steps,
                );
                let label = format!("fair share: the same steps, max, {when}");
                f.stat(
                    &format!("{key}/steps_max"),
                    &label,
                    Unit::Count,
                    Stat::Max,
                    steps,
                );
            }
            if let Some(h) = &fs.slowest_probe {
                hop_rows(f, "slowest", "the slowest round trip during the flood", h);
            }
            for (i, p) in fs.slowest_probes_at.iter().enumerate() {
                let label = format!(
                    "fair share: slowest round trip #{} during the floods",
                    i + 1
                );
                f.number(
                    &format!("slowest_at/{i}"),
                    &label,
                    Unit::Ms,
                    p.round_trip_ms,
                );
                let label = format!(
                    "fair share: slowest round trip #{}: time into its flood",
                    i + 1
                );
                f.number(
                    &format!("slowest_at/{i}/into_flood"),
                    &label,
                    Unit::S,
                    p.into_flood_ms / 1e3,
                );
            }
            for (key, when, hops) in [
                (
                    "idle_median",
                    "each hop's median over the probes idle",
                    &fs.idle_hop_medians,
                ),
                (
                    "next_door_median",
                    "each hop's median over the probes during the floods next door",
                    &fs.next_door_hop_medians,
                ),
                (
                    "flooded_median",
                    "each hop's median over the probes during the flood",
                    &fs.flooded_hop_medians,
                ),
            ] {
                if let Some(h) = hops {
                    hop_rows(f, key, when, h);
                }
            }
            let label = format!("fair share: the flooding tenant's {n} tasks (median flood)");
            f.number(
                "flood_tasks_per_s",
                &label,
                Unit::TasksPerS,
                fs.flood_tasks_per_s,
            );
            if let Some(p) = fs.throughput_percent() {
                let label =
                    "fair share: the flood's rate, % of the same flood with the other tenant idle";
                f.number("throughput_percent", label, Unit::Percent, p)
                    .with_goal(goals::FAIR_SHARE_THROUGHPUT_PERCENT);
            }
            let label = "fair share: floods measured";
            f.number("floods", label, Unit::Count, fs.floods as f64);
            let label = "fair share: a flood, first run created → last run ended (median flood)";
            f.number("flood_s", label, Unit::S, fs.flood_s);
            if let Some(r) = fs.single_tenant_tasks_per_s {
                let label = "fair share: the big fan with one tenant alone";
                f.number("single_tenant_tasks_per_s", label, Unit::TasksPerS, r);
            }
        },
    )
}

/// A round trip hop by hop: `round trip` first, then each hop, in ms.
fn hop_rows(f: &mut figure::Figures, key: &str, what: &str, h: &ProbeHops) {
    let hops = [
        ("round_trip", "round trip", h.round_trip_ms),
        ("to_created", "trigger → run created", h.to_created_ms),
        (
            "created_to_queued",
            "run created → task queued",
            h.created_to_queued_ms,
        ),
        (
            "queued_to_started",
            "task queued → started",
            h.queued_to_started_ms,
        ),
        ("started_to_ended", "started → ended", h.started_to_ended_ms),
        (
            "ended_to_run_ended",
            "ended → run ended",
            h.ended_to_run_ended_ms,
        ),
        ("to_answered", "run ended → answered", h.to_answered_ms),
    ];
    for (metric, hop, ms) in hops {
        let label = format!("fair share: {what}: {hop}");
        f.number(&format!("{key}/{metric}"), &label, Unit::Ms, ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(ms: f64, into_flood_ms: Option<u64>) -> Probe {
        Probe {
            run_id: format!("run-{ms}"),
            sent: Timestamp::UNIX_EPOCH,
            ms,
            into_flood: into_flood_ms.map(Duration::from_millis),
            steps: 2,
        }
    }

    #[test]
    fn the_slowest_probes_of_the_floods_are_kept_slowest_first_with_their_time_into_it() {
        // Times into the flood that fall as the round trips grow, so that an order by either
        // tells which one was sorted by.
        let mut probes: Vec<Probe> = (1..=8_u32)
            .map(|i| probe(f64::from(i), Some(u64::from(9 - i) * 100)))
            .collect();
        // A probe sent outside a flood has no time into one: left out, however slow.
        probes.push(probe(50.0, None));
        let at = slowest_at(&probes);
        let kept: Vec<(f64, f64)> = at
            .iter()
            .map(|p| (p.round_trip_ms, p.into_flood_ms))
            .collect();
        assert_eq!(
            kept,
            [
                (8.0, 100.0),
                (7.0, 200.0),
                (6.0, 300.0),
                (5.0, 400.0),
                (4.0, 500.0)
            ]
        );
        assert!(slowest_at(&[]).is_empty());
    }

    #[test]
    fn a_report_from_before_the_floods_next_door_still_reads() {
        let crate::figures::Outcome::Measured(sample) = crate::sample::embedded().fair_share else {
            panic!("the sample's fair share is measured");
        };
        let mut json = serde_json::to_value(&sample).expect("JSON");
        let fields = json.as_object_mut().expect("an object");
        for key in [
            "probe_next_door_ms",
            "next_door_flood_tasks_per_s",
            "next_door_hop_medians",
        ] {
            assert!(fields.remove(key).is_some(), "the sample has {key}");
        }
        let old: FairShare = serde_json::from_value(json).expect("an older report");
        assert_eq!(old.probe_next_door_ms, None);
        assert_eq!(old.next_door_flood_tasks_per_s, None);
        assert_eq!(old.next_door_hop_medians, None);
        assert_eq!(old.probe_flooded_ms, sample.probe_flooded_ms);
    }
}
