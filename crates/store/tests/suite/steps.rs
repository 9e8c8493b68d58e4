//! A scheduler's usual step in one batch: attempts ended, other task instances queued, runs
//! started or ended, written all or nothing when the step needs every result.

use weft_model::{DagRunState, TaskState};
use weft_store::{QueueTask, RETURN_VALUE, SetRunState, Store, WriteBatch};

use super::write::{finish_batch, queue_batch};
use super::{finish, queue, reload, run_of, ts, write};

/// Run `run` moves to `state` at the step's time.
fn run_state(run: i64, state: DagRunState) -> SetRunState {
    SetRunState {
        run,
        state,
        at: ts(40),
    }
}

pub async fn a_refused_finish_writes_nothing_of_an_all_finishes_batch(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(store, queue_batch(vec![queue(&tis[0]), queue(&tis[1])])).await;
    let batch = WriteBatch {
        // b's result names a lease it never had.
        finish: vec![
            finish(tis[0].id, 1, TaskState::Success),
            finish(tis[1].id, 7, TaskState::Success),
        ],
        set_run: vec![run_state(run.id, DagRunState::Success)],
        all_finishes: true,
        ..WriteBatch::default()
    };
    let outcome = write(store, batch.clone()).await;
    assert!(outcome.refused, "{outcome:?}");
    assert_eq!(outcome.finished, [true, false]);
    let (stored_run, stored) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(stored_run.state, DagRunState::Queued, "run untouched");
    assert!(
        stored.iter().all(|t| t.state == TaskState::Queued),
        "no result written: {stored:?}"
    );
    assert_eq!(store.xcom(run.id, "a", "pushed").await.unwrap(), None);
    // Without the flag the good result is written on its own.
    let outcome = write(
        store,
        WriteBatch {
            all_finishes: false,
            set_run: vec![],
            ..batch
        },
    )
    .await;
    assert!(!outcome.refused);
    assert_eq!(outcome.finished, [true, false]);
    assert_eq!(
        reload(store, run.id, tis[0].id).await.state,
        TaskState::Success
    );
}

/// A scheduler's usual step: results of some tasks, queue ops of others and the run's new
/// state, in one batch (one statement on PostgreSQL). Each change applies or not on its own, a retry's new
/// attempt starts without the old values, and a refused all-finishes batch writes nothing.
pub async fn a_step_finishes_some_tasks_and_queues_others(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b", "c", "d"]).await;
    let (a, b, c, d) = (&tis[0], &tis[1], &tis[2], &tis[3]);
    write(store, queue_batch(vec![queue(a), queue(b), queue(c)])).await;
    // c's first attempt ends up for retry, leaving a value behind.
    write(
        store,
        finish_batch(vec![finish(c.id, 1, TaskState::UpForRetry)]),
    )
    .await;
    let c_now = reload(store, run.id, c.id).await;
    assert!(store.xcom(run.id, "c", "pushed").await.unwrap().is_some());

    // b's result and d's queue op name leases they never had.
    let stale_queue = QueueTask {
        lease: 5,
        ..queue(d)
    };
    let step = |all_finishes| WriteBatch {
        finish: vec![
            finish(a.id, 1, TaskState::Success),
            finish(b.id, 7, TaskState::Success),
        ],
        queue: vec![queue(&c_now), stale_queue.clone()],
        set_run: vec![run_state(run.id, DagRunState::Running)],
        all_finishes,
        ..WriteBatch::default()
    };
    let refused = write(store, step(true)).await;
    assert!(refused.refused, "{refused:?}");
    let (stored_run, stored) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(
        (stored_run.state, stored_run.started_at),
        (DagRunState::Queued, None)
    );
    let states: Vec<TaskState> = stored.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            TaskState::Queued,
            TaskState::Queued,
            TaskState::UpForRetry,
            TaskState::None
        ],
        "a refused batch writes nothing"
    );

    let outcome = write(store, step(false)).await;
    assert_eq!(
        (outcome.finished, outcome.queued, outcome.refused),
        (vec![true, false], vec![true, false], false)
    );
    let (stored_run, _) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(
        (stored_run.state, stored_run.started_at, stored_run.ended_at),
        (DagRunState::Running, Some(ts(40)), None)
    );
    let stored_a = reload(store, run.id, a.id).await;
    assert_eq!(stored_a.state, TaskState::Success);
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(format!("out-{}-1", a.id).into_bytes())
    );
    assert!(store.task_log(a.id, 1).await.unwrap().is_some());
    assert_eq!(
        reload(store, run.id, b.id).await.state,
        TaskState::Queued,
        "b's stale result is not written"
    );
    let stored_c = reload(store, run.id, c.id).await;
    assert_eq!(
        (stored_c.state, stored_c.try_number, stored_c.lease),
        (TaskState::Queued, 2, 2)
    );
    assert_eq!(
        store.xcom(run.id, "c", "pushed").await.unwrap(),
        None,
        "the new attempt starts without the old one's values"
    );
    let stored_d = reload(store, run.id, d.id).await;
    assert_eq!((stored_d.state, stored_d.lease), (TaskState::None, 0));
}

/// A scheduler's usual step (first tries queued, attempts ended, a run started: what a
/// backend may write in one go) writes the values and logs of exactly the finishes that
/// apply, and nothing at all when it needs every finish and one does not apply.
pub async fn a_step_writes_the_values_of_the_finishes_that_apply(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b", "c", "d"]).await;
    let (a, b, c, d) = (&tis[0], &tis[1], &tis[2], &tis[3]);
    write(store, queue_batch(vec![queue(a), queue(b)])).await;
    // b's result names a lease it never had; so does d's queue op.
    let step = |all_finishes| WriteBatch {
        finish: vec![
            finish(a.id, 1, TaskState::Success),
            finish(b.id, 7, TaskState::Success),
        ],
        queue: vec![
            queue(c),
            QueueTask {
                lease: 5,
                ..queue(d)
            },
        ],
        set_run: vec![run_state(run.id, DagRunState::Running)],
        all_finishes,
        ..WriteBatch::default()
    };
    let nothing_written = |when: &'static str| async move {
        let (stored_run, stored) = store.run(run.id).await.unwrap().unwrap();
        assert_eq!(stored_run.state, DagRunState::Queued, "{when}");
        let states: Vec<TaskState> = stored.iter().map(|t| t.state).collect();
        assert_eq!(
            states,
            [
                TaskState::Queued,
                TaskState::Queued,
                TaskState::None,
                TaskState::None
            ],
            "{when}"
        );
        for task in ["a", "b"] {
            for key in [RETURN_VALUE, "pushed"] {
                let value = store.xcom(run.id, task, key).await.unwrap();
                assert_eq!(value, None, "{when}: {task}'s {key}");
            }
        }
        for ti in [a.id, b.id] {
            assert_eq!(store.task_log(ti, 1).await.unwrap(), None, "{when}");
        }
    };

    let refused = write(store, step(true)).await;
    assert_eq!(
        (refused.finished, refused.queued, refused.refused),
        (vec![true, false], vec![false, false], true),
        "the outcome says which finishes would have applied"
    );
    nothing_written("a refused step").await;

    let outcome = write(store, step(false)).await;
    assert_eq!(
        (outcome.finished, outcome.queued, outcome.refused),
        (vec![true, false], vec![true, false], false)
    );
    let (stored_run, stored) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(
        (stored_run.state, stored_run.started_at),
        (DagRunState::Running, Some(ts(40)))
    );
    let states: Vec<(TaskState, i64)> = stored.iter().map(|t| (t.state, t.lease)).collect();
    assert_eq!(
        states,
        [
            (TaskState::Success, 1),
            (TaskState::Queued, 1),
            (TaskState::Queued, 1),
            (TaskState::None, 0)
        ]
    );
    for (key, value) in [(RETURN_VALUE, "out"), ("pushed", "pushed")] {
        assert_eq!(
            store.xcom(run.id, "a", key).await.unwrap(),
            Some(format!("{value}-{}-1", a.id).into_bytes())
        );
        assert_eq!(
            store.xcom(run.id, "b", key).await.unwrap(),
            None,
            "b's {key}"
        );
    }
    assert_eq!(
        store.task_log(a.id, 1).await.unwrap(),
        Some(format!("{{\"msg\":\"log {} 1\"}}\n", a.id).into_bytes())
    );
    assert_eq!(store.task_log(b.id, 1).await.unwrap(), None, "b's log");
}
