//! The fencing rules: a change made under a lease that is no longer current is rejected,
//! and nothing of it is written.

use weft_model::TaskState;
use weft_store::{
    Heartbeat, QueueTask, RETURN_VALUE, SetTaskState, Store, WriteBatch, WriteOutcome,
};

use super::write::{finish_batch, queue_batch};
use super::{finish, queue, reload, run_of, start, ts, write};

pub async fn queue_needs_the_seen_state_and_lease(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    let wrong_state = QueueTask {
        from: TaskState::Scheduled,
        ..queue(ti)
    };
    let wrong_lease = QueueTask {
        lease: 7,
        ..queue(ti)
    };
    let outcome = write(store, queue_batch(vec![wrong_state, wrong_lease])).await;
    assert_eq!(outcome.queued, [false, false]);
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.lease, now.try_number),
        (TaskState::None, 0, 0)
    );

    assert_eq!(
        write(store, queue_batch(vec![queue(ti)])).await.queued,
        [true]
    );
    // The same queue again is stale: the lease moved on.
    assert_eq!(
        write(store, queue_batch(vec![queue(ti)])).await.queued,
        [false]
    );
    assert_eq!(reload(store, run.id, ti.id).await.lease, 1);
}

pub async fn stale_lease_is_rejected_and_writes_nothing(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    write(store, queue_batch(vec![queue(ti)])).await;
    write(
        store,
        WriteBatch {
            start: vec![start(ti.id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;
    // Attempt 1's lease expires; the scheduler gives up on it and queues attempt 2.
    let retry = SetTaskState {
        ti: ti.id,
        state: TaskState::UpForRetry,
        at: ts(90),
        max_tries: None,
        bump_lease: true,
    };
    write(
        store,
        WriteBatch {
            set_task: vec![retry],
            ..WriteBatch::default()
        },
    )
    .await;
    let now = reload(store, run.id, ti.id).await;
    assert_eq!((now.state, now.lease), (TaskState::UpForRetry, 2));
    assert_eq!(
        write(store, queue_batch(vec![queue(&now)])).await.queued,
        [true]
    );
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.lease, now.try_number),
        (TaskState::Queued, 3, 2)
    );

    // Attempt 1 reports late: every change it makes is rejected, and nothing of it is written.
    let stale = WriteBatch {
        start: vec![start(ti.id, 1)],
        heartbeat: vec![Heartbeat {
            ti: ti.id,
            lease: 1,
            lease_expires_at: ts(999),
        }],
        finish: vec![finish(ti.id, 1, TaskState::Success)],
        ..WriteBatch::default()
    };
    let outcome = write(store, stale).await;
    assert_eq!(
        outcome,
        WriteOutcome {
            started: vec![false],
            heartbeats: vec![false],
            finished: vec![false],
            queued: vec![],
            ..WriteOutcome::default()
        }
    );
    let after = reload(store, run.id, ti.id).await;
    assert_eq!(after, now, "the task instance is untouched");
    assert!(
        store
            .xcom(run.id, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.xcom(run.id, "a", "pushed").await.unwrap().is_none());
    assert!(store.run_xcoms(run.id).await.unwrap().is_empty());
    assert!(store.task_log(ti.id, 1).await.unwrap().is_none());
    assert!(store.task_log(ti.id, 2).await.unwrap().is_none());

    // Attempt 2, under the current lease, goes through.
    let current = WriteBatch {
        start: vec![start(ti.id, 3)],
        finish: vec![finish(ti.id, 3, TaskState::Success)],
        ..WriteBatch::default()
    };
    let outcome = write(store, current).await;
    assert_eq!(
        (outcome.started, outcome.finished),
        (vec![true], vec![true])
    );
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(format!("out-{}-3", ti.id).into_bytes())
    );
    assert!(
        store.task_log(ti.id, 2).await.unwrap().is_some(),
        "the log is kept under try 2"
    );
}

pub async fn double_finish_is_rejected(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(store, queue_batch(tis.iter().map(queue).collect())).await;
    let (a, b) = (tis[0].id, tis[1].id);

    assert_eq!(
        write(store, finish_batch(vec![finish(a, 1, TaskState::Success)]))
            .await
            .finished,
        [true]
    );
    let mut again = finish(a, 1, TaskState::Failed);
    again.output = Some(b"second".to_vec());
    assert_eq!(
        write(store, finish_batch(vec![again])).await.finished,
        [false]
    );
    assert_eq!(reload(store, run.id, a).await.state, TaskState::Success);
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(format!("out-{a}-1").into_bytes())
    );

    // Twice in one batch: the first applies, the second is rejected.
    let mut second = finish(b, 1, TaskState::Failed);
    second.output = Some(b"second".to_vec());
    second.log = Some(b"second log".to_vec());
    let outcome = write(
        store,
        finish_batch(vec![finish(b, 1, TaskState::Success), second]),
    )
    .await;
    assert_eq!(outcome.finished, [true, false]);
    assert_eq!(reload(store, run.id, b).await.state, TaskState::Success);
    assert_eq!(
        store.xcom(run.id, "b", RETURN_VALUE).await.unwrap(),
        Some(format!("out-{b}-1").into_bytes())
    );
    assert_ne!(
        store.task_log(b, 1).await.unwrap(),
        Some(b"second log".to_vec())
    );
}

pub async fn clearing_bumps_the_lease_and_rejects_in_flight_results(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    write(store, queue_batch(vec![queue(ti)])).await;
    write(
        store,
        WriteBatch {
            start: vec![start(ti.id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;

    let clear = SetTaskState {
        ti: ti.id,
        state: TaskState::None,
        at: ts(50),
        max_tries: Some(4),
        bump_lease: true,
    };
    write(
        store,
        WriteBatch {
            set_task: vec![clear],
            ..WriteBatch::default()
        },
    )
    .await;
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.lease, now.max_tries, now.try_number),
        (TaskState::None, 2, 4, 1)
    );
    assert_eq!(
        (
            now.queued_at,
            now.started_at,
            now.ended_at,
            now.lease_expires_at
        ),
        (None, None, None, None)
    );
    assert!(
        now.worker_id.is_none()
            && now.hostname.is_none()
            && now.error_class.is_none()
            && now.error.is_none()
    );

    // The attempt that was running when the task was cleared finishes: rejected.
    let outcome = write(
        store,
        finish_batch(vec![finish(ti.id, 1, TaskState::Success)]),
    )
    .await;
    assert_eq!(outcome.finished, [false]);
    assert_eq!(reload(store, run.id, ti.id).await.state, TaskState::None);
    assert!(
        store
            .xcom(run.id, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.task_log(ti.id, 1).await.unwrap().is_none());
    // The next attempt is queued from the new lease.
    assert_eq!(
        write(store, queue_batch(vec![queue(&now)])).await.queued,
        [true]
    );
    assert_eq!(reload(store, run.id, ti.id).await.try_number, 2);
}

pub async fn concurrent_finishes_apply_once(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    write(store, queue_batch(vec![queue(&tis[0])])).await;
    let id = tis[0].id;
    let one = |n: u8| {
        let mut done = finish(id, 1, TaskState::Success);
        done.output = Some(vec![n]);
        store.write(finish_batch(vec![done]))
    };
    let (a, b, c, d) = tokio::join!(one(1), one(2), one(3), one(4));
    let applied: Vec<bool> = [a, b, c, d]
        .into_iter()
        .map(|o| o.unwrap().finished[0])
        .collect();
    assert_eq!(
        applied.iter().filter(|&&x| x).count(),
        1,
        "exactly one finish applies: {applied:?}"
    );
    let winner = applied.iter().position(|&x| x).unwrap() as u8 + 1;
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(vec![winner])
    );
}
