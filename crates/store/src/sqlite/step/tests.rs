//! Tests of the step as one script.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use weft_model::TaskState;

use super::*;
use crate::Store;
use crate::both_backends::sql::set_run_columns_from_rows;

#[test]
fn the_run_update_sets_the_columns_as_set_run_does() {
    let columns = set_run_columns_from_rows();
    assert!(!columns.is_empty());
    assert!(
        RUNS.contains(&format!("UPDATE dag_runs SET {columns} FROM v WHERE")),
        "{RUNS}"
    );
}

/// Two running attempts under leader `s1` (epoch 1), and their finishes.
async fn two_running(dir: &tempfile::TempDir) -> (SqliteStore, Vec<FinishTask>) {
    let store = SqliteStore::open(dir.path().join("step.db")).await.unwrap();
    let (reader, other) =
        crate::testing::running_reader_and_other(&store, SignedDuration::from_secs(600)).await;
    let now = Timestamp::now();
    let epoch = store
        .try_lead("scheduler", "s1", now, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(epoch, Some(1));
    let finish = |ti: i64, lease: i64| FinishTask {
        ti,
        lease,
        state: TaskState::Success,
        at: now,
        duration_ms: 1,
        output: Some(b"out".to_vec()),
        log: Some(b"{}\n".to_vec()),
        ..FinishTask::default()
    };
    let finishes = vec![
        finish(reader.ti, reader.lease),
        finish(other.ti, other.lease),
    ];
    (store, finishes)
}

/// The fence of leader `s1` at `epoch`.
fn fence(epoch: i64) -> LeaderFence {
    LeaderFence {
        name: "scheduler".into(),
        holder: "s1".into(),
        epoch,
    }
}

/// Run a step of `finishes`, `queue` and `runs` as a whole script, under `fence` if any.
async fn whole_step(
    store: &SqliteStore,
    fence: Option<&LeaderFence>,
    finishes: &[FinishTask],
    queue: &[QueueTask],
    runs: &[SetRunState],
    all_finishes: bool,
) -> Whole {
    let finish: Vec<&FinishTask> = finishes.iter().collect();
    let values: Vec<FinishValues> = finish.iter().map(|f| apply::values_of(f)).collect();
    let queue: Vec<&QueueTask> = queue.iter().collect();
    let runs: Vec<&SetRunState> = runs.iter().collect();
    let step = Step {
        finish: &finish,
        values: &values,
        queue: &queue,
        runs: &runs,
    };
    let mut conn = store.writer().await.unwrap();
    run_whole(&mut conn, step.whole(fence, all_finishes).unwrap())
        .await
        .unwrap()
}

/// Run `finishes` as a whole script needing all of them, under leader `s1` at `epoch`.
async fn whole(store: &SqliteStore, finishes: &[FinishTask], epoch: i64) -> Whole {
    whole_step(store, Some(&fence(epoch)), finishes, &[], &[], true).await
}

async fn states(store: &SqliteStore, finishes: &[FinishTask]) -> Vec<TaskState> {
    let runs = store.active_runs().await.unwrap();
    let tis: Vec<_> = runs.into_iter().flat_map(|(_, tis)| tis).collect();
    finishes
        .iter()
        .map(|f| tis.iter().find(|ti| ti.id == f.ti).unwrap().state)
        .collect()
}

#[tokio::test]
async fn a_whole_step_commits_when_its_checks_hold() {
    let dir = tempfile::tempdir().unwrap();
    let (store, finishes) = two_running(&dir).await;
    let Whole::Done(ran) = whole(&store, &finishes, 1).await else {
        panic!("the checks hold");
    };
    let finished: Vec<i64> = ran.finished.iter().map(|a| a.id).collect();
    assert_eq!(finished, [finishes[0].ti, finishes[1].ti]);
    assert_eq!(
        states(&store, &finishes).await,
        [TaskState::Success, TaskState::Success]
    );
    assert!(store.task_log(finishes[0].ti, 1).await.unwrap().is_some());
}

#[tokio::test]
async fn a_whole_step_writes_nothing_when_a_check_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut finishes) = two_running(&dir).await;
    // Written under an epoch that is not the leader's.
    assert!(matches!(whole(&store, &finishes, 2).await, Whole::Checked));
    // One of the finishes the step needs names a lease its attempt never had.
    finishes[1].lease += 5;
    assert!(matches!(whole(&store, &finishes, 1).await, Whole::Checked));
    assert_eq!(
        states(&store, &finishes).await,
        [TaskState::Running, TaskState::Running]
    );
    assert!(store.task_log(finishes[0].ti, 1).await.unwrap().is_none());
    // The connection is out of the script's transaction: the next write goes through.
    finishes[1].lease -= 5;
    assert!(matches!(whole(&store, &finishes, 1).await, Whole::Done(_)));
}

#[tokio::test]
async fn every_shape_of_whole_step_commits_when_its_checks_hold() {
    // (fenced, needs every finish): each binds its check's arguments differently.
    for (fenced, all_finishes) in [(true, false), (false, true), (false, false)] {
        let dir = tempfile::tempdir().unwrap();
        let (store, finishes) = two_running(&dir).await;
        let (run, _) = store.active_runs().await.unwrap().remove(0);
        // A queue op that does not apply (its task instance is running) and a run change.
        let queue = QueueTask {
            ti: finishes[1].ti,
            lease: 1,
            from: TaskState::None,
            try_number: 1,
            at: Timestamp::now(),
        };
        let ended = SetRunState {
            run: run.id,
            state: weft_model::DagRunState::Failed,
            at: Timestamp::now(),
        };
        let leader = fence(1);
        let fence = fenced.then_some(&leader);
        let (queue, ended) = ([queue], [ended]);
        let step = whole_step(&store, fence, &finishes[..1], &queue, &ended, all_finishes);
        let Whole::Done(ran) = step.await else {
            panic!("fenced {fenced}, all finishes {all_finishes}: the checks hold");
        };
        let finished: Vec<i64> = ran.finished.iter().map(|a| a.id).collect();
        assert_eq!(finished, [finishes[0].ti]);
        assert!(ran.queued.is_empty());
        let (stored, tis) = store.run(run.id).await.unwrap().unwrap();
        assert_eq!(stored.state, weft_model::DagRunState::Failed);
        let states: Vec<TaskState> = tis.iter().map(|ti| ti.state).collect();
        assert_eq!(states, [TaskState::Success, TaskState::Running]);
    }
}

#[tokio::test]
async fn a_whole_step_of_the_fence_alone_commits_only_under_the_leader() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = two_running(&dir).await;
    let (run, _) = store.active_runs().await.unwrap().remove(0);
    let ended = |at: i64| SetRunState {
        run: run.id,
        state: weft_model::DagRunState::Failed,
        at: Timestamp::from_second(at).unwrap(),
    };
    let stale = whole_step(&store, Some(&fence(7)), &[], &[], &[ended(100)], false).await;
    assert!(matches!(stale, Whole::Checked));
    let (stored, _) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(stored.state, weft_model::DagRunState::Running);
    let led = whole_step(&store, Some(&fence(1)), &[], &[], &[ended(100)], false).await;
    assert!(matches!(led, Whole::Done(_)));
    let (stored, _) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(stored.state, weft_model::DagRunState::Failed);
}
