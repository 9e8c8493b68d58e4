//! [`HopBreakdown`] from the timestamps the store records for a chain's runs: where the time
//! of a hop goes, without instrumenting anything.

use jiff::Timestamp;
use weft_client::{RunDetail, TaskInstance};

use crate::figures::HopBreakdown;
use crate::stats::median;

/// The breakdown over `runs` of a chain whose tasks are `t0`, `t1`, …; `None` when the runs
/// hold no usable timestamps.
pub fn of_chain(runs: &[RunDetail]) -> Option<HopBreakdown> {
    let mut first = Vec::new();
    let mut schedule = Vec::new();
    let mut queued = Vec::new();
    let mut running = Vec::new();
    let mut last = Vec::new();
    for run in runs {
        let tasks = in_chain_order(&run.task_instances);
        let (Some(head), Some(tail)) = (tasks.first(), tasks.last()) else {
            continue;
        };
        first.extend(span(Some(run.run.queued_at), head.queued_at));
        last.extend(span(tail.ended_at, run.run.ended_at));
        for pair in tasks.windows(2) {
            schedule.extend(span(pair[0].ended_at, pair[1].queued_at));
        }
        for task in &tasks {
            queued.extend(span(task.queued_at, task.started_at));
            running.extend(span(task.started_at, task.ended_at));
        }
    }
    Some(HopBreakdown {
        run_to_first_queued_ms: median(&first)?,
        upstream_end_to_queued_ms: median(&schedule)?,
        queued_to_started_ms: median(&queued)?,
        started_to_ended_ms: median(&running)?,
        last_end_to_run_end_ms: median(&last)?,
    })
}

/// The tasks sorted by the number after their `t`; tasks not named so are left out.
fn in_chain_order(tasks: &[TaskInstance]) -> Vec<&TaskInstance> {
    let mut numbered: Vec<(usize, &TaskInstance)> = tasks
        .iter()
        .filter_map(|t| Some((t.task_id.strip_prefix('t')?.parse().ok()?, t)))
        .collect();
    numbered.sort_by_key(|(n, _)| *n);
    numbered.into_iter().map(|(_, t)| t).collect()
}

/// Milliseconds from `from` to `to`, when both are known.
pub(crate) fn span(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<f64> {
    let (from, to) = (from?, to?);
    Some((to.as_nanosecond() - from.as_nanosecond()) as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_model::{DagRunState, TaskState};

    fn at(ms: i64) -> Option<Timestamp> {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).ok()
    }

    fn task(id: &str, queued: i64, started: i64, ended: i64) -> TaskInstance {
        TaskInstance::of(weft_protocol::TaskInstance {
            task_id: id.to_owned(),
            state: TaskState::Success,
            try_number: 1,
            max_tries: 1,
            queued_at: at(queued),
            started_at: at(started),
            ended_at: at(ended),
            ..weft_protocol::TaskInstance::default()
        })
    }

    fn run(tasks: Vec<TaskInstance>, queued: i64, ended: i64) -> RunDetail {
        let queued = at(queued).expect("a time");
        RunDetail {
            run: crate::client::run_view(DagRunState::Success, queued, at(ended)),
            task_instances: tasks,
        }
    }

    #[test]
    fn each_step_of_a_hop_is_measured_in_chain_order() {
        // Listed out of order on purpose: t10 comes after t2.
        let r = run(
            vec![
                task("t10", 20, 22, 25),
                task("t0", 2, 3, 5),
                task("t2", 7, 9, 12),
            ],
            0,
            30,
        );
        let b = of_chain(&[r]).expect("breakdown");
        assert_eq!(b.run_to_first_queued_ms, 2.0);
        // t0 ends 5, t2 queued 7 (2 ms); t2 ends 12, t10 queued 20 (8 ms): median 5.
        assert_eq!(b.upstream_end_to_queued_ms, 5.0);
        assert_eq!(b.queued_to_started_ms, 2.0);
        assert_eq!(b.started_to_ended_ms, 3.0);
        assert_eq!(b.last_end_to_run_end_ms, 5.0);
    }

    #[test]
    fn runs_without_timestamps_give_no_breakdown() {
        let mut t = task("t0", 0, 1, 2);
        t.queued_at = None;
        t.started_at = None;
        assert_eq!(of_chain(&[run(vec![t], 0, 3)]), None);
        assert_eq!(of_chain(&[]), None);
        let unnamed = task("first", 0, 1, 2);
        assert_eq!(of_chain(&[run(vec![unnamed], 0, 3)]), None);
    }
}
