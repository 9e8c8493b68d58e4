//! Applying a [`WriteBatch`] inside one transaction, the same way on every backend.
//!
//! Each kind of change runs as few statements as possible (a set-based UPDATE over all the
//! batch's rows of that kind; see the backends' [`BatchSql`] implementations). When a batch
//! holds several changes of one kind for the same task instance, they run in *rounds* —
//! the first of each task instance's changes in round one, the second in round two, ... — so
//! the result is exactly that of applying the changes one by one in batch order.

use std::collections::{HashMap, HashSet};

use crate::backend::Sql;
use crate::backend::batch::{self, Applied, BatchSql, FinishValues, XcomPut};
use crate::error::{StoreError, StoreResult};
use crate::notifications::NewNotification;
use crate::records::RETURN_VALUE;
use crate::write::{
    DeferTask, EndMapped, FinishTask, Heartbeat, LeaderFence, QueueTask, ResolveDeferral,
    SensorPoke, SetRunState, SetTaskState, StartTask, WriteBatch, WriteOutcome,
};

/// For each round, the indices of the changes in it: the n-th change of a task instance goes
/// to round n.
pub(crate) fn rounds(tis: impl Iterator<Item = i64>) -> Vec<Vec<usize>> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (index, ti) in tis.enumerate() {
        let n = seen.entry(ti).or_insert(0);
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        rounds[*n].push(index);
        *n += 1;
    }
    rounds
}

/// Apply `batch` on `conn` (inside a transaction the caller commits, having checked the
/// batch's fence when it began it): start, heartbeat, finish, queue, set_task, set_run, in
/// that order (an attempt that ends with a retry due at once is queued again in the same
/// batch), except that a [`step`](BatchSql::step) writes run states with the finishes and
/// queue ops (another table's rows: the result is the same). The caller has checked the
/// batch with [`validate::batch`](crate::validate::batch), and rolls back instead of
/// committing when the outcome is [`refused`](WriteOutcome::refused).
pub(crate) async fn apply<D: Sql>(
    conn: &mut D::Connection,
    batch: WriteBatch,
) -> StoreResult<WriteOutcome> {
    let mut outcome = empty_outcome(&batch);
    let WriteBatch {
        leader: _,
        queue,
        start,
        heartbeat,
        finish,
        defer,
        resolve,
        end_mapped,
        set_task,
        set_run,
        all_finishes,
        notify,
        asset_events,
    } = batch;
    // The task instances of the finishes, by position, to tell which notifications and
    // asset events follow an applied finish.
    let finish_tis: Vec<i64> = if notify.is_empty() && asset_events.is_empty() {
        Vec::new()
    } else {
        finish.iter().map(|f| f.ti).collect()
    };
    let resolve_tis: Vec<i64> = if asset_events.is_empty() {
        Vec::new()
    } else {
        resolve.iter().map(|r| r.ti).collect()
    };

    for round in rounds(start.iter().map(|s| s.ti)) {
        let items: Vec<&StartTask> = round.iter().map(|&i| &start[i]).collect();
        let ids: HashSet<i64> = conn.start(&items).await?.into_iter().collect();
        mark(&round, |i| ids.contains(&start[i].ti), &mut outcome.started);
    }
    for round in rounds(heartbeat.iter().map(|h| h.ti)) {
        let items: Vec<&Heartbeat> = round.iter().map(|&i| &heartbeat[i]).collect();
        let ids: HashSet<i64> = conn.heartbeat(&items).await?.into_iter().collect();
        mark(
            &round,
            |i| ids.contains(&heartbeat[i].ti),
            &mut outcome.heartbeats,
        );
    }
    // Sensors' reschedules and attempts' deferrals, recorded below for the finishes that
    // apply.
    let pokes: Vec<(usize, i64, SensorPoke)> = finish
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.poke.map(|p| (i, f.ti, p)))
        .collect();
    let deferrals: Vec<(usize, i64, String)> = finish
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.deferral.as_ref().map(|d| (i, f.ti, d)))
        .map(|(i, ti, d)| Ok((i, ti, deferral_json(ti, d)?)))
        .collect::<StoreResult<_>>()?;
    // Waits start and end before queue ops (a task resuming is queued in the same batch,
    // a wait may end in the batch it starts in), so a batch with any is not one statement.
    let together = resolve.is_empty()
        && defer.is_empty()
        && end_mapped.is_empty()
        && one_step(&finish, &queue, &set_run);
    let queued_together = if together {
        // A scheduler's usual step (attempts ended, other tasks queued after them, runs
        // started or ended): on PostgreSQL, one statement. Run states are another table's
        // rows, so writing them before the task states below changes nothing.
        let finishes: Vec<&FinishTask> = finish.iter().collect();
        let queues: Vec<&QueueTask> = queue.iter().collect();
        let values = finishes.iter().map(|done| values_of(done)).collect();
        let (finished, queued) = conn.step(&finishes, values, &queues, &set_run).await?;
        let finished_ids: HashSet<i64> = finished.into_iter().map(|a| a.id).collect();
        mark_all(
            |i| finished_ids.contains(&finish[i].ti),
            &mut outcome.finished,
        );
        Some(queued)
    } else {
        finish_all(conn, finish, &mut outcome.finished).await?;
        None
    };
    if all_finishes && outcome.finished.contains(&false) {
        outcome.refused = true;
        return Ok(outcome);
    }
    for (i, ti, poke) in &pokes {
        if outcome.finished[*i] {
            batch::set_poke::<D>(conn, *ti, poke).await?;
        }
    }
    for (i, ti, deferral) in &deferrals {
        if outcome.finished[*i] {
            batch::set_deferral::<D>(conn, *ti, deferral).await?;
        }
    }
    defer_all::<D>(conn, &defer, &mut outcome.deferred).await?;
    resolve_all::<D>(conn, resolve, &mut outcome.resolved).await?;
    end_all_mapped::<D>(conn, &end_mapped, &mut outcome.ended_mapped).await?;
    if let Some(queued) = queued_together {
        let ids: HashSet<i64> = queued.iter().map(|a| a.id).collect();
        mark_all(|i| ids.contains(&queue[i].ti), &mut outcome.queued);
        forget_earlier_values(conn, queued).await?;
    } else {
        for round in rounds(queue.iter().map(|q| q.ti)) {
            let items: Vec<&QueueTask> = round.iter().map(|&i| &queue[i]).collect();
            let applied = conn.queue(&items).await?;
            let ids: HashSet<i64> = applied.iter().map(|a| a.id).collect();
            mark(&round, |i| ids.contains(&queue[i].ti), &mut outcome.queued);
            forget_earlier_values(conn, applied).await?;
        }
    }
    for round in rounds(set_task.iter().map(|s| s.ti)) {
        let items: Vec<&SetTaskState> = round.iter().map(|&i| &set_task[i]).collect();
        conn.set_tasks(&items).await?;
    }
    // A mapped task that is cleared expands again when it runs.
    for cleared in set_task
        .iter()
        .filter(|s| s.state == weft_model::TaskState::None)
    {
        batch::unexpand::<D>(conn, cleared.ti).await?;
    }
    if !together {
        for change in &set_run {
            conn.set_run(change).await?;
        }
    }
    let finished: HashSet<i64> = finish_tis
        .iter()
        .zip(&outcome.finished)
        .filter(|(_, applied)| **applied)
        .map(|(ti, _)| *ti)
        .collect();
    let rows: Vec<&NewNotification> = notify
        .iter()
        .filter(|n| n.after_finish.is_none_or(|ti| finished.contains(&ti)))
        .collect();
    if !rows.is_empty() {
        conn.insert_notifications(&rows).await?;
    }
    // A task's success ends its attempt (a finish) or its wait (a resolve).
    let ended: HashSet<i64> = resolve_tis
        .iter()
        .zip(&outcome.resolved)
        .filter(|(_, applied)| **applied)
        .map(|(ti, _)| *ti)
        .chain(finished.iter().copied())
        .collect();
    let events: Vec<&crate::NewAssetEvent> = asset_events
        .iter()
        .filter(|e| e.after_finish.is_none_or(|ti| ended.contains(&ti)))
        .collect();
    if !events.is_empty() {
        crate::both_backends::assets_sql::insert::<D>(conn, &events).await?;
    }
    Ok(outcome)
}

/// Tasks that start waiting without running, each if still as the scheduler saw it; a
/// wait task's values of an earlier try are forgotten, as a new attempt's are.
async fn defer_all<D: Sql>(
    conn: &mut D::Connection,
    defer: &[DeferTask],
    flags: &mut [bool],
) -> StoreResult<()> {
    let mut applied = Vec::new();
    for (item, flag) in defer.iter().zip(flags.iter_mut()) {
        let json = deferral_json(item.ti, &item.deferral)?;
        if let Some(a) = batch::defer::<D>(conn, item, &json).await? {
            *flag = true;
            applied.push(a);
        }
    }
    forget_earlier_values(conn, applied).await
}

/// Waits that ended, each if its task instance is still deferred under the lease; a wait
/// that succeeds with an output stores it as `return_value`.
async fn resolve_all<D: Sql>(
    conn: &mut D::Connection,
    resolve: Vec<ResolveDeferral>,
    flags: &mut [bool],
) -> StoreResult<()> {
    let mut xcoms = Vec::new();
    for (item, flag) in resolve.into_iter().zip(flags.iter_mut()) {
        let json = item
            .deferral
            .as_ref()
            .map(|d| deferral_json(item.ti, d))
            .transpose()?;
        let Some(a) = batch::resolve::<D>(conn, &item, json.as_deref()).await? else {
            continue;
        };
        *flag = true;
        if let Some(value) = item.output {
            xcoms.push(XcomPut {
                run: a.run,
                task_id: a.task_id,
                key: RETURN_VALUE.to_owned(),
                value,
            });
        }
    }
    if !xcoms.is_empty() {
        conn.put_xcoms(xcoms).await?;
    }
    Ok(())
}

/// Mapped tasks whose instances all ended, each if still running under the lease its
/// expansion set; one that succeeds stores its instances' outputs as its own (after the
/// batch's finishes, which stored the last of them), one that does not has none (it may
/// have had one before an instance was cleared).
async fn end_all_mapped<D: Sql>(
    conn: &mut D::Connection,
    ends: &[EndMapped],
    flags: &mut [bool],
) -> StoreResult<()> {
    let mut xcoms = Vec::new();
    let mut without = Vec::new();
    for (item, flag) in ends.iter().zip(flags.iter_mut()) {
        let Some(a) = batch::end_mapped::<D>(conn, item).await? else {
            continue;
        };
        *flag = true;
        if item.state != weft_model::TaskState::Success {
            without.push((a.run, a.task_id));
        } else {
            let outputs = batch::mapped_outputs::<D>(conn, a.run, &a.task_id).await?;
            xcoms.push(XcomPut {
                run: a.run,
                task_id: a.task_id,
                key: RETURN_VALUE.to_owned(),
                value: weft_model::mapping::reduce(outputs.iter().map(Option::as_deref)),
            });
        }
    }
    if !without.is_empty() {
        conn.delete_xcoms(&without).await?;
    }
    if !xcoms.is_empty() {
        conn.put_xcoms(xcoms).await?;
    }
    Ok(())
}

/// A deferral as the JSON its column holds.
fn deferral_json(ti: i64, deferral: &weft_model::Deferral) -> StoreResult<String> {
    serde_json::to_string(deferral).map_err(|e| {
        StoreError::Invalid(format!(
            "task instance {ti}: its deferral cannot be stored: {e}"
        ))
    })
}

/// Why a fenced batch was refused: `fence.holder` no longer holds lease `fence.name` at
/// `fence.epoch`; `now` is who holds it at which epoch, if anyone has.
pub(crate) fn deposed(fence: &LeaderFence, now: Option<(&str, i64)>) -> StoreError {
    let LeaderFence {
        name,
        holder,
        epoch,
    } = fence;
    let now = match now {
        Some((now_holder, now_epoch)) => format!("{now_holder} holds it at epoch {now_epoch}"),
        None => format!("nobody has led {name}"),
    };
    StoreError::Conflict(format!(
        "{holder} is no longer the leader of {name} (it wrote under epoch {epoch}; {now}); \
         nothing was written"
    ))
}

/// `flags[i]`: whether the task instance of `items[i]` is in `applied`.
pub(crate) fn mark_applied<T>(
    flags: &mut [bool],
    items: &[T],
    ti: impl Fn(&T) -> i64,
    applied: &HashSet<i64>,
) {
    for (flag, item) in flags.iter_mut().zip(items) {
        *flag = applied.contains(&ti(item));
    }
}

/// An outcome for `batch` with nothing applied.
pub(crate) fn empty_outcome(batch: &WriteBatch) -> WriteOutcome {
    WriteOutcome {
        queued: vec![false; batch.queue.len()],
        started: vec![false; batch.start.len()],
        heartbeats: vec![false; batch.heartbeat.len()],
        finished: vec![false; batch.finish.len()],
        deferred: vec![false; batch.defer.len()],
        resolved: vec![false; batch.resolve.len()],
        ended_mapped: vec![false; batch.end_mapped.len()],
        refused: false,
    }
}

/// Whether `batch` is a scheduler's usual step that a backend may write as one statement
/// with its checks inside (no transaction around it): only finishes without pokes or
/// deferrals, first tries queued (a later try's queue op also forgets the earlier try's
/// values) and run state changes, each for a different task instance or run, as
/// [`BatchSql::step`] needs.
pub(crate) fn at_once(batch: &WriteBatch) -> bool {
    let WriteBatch {
        leader: _,
        queue,
        start,
        heartbeat,
        finish,
        defer,
        resolve,
        end_mapped,
        set_task,
        set_run,
        all_finishes: _,
        notify,
        asset_events,
    } = batch;
    start.is_empty()
        && heartbeat.is_empty()
        && defer.is_empty()
        && resolve.is_empty()
        && end_mapped.is_empty()
        && set_task.is_empty()
        && notify.is_empty()
        && asset_events.is_empty()
        && finish
            .iter()
            .all(|f| f.poke.is_none() && f.deferral.is_none())
        && queue.iter().all(|q| q.try_number <= 1)
        && distinct(finish, queue, set_run)
}

/// Whether the finishes, queue ops and run state changes can go in one [`BatchSql::step`]:
/// at least two changes of those kinds, each finish and queue op for a different task
/// instance and each run state change for a different run, so that they can run together
/// in any order.
fn one_step(finish: &[FinishTask], queue: &[QueueTask], set_run: &[SetRunState]) -> bool {
    finish.len() + queue.len() + set_run.len() >= 2 && distinct(finish, queue, set_run)
}

/// Whether each finish and queue op is for a different task instance and each run state
/// change for a different run.
fn distinct(finish: &[FinishTask], queue: &[QueueTask], set_run: &[SetRunState]) -> bool {
    let mut tis = HashSet::with_capacity(finish.len() + queue.len());
    let mut runs = HashSet::with_capacity(set_run.len());
    finish
        .iter()
        .map(|f| f.ti)
        .chain(queue.iter().map(|q| q.ti))
        .all(|ti| tis.insert(ti))
        && set_run.iter().all(|change| runs.insert(change.run))
}

/// A new attempt starts without the values of earlier ones, as in Airflow: delete those of
/// the tasks `queued` for a second or later try. A first attempt has none to remove.
async fn forget_earlier_values<C: BatchSql + ?Sized>(
    conn: &mut C,
    queued: Vec<Applied>,
) -> StoreResult<()> {
    let tasks: Vec<(i64, String)> = queued
        .into_iter()
        .filter(|a| a.try_number > 1)
        .map(|a| (a.run, a.task_id))
        .collect();
    if !tasks.is_empty() {
        conn.delete_xcoms(&tasks).await?;
    }
    Ok(())
}

fn mark_all(applied: impl Fn(usize) -> bool, flags: &mut [bool]) {
    for (i, flag) in flags.iter_mut().enumerate() {
        *flag = applied(i);
    }
}

fn mark(round: &[usize], applied: impl Fn(usize) -> bool, flags: &mut [bool]) {
    for &i in round {
        flags[i] = applied(i);
    }
}

/// The finishes, with — for those applied only — their XCom values and logs; in rounds, so
/// that a later finish of a task instance in the batch replaces what an earlier one stored.
async fn finish_all<C: BatchSql + ?Sized>(
    conn: &mut C,
    finish: Vec<FinishTask>,
    flags: &mut [bool],
) -> StoreResult<()> {
    for round in rounds(finish.iter().map(|f| f.ti)) {
        let items: Vec<&FinishTask> = round.iter().map(|&i| &finish[i]).collect();
        let values = items.iter().map(|done| values_of(done)).collect();
        let applied: HashSet<i64> = conn
            .finish_with_values(&items, values)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        mark(&round, |i| applied.contains(&finish[i].ti), flags);
    }
    Ok(())
}

/// A finish's XCom values, a later value under a key replacing an earlier one and the output
/// coming last; and its log unless empty (an attempt that logged nothing stores no log:
/// reading it gives an empty one).
pub(crate) fn values_of(done: &FinishTask) -> FinishValues {
    let mut xcom: Vec<(String, Vec<u8>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    let pushed = done.xcom.iter().map(|(k, v)| (k.as_str(), v));
    let output = done.output.as_ref().map(|o| (RETURN_VALUE, o));
    for (key, value) in pushed.chain(output) {
        match at.get(key) {
            Some(&i) => xcom[i].1 = value.clone(),
            None => {
                at.insert(key, xcom.len());
                xcom.push((key.to_owned(), value.clone()));
            }
        }
    }
    FinishValues {
        ti: done.ti,
        xcom,
        log: done.log.clone().filter(|log| !log.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use weft_model::{DagRunState, TaskState};

    use super::{at_once, one_step, rounds};
    use crate::write::{FinishTask, QueueTask, SensorPoke, SetRunState, SetTaskState, WriteBatch};

    fn finish(ti: i64) -> FinishTask {
        FinishTask {
            ti,
            lease: 1,
            state: TaskState::Success,
            at: Timestamp::UNIX_EPOCH,
            duration_ms: 0,
            ..FinishTask::default()
        }
    }

    fn queue(ti: i64) -> QueueTask {
        QueueTask {
            ti,
            lease: 0,
            from: TaskState::None,
            try_number: 1,
            at: Timestamp::UNIX_EPOCH,
        }
    }

    fn set_run(run: i64) -> SetRunState {
        SetRunState {
            run,
            state: DagRunState::Success,
            at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_step_goes_in_one_go_only_on_distinct_task_instances_and_runs() {
        assert!(one_step(
            &[finish(1), finish(2)],
            &[queue(3), queue(4)],
            &[]
        ));
        assert!(one_step(&[], &[queue(3)], &[set_run(7)]));
        assert!(one_step(&[finish(1)], &[], &[set_run(7)]));
        assert!(one_step(
            &[finish(1)],
            &[queue(2)],
            &[set_run(7), set_run(8)]
        ));
        // A retry queued in the batch that ended its attempt.
        assert!(!one_step(&[finish(1)], &[queue(1)], &[]));
        // Two changes of one kind for one task instance or run go in order.
        assert!(!one_step(&[finish(1), finish(1)], &[queue(2)], &[]));
        assert!(!one_step(&[finish(1)], &[queue(2), queue(2)], &[]));
        assert!(!one_step(&[finish(1)], &[], &[set_run(7), set_run(7)]));
        // A single change has nothing to go with.
        assert!(!one_step(&[], &[queue(2)], &[]));
        assert!(!one_step(&[finish(1)], &[], &[]));
        assert!(!one_step(&[], &[], &[set_run(7)]));
    }

    #[test]
    fn only_a_usual_step_goes_without_a_transaction() {
        let step = WriteBatch {
            finish: vec![finish(1)],
            queue: vec![queue(2)],
            set_run: vec![set_run(7)],
            all_finishes: true,
            ..WriteBatch::default()
        };
        assert!(at_once(&step));
        // A single change, or none (a fence's probe), is a step too.
        assert!(at_once(&WriteBatch {
            queue: vec![queue(2)],
            ..WriteBatch::default()
        }));
        assert!(at_once(&WriteBatch::default()));
        // A retry's queue op also forgets the earlier try's values.
        let retry = QueueTask {
            try_number: 2,
            ..queue(2)
        };
        assert!(!at_once(&WriteBatch {
            queue: vec![retry],
            ..step.clone()
        }));
        // A sensor's reschedule records its poke after the finish.
        let mut poked = finish(1);
        poked.poke = Some(SensorPoke {
            started_at: jiff::Timestamp::UNIX_EPOCH,
            pokes: 1,
        });
        assert!(!at_once(&WriteBatch {
            finish: vec![poked],
            ..step.clone()
        }));
        // Changes of other kinds, and repeated task instances, go in a transaction.
        assert!(!at_once(&WriteBatch {
            set_task: vec![SetTaskState {
                ti: 3,
                state: TaskState::Skipped,
                at: jiff::Timestamp::UNIX_EPOCH,
                max_tries: None,
                bump_lease: false,
            }],
            ..step.clone()
        }));
        assert!(!at_once(&WriteBatch {
            queue: vec![queue(1)],
            ..step
        }));
    }

    #[test]
    fn repeated_task_instances_go_to_later_rounds() {
        assert_eq!(
            rounds([1, 2, 1, 3, 1, 2].into_iter()),
            vec![vec![0, 1, 3], vec![2, 5], vec![4]]
        );
        assert_eq!(rounds([5, 6, 7].into_iter()), vec![vec![0, 1, 2]]);
        assert!(rounds(std::iter::empty()).is_empty());
    }
}
