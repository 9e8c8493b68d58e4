//! Applying a [`WriteBatch`] inside one transaction, the same way on every backend.
//!
//! Each kind of change runs as few statements as possible (a set-based UPDATE over all the
//! batch's rows of that kind; see the backends' [`BatchSql`] implementations). When a batch
//! holds several changes of one kind for the same task instance, they run in *rounds* —
//! the first of each task instance's changes in round one, the second in round two, ... — so
//! the result is exactly that of applying the changes one by one in batch order.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use crate::error::{StoreError, StoreResult};
use crate::records::RETURN_VALUE;
use crate::write::{
    FinishTask, Heartbeat, LeaderFence, QueueTask, SetRunState, SetTaskState, StartTask,
    WriteBatch, WriteOutcome,
};

/// A task instance a fenced change was applied to, as the UPDATE returned it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Applied {
    /// The task instance.
    pub(crate) id: i64,
    /// Its run.
    pub(crate) run: i64,
    /// Its task.
    pub(crate) task_id: String,
    /// Its try number after the change.
    pub(crate) try_number: i64,
}

/// An XCom value to insert or replace.
#[derive(Debug)]
pub(crate) struct XcomPut {
    pub(crate) run: i64,
    pub(crate) task_id: String,
    pub(crate) key: String,
    pub(crate) value: Vec<u8>,
}

/// An attempt's log to insert or replace.
#[derive(Debug)]
pub(crate) struct LogPut {
    pub(crate) ti: i64,
    pub(crate) try_number: i64,
    pub(crate) log: Vec<u8>,
}

/// What a finish stores besides the task instance's state, should it apply: its XCom values
/// (distinct keys, the output last as `return_value`) and its log (never empty).
#[derive(Debug)]
pub(crate) struct FinishValues {
    /// The task instance.
    pub(crate) ti: i64,
    /// `(key, value)`.
    pub(crate) xcom: Vec<(String, Vec<u8>)>,
    /// The attempt's log.
    pub(crate) log: Option<Vec<u8>>,
}

/// The statements a backend runs for batches, on a connection inside a transaction. Each
/// fenced method gets changes for distinct task instances and returns those it applied.
#[async_trait]
pub(crate) trait BatchSql: Send {
    /// Fenced: `from` + lease → `queued`, lease + 1.
    async fn queue(&mut self, items: &[&QueueTask]) -> Result<Vec<Applied>, sqlx::Error>;
    /// Fenced: `queued` + lease → `running`.
    async fn start(&mut self, items: &[&StartTask]) -> Result<Vec<i64>, sqlx::Error>;
    /// Fenced: `running` + lease → new lease end.
    async fn heartbeat(&mut self, items: &[&Heartbeat]) -> Result<Vec<i64>, sqlx::Error>;
    /// Fenced: `queued`/`running` + lease → the attempt's final state.
    async fn finish(&mut self, items: &[&FinishTask]) -> Result<Vec<Applied>, sqlx::Error>;
    /// [`finish`](BatchSql::finish), then the values of those applied (`values` holds at
    /// most one entry per task instance). A backend may do it all in one statement.
    async fn finish_with_values(
        &mut self,
        items: &[&FinishTask],
        values: Vec<FinishValues>,
    ) -> Result<Vec<Applied>, sqlx::Error> {
        let applied = self.finish(items).await?;
        let by_ti: HashMap<i64, &Applied> = applied.iter().map(|a| (a.id, a)).collect();
        let mut xcoms = Vec::new();
        let mut logs = Vec::new();
        for done in values {
            let Some(a) = by_ti.get(&done.ti) else {
                continue;
            };
            xcoms.extend(done.xcom.into_iter().map(|(key, value)| XcomPut {
                run: a.run,
                task_id: a.task_id.clone(),
                key,
                value,
            }));
            if let Some(log) = done.log {
                logs.push(LogPut {
                    ti: a.id,
                    try_number: a.try_number,
                    log,
                });
            }
        }
        if !xcoms.is_empty() {
            self.put_xcoms(xcoms).await?;
        }
        if !logs.is_empty() {
            self.put_logs(logs).await?;
        }
        Ok(applied)
    }
    /// [`finish_with_values`](BatchSql::finish_with_values), then [`queue`](BatchSql::queue)
    /// for other task instances than the finishes': the finishes and the queue ops applied.
    /// A backend may do it all in one statement.
    async fn finish_and_queue(
        &mut self,
        finish: &[&FinishTask],
        values: Vec<FinishValues>,
        queue: &[&QueueTask],
    ) -> Result<(Vec<Applied>, Vec<Applied>), sqlx::Error> {
        let finished = self.finish_with_values(finish, values).await?;
        let queued = self.queue(queue).await?;
        Ok((finished, queued))
    }
    /// Unfenced state changes.
    async fn set_tasks(&mut self, items: &[&SetTaskState]) -> Result<(), sqlx::Error>;
    /// A run state change.
    async fn set_run(&mut self, item: &SetRunState) -> Result<(), sqlx::Error>;
    /// Delete every XCom value of these `(run, task_id)`s.
    async fn delete_xcoms(&mut self, tasks: &[(i64, String)]) -> Result<(), sqlx::Error>;
    /// Insert or replace XCom values (distinct keys).
    async fn put_xcoms(&mut self, rows: Vec<XcomPut>) -> Result<(), sqlx::Error>;
    /// Insert or replace logs (distinct keys).
    async fn put_logs(&mut self, rows: Vec<LogPut>) -> Result<(), sqlx::Error>;
}

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
/// batch). The caller has checked the batch with [`validate::batch`](crate::validate::batch), and rolls back instead of
/// committing when the outcome is [`refused`](WriteOutcome::refused).
pub(crate) async fn apply<C: BatchSql + ?Sized>(
    conn: &mut C,
    batch: WriteBatch,
) -> StoreResult<WriteOutcome> {
    let WriteBatch {
        leader: _,
        queue,
        start,
        heartbeat,
        finish,
        set_task,
        set_run,
        all_finishes,
    } = batch;
    let mut outcome = WriteOutcome {
        queued: vec![false; queue.len()],
        started: vec![false; start.len()],
        heartbeats: vec![false; heartbeat.len()],
        finished: vec![false; finish.len()],
        refused: false,
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
    if disjoint(&finish, &queue) {
        // A scheduler's usual step (attempts ended, and other tasks queued after them): on
        // PostgreSQL, one statement.
        let finishes: Vec<&FinishTask> = finish.iter().collect();
        let queues: Vec<&QueueTask> = queue.iter().collect();
        let values = finishes.iter().map(|done| values_of(done)).collect();
        let (finished, queued) = conn.finish_and_queue(&finishes, values, &queues).await?;
        let finished_ids: HashSet<i64> = finished.into_iter().map(|a| a.id).collect();
        mark_all(
            |i| finished_ids.contains(&finish[i].ti),
            &mut outcome.finished,
        );
        if all_finishes && outcome.finished.contains(&false) {
            outcome.refused = true;
            return Ok(outcome);
        }
        let ids: HashSet<i64> = queued.iter().map(|a| a.id).collect();
        mark_all(|i| ids.contains(&queue[i].ti), &mut outcome.queued);
        forget_earlier_values(conn, queued).await?;
    } else {
        finish_all(conn, finish, &mut outcome.finished).await?;
        if all_finishes && outcome.finished.contains(&false) {
            outcome.refused = true;
            return Ok(outcome);
        }
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
    for change in &set_run {
        conn.set_run(change).await?;
    }
    Ok(outcome)
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

/// Whether there are finishes and queue ops, each for a different task instance, so that
/// they can run together in any order.
fn disjoint(finish: &[FinishTask], queue: &[QueueTask]) -> bool {
    if finish.is_empty() || queue.is_empty() {
        return false;
    }
    let mut seen = HashSet::with_capacity(finish.len() + queue.len());
    let tis = finish
        .iter()
        .map(|f| f.ti)
        .chain(queue.iter().map(|q| q.ti));
    tis.into_iter().all(|ti| seen.insert(ti))
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
fn values_of(done: &FinishTask) -> FinishValues {
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
    use weft_model::TaskState;

    use super::{disjoint, rounds};
    use crate::write::{FinishTask, QueueTask};

    fn finish(ti: i64) -> FinishTask {
        FinishTask {
            ti,
            lease: 1,
            state: TaskState::Success,
            at: Timestamp::UNIX_EPOCH,
            duration_ms: 0,
            next_retry_at: None,
            error_class: None,
            error: None,
            started_at: None,
            worker_id: None,
            hostname: None,
            output: None,
            xcom: vec![],
            log: None,
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

    #[test]
    fn finishes_and_queue_ops_go_together_only_on_distinct_task_instances() {
        assert!(disjoint(&[finish(1), finish(2)], &[queue(3), queue(4)]));
        // A retry queued in the batch that ended its attempt.
        assert!(!disjoint(&[finish(1)], &[queue(1)]));
        // Two changes of one kind for one task instance go in rounds.
        assert!(!disjoint(&[finish(1), finish(1)], &[queue(2)]));
        assert!(!disjoint(&[finish(1)], &[queue(2), queue(2)]));
        // Nothing to put together.
        assert!(!disjoint(&[], &[queue(2)]));
        assert!(!disjoint(&[finish(1)], &[]));
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
