//! The notes under `BENCHMARKS.md`: every goal missed and every scenario failed, read off
//! the figures generically, and what some figures point at when their goal is missed.

use crate::figure::Figure;
use crate::format;
use crate::report::BenchReport;

/// Goals missed, scenarios failed and what the figures point at.
pub fn notes(report: &BenchReport) -> Vec<String> {
    let mut notes = Vec::new();
    for f in &report.figures {
        if let (Some(goal), Some(value), Some(false)) = (&f.goal, f.number(), f.met()) {
            notes.push(format!(
                "Goal missed: {} ({}) is {}, goal {} ({} off).",
                f.label,
                f.mode,
                f.unit.show(value),
                goal.label(),
                format::ratio(goal.off(value))
            ));
        }
    }
    let mut failed: Vec<(&str, &str)> = Vec::new();
    for f in &report.figures {
        if let crate::figure::Value::Failed(e) = &f.value
            && !failed.contains(&(f.scenario.as_str(), f.mode.as_str()))
        {
            failed.push((f.scenario.as_str(), f.mode.as_str()));
            notes.push(format!(
                "{} ({}) failed: {}",
                f.label,
                f.mode,
                e.replace('\n', " ")
            ));
        }
    }
    for mode in ["embedded", "distributed"] {
        chain_step(report, mode, &mut notes);
        round_trip_split(report, mode, &mut notes);
        cpu_bound(report, mode, &mut notes);
        waits_on_workers(report, mode, &mut notes);
    }
    notes
}

/// A missed chain40 goal: which step of a hop takes longest, and what a hop may take.
fn chain_step(report: &BenchReport, mode: &str, notes: &mut Vec<String>) {
    let Some(run) = report.figure("chain40", mode, "run") else {
        return;
    };
    let (Some(false), Some(goal)) = (run.met(), &run.goal) else {
        return;
    };
    let step = |metric: &str| {
        report
            .figure("chain40_breakdown", mode, metric)
            .and_then(Figure::number)
    };
    let steps = [
        ("scheduling the next task", step("upstream_end_to_queued")),
        ("queue delivery and pick-up", step("queued_to_started")),
        (
            "running the attempt and reporting it",
            step("started_to_ended"),
        ),
    ];
    let Some(steps) = steps
        .into_iter()
        .map(|(name, ms)| Some((name, ms?)))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let hop: f64 = steps.iter().map(|(_, ms)| ms).sum();
    let (step, ms) = steps
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(("", 0.0));
    notes.push(format!(
        "In {mode} chain40 a hop's median steps add up to {}, the largest being {step} ({}); \
         the goal needs hops of {}.",
        format::ms(hop),
        format::ms(ms),
        format::ms(goal.limit / 40.0)
    ));
}

/// A missed round-trip goal: the trigger request and the run by the store's clock.
fn round_trip_split(report: &BenchReport, mode: &str, notes: &mut Vec<String>) {
    let get = |metric: &str| report.figure("round_trip", mode, metric);
    let Some(p50) = get("p50") else { return };
    let (Some(false), Some(all)) = (p50.met(), p50.number()) else {
        return;
    };
    let (Some(trigger), Some(store)) = (
        get("trigger_p50").and_then(Figure::number),
        get("in_store_p50").and_then(Figure::number),
    ) else {
        return;
    };
    notes.push(format!(
        "Of the {mode} round trip (p50 {}), the trigger request alone takes {}, and the run, \
         from its creation during that request to its end, {} by the store's clock (p50s); the \
         rest is the client seeing it: the scheduler's announcement of the end and the waiting \
         request's answer.",
        format::ms(all),
        format::ms(trigger),
        format::ms(store)
    ));
}

/// What the processes' CPU per task caps the throughput at on this machine.
fn cpu_bound(report: &BenchReport, mode: &str, notes: &mut Vec<String>) {
    let per_role: Vec<(&str, f64)> = report
        .figures
        .iter()
        .filter(|f| f.scenario == "resources" && f.mode == mode)
        .filter_map(|f| Some((f.metric.strip_prefix("cpu_per_10k/")?, f.number()?)))
        .collect();
    let Some((top, top_s)) = per_role.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return;
    };
    let total: f64 = per_role.iter().map(|(_, s)| s).sum();
    let cores = report.machine.cores;
    let bound = if total > 0.0 {
        format!(
            "; on {cores} cores that alone caps throughput near {}",
            format::rate(cores as f64 * 10_000.0 / total)
        )
    } else {
        String::new()
    };
    notes.push(format!(
        "{mode}: 10,000 tasks cost {} of CPU in all, most of it in the {top} process ({}){bound}.",
        format::secs(total),
        format::secs(top_s)
    ));
}

/// Deferred waits that held a worker slot, which they should not.
fn waits_on_workers(report: &BenchReport, mode: &str, notes: &mut Vec<String>) {
    let get = |metric: &str| {
        report
            .figure("deferred_waits", mode, metric)
            .and_then(Figure::number)
    };
    let Some(on_a_worker) = get("on_a_worker") else {
        return;
    };
    let running = get("worker_slots").unwrap_or(0.0);
    if running > 0.0 || on_a_worker > 0.0 {
        notes.push(format!(
            "{mode}: while {} waits were deferred the workers ran {running} attempts, and \
             {on_a_worker} waits ran on a worker: a wait should hold no worker slot.",
            format::number(report.settings.waits_tasks as f64),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Value;
    use crate::sample;

    /// Sets the number of `scenario`'s `metric` in `mode`.
    fn set(report: &mut BenchReport, scenario: &str, mode: &str, metric: &str, value: f64) {
        let f = report
            .figures
            .iter_mut()
            .find(|f| f.scenario == scenario && f.mode == mode && f.metric == metric)
            .expect("figure");
        match &mut f.value {
            Value::Samples { samples, .. } => samples.median = value,
            other => *other = Value::Number(value),
        }
    }

    #[test]
    fn notes_name_every_missed_goal_and_failure() {
        let mut report = sample::report();
        // Within the embedded chain40 goal, so that goal has no note.
        set(&mut report, "chain40", "embedded", "run", 9.0);
        let all = notes(&report).join("\n");
        assert!(
            all.contains(
                "Goal missed: fan-out: 10,000 tasks in one run (median of 3) (embedded) is \
                 5,000 tasks/s, goal ≥ 15,000 tasks/s (3× off)."
            ),
            "{all}"
        );
        assert!(
            all.contains("TypeScript (in-process) failed: wfctl build examples/hello-ts"),
            "{all}"
        );
        assert!(
            all.contains("Goal missed: per task, mean of 3 (noop.wasm) (in-process) is 35 µs"),
            "{all}"
        );
        assert!(
            all.contains("fan-out: 100 runs of 100 tasks at once (embedded) failed: timed out"),
            "{all}"
        );
        assert!(
            all.contains(
                "chain40: trigger → success, median of 10 (distributed) failed: cannot start"
            ),
            "{all}"
        );
        assert!(
            all.contains(
                "waits: trigger → all deferred, median of 3 (distributed) failed: cannot start"
            ),
            "{all}"
        );
        assert!(!all.contains("should hold no worker slot"), "{all}");
        assert!(all.contains("caps throughput near 10,000 tasks/s"), "{all}");
        assert!(
            all.contains(
                "Goal missed: overhead per request (task − host) (in-process) is 110 µs, goal ≤ 100 µs"
            ),
            "{all}"
        );
        assert!(
            all.contains(
                "100 MB CSV (4,761,000 rows) (embedded) failed: task extract is up_for_retry \
                 after try 1 of 2 (trap): out of memory"
            ),
            "{all}"
        );
        assert!(
            !all.contains("overhead per query"),
            "the goal is met: {all}"
        );
        assert!(
            !all.contains("1 MB CSV"),
            "the measured CSV has no note: {all}"
        );
        assert!(
            !all.contains("chain40: trigger → success, median of 10 (embedded) is"),
            "chain40 met its goal: {all}"
        );
    }

    #[test]
    fn a_wait_on_a_worker_is_noted() {
        let mut report = sample::report();
        set(
            &mut report,
            "deferred_waits",
            "embedded",
            "on_a_worker",
            3.0,
        );
        let all = notes(&report).join("\n");
        assert!(
            all.contains("the workers ran 0 attempts, and 3 waits ran on a worker"),
            "{all}"
        );
    }

    #[test]
    fn a_missed_chain_goal_points_at_the_largest_step() {
        let mut report = sample::report();
        set(&mut report, "chain40", "embedded", "run", 30.0);
        let all = notes(&report).join("\n");
        assert!(
            all.contains("the largest being running the attempt and reporting it (0.15 ms)"),
            "{all}"
        );
        assert!(all.contains("the goal needs hops of 0.25 ms"), "{all}");
    }
}
