//! Batched writes and the fencing rules.

use weft_model::TaskState;
use weft_store::{
    DeferTask, FinishTask, Heartbeat, QueueTask, RETURN_VALUE, ResolveDeferral, SensorPoke,
    SetTaskState, Store, StoreError, TaskInstance, WriteBatch, WriteOutcome,
};

use super::{finish, queue, reload, run_of, start, ts, write};

pub fn queue_batch(items: Vec<QueueTask>) -> WriteBatch {
    WriteBatch {
        queue: items,
        ..WriteBatch::default()
    }
}

pub fn finish_batch(items: Vec<FinishTask>) -> WriteBatch {
    WriteBatch {
        finish: items,
        ..WriteBatch::default()
    }
}

pub async fn an_attempt_moves_through_queue_start_heartbeat_finish(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];

    let outcome = write(store, queue_batch(vec![queue(ti)])).await;
    assert_eq!(
        outcome,
        WriteOutcome {
            queued: vec![true],
            ..WriteOutcome::default()
        }
    );
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.lease, now.try_number, now.queued_at),
        (TaskState::Queued, 1, 1, Some(ts(10)))
    );

    let outcome = write(
        store,
        WriteBatch {
            start: vec![start(ti.id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.started, [true]);
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.started_at, now.lease_expires_at),
        (TaskState::Running, Some(ts(20)), Some(ts(80)))
    );
    assert_eq!(
        (now.worker_id.as_deref(), now.hostname.as_deref()),
        (Some("worker-1"), Some("host-1"))
    );

    let beat = Heartbeat {
        ti: ti.id,
        lease: 1,
        lease_expires_at: ts(140),
    };
    let outcome = write(
        store,
        WriteBatch {
            heartbeat: vec![beat],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.heartbeats, [true]);
    assert_eq!(
        reload(store, run.id, ti.id).await.lease_expires_at,
        Some(ts(140))
    );

    let outcome = write(
        store,
        finish_batch(vec![finish(ti.id, 1, TaskState::Success)]),
    )
    .await;
    assert_eq!(outcome.finished, [true]);
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.ended_at, now.duration_ms),
        (TaskState::Success, Some(ts(30)), Some(10_000))
    );
    assert_eq!((now.lease, now.lease_expires_at), (1, None));
    assert_eq!(
        now.worker_id.as_deref(),
        Some("worker-1"),
        "a finish without worker keeps the starter's"
    );
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(format!("out-{}-1", ti.id).into_bytes())
    );
    assert_eq!(
        store.xcom(run.id, "a", "pushed").await.unwrap(),
        Some(format!("pushed-{}-1", ti.id).into_bytes())
    );
    assert!(store.task_log(ti.id, 1).await.unwrap().is_some());
}

pub async fn failures_finish_straight_from_queued(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(store, queue_batch(tis.iter().map(queue).collect())).await;
    let mut retry = finish(tis[0].id, 1, TaskState::UpForRetry);
    retry.next_retry_at = Some(ts(300));
    retry.error_class = Some("trap".into());
    retry.error = Some("unreachable executed".into());
    retry.worker_id = Some("worker-9".into());
    retry.hostname = Some("host-9".into());
    retry.output = None;
    let mut failed = finish(tis[1].id, 1, TaskState::Failed);
    failed.error_class = Some("timeout".into());
    let outcome = write(store, finish_batch(vec![retry, failed])).await;
    assert_eq!(outcome.finished, [true, true]);

    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.next_retry_at, a.error_class.as_deref()),
        (TaskState::UpForRetry, Some(ts(300)), Some("trap"))
    );
    assert_eq!(
        (
            a.error.as_deref(),
            a.worker_id.as_deref(),
            a.hostname.as_deref()
        ),
        (
            Some("unreachable executed"),
            Some("worker-9"),
            Some("host-9")
        )
    );
    assert_eq!((a.started_at, a.ended_at), (None, Some(ts(30))));
    assert!(
        store
            .xcom(run.id, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_none(),
        "no output was given"
    );
    assert!(store.task_log(a.id, 1).await.unwrap().is_some());
    let b = reload(store, run.id, tis[1].id).await;
    assert_eq!(
        (b.state, b.error_class.as_deref()),
        (TaskState::Failed, Some("timeout"))
    );
}

pub async fn invalid_batches_write_nothing(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    for (what, bad) in [
        (
            "running is not a final state",
            FinishTask {
                state: TaskState::Running,
                ..finish(ti.id, 1, TaskState::Success)
            },
        ),
        (
            "negative duration",
            FinishTask {
                duration_ms: -1,
                ..finish(ti.id, 1, TaskState::Success)
            },
        ),
        (
            "empty XCom key",
            FinishTask {
                xcom: vec![(String::new(), vec![1])],
                ..finish(ti.id, 1, TaskState::Success)
            },
        ),
    ] {
        let batch = WriteBatch {
            queue: vec![queue(ti)],
            finish: vec![bad],
            ..WriteBatch::default()
        };
        let err = store.write(batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{what}: {err}");
    }
    let now = reload(store, run.id, ti.id).await;
    assert_eq!(
        (now.state, now.lease),
        (TaskState::None, 0),
        "the valid queue in the batch was not applied either"
    );
}

pub async fn one_batch_applies_kinds_in_order(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    write(store, queue_batch(vec![queue(ti)])).await;
    // Attempt 1 starts, beats and ends up for retry, and attempt 2 is queued, in one
    // transaction: starts, heartbeats and finishes go before queue ops.
    let retry = QueueTask {
        ti: ti.id,
        lease: 1,
        from: TaskState::UpForRetry,
        try_number: 2,
        at: ts(35),
    };
    let batch = WriteBatch {
        leader: None,
        queue: vec![retry],
        start: vec![start(ti.id, 1)],
        heartbeat: vec![Heartbeat {
            ti: ti.id,
            lease: 1,
            lease_expires_at: ts(100),
        }],
        finish: vec![finish(ti.id, 1, TaskState::UpForRetry)],
        defer: vec![],
        resolve: vec![],
        end_mapped: vec![],
        set_task: vec![],
        set_run: vec![weft_store::SetRunState {
            run: run.id,
            state: weft_model::DagRunState::Running,
            at: ts(40),
        }],
        all_finishes: true,
        notify: vec![],
        asset_events: vec![],
    };
    let outcome = write(store, batch).await;
    assert_eq!(
        outcome,
        WriteOutcome {
            queued: vec![true],
            started: vec![true],
            heartbeats: vec![true],
            finished: vec![true],
            ..WriteOutcome::default()
        }
    );
    let (stored_run, tis) = store.run(run.id).await.unwrap().unwrap();
    assert_eq!(
        (tis[0].state, tis[0].try_number, tis[0].lease),
        (TaskState::Queued, 2, 2)
    );
    assert_eq!(stored_run.state, weft_model::DagRunState::Running);
    // The new attempt starts without the values of the first.
    assert_eq!(store.xcom(run.id, "a", "pushed").await.unwrap(), None);
}

pub async fn heartbeat_needs_running(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let ti = &tis[0];
    write(store, queue_batch(vec![queue(ti)])).await;
    let beat = Heartbeat {
        ti: ti.id,
        lease: 1,
        lease_expires_at: ts(500),
    };
    assert_eq!(
        write(
            store,
            WriteBatch {
                heartbeat: vec![beat.clone()],
                ..WriteBatch::default()
            }
        )
        .await
        .heartbeats,
        [false]
    );
    assert_eq!(reload(store, run.id, ti.id).await.lease_expires_at, None);
    // Starting twice: the second start is rejected (already running).
    let outcome = write(
        store,
        WriteBatch {
            start: vec![start(ti.id, 1), start(ti.id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.started, [true, false]);
    // Heartbeats may repeat.
    let outcome = write(
        store,
        WriteBatch {
            heartbeat: vec![beat.clone(), beat],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.heartbeats, [true, true]);
    // An unknown task instance is simply not applied.
    let ghost = Heartbeat {
        ti: 987_654,
        lease: 1,
        lease_expires_at: ts(500),
    };
    assert_eq!(
        write(
            store,
            WriteBatch {
                heartbeat: vec![ghost],
                ..WriteBatch::default()
            }
        )
        .await
        .heartbeats,
        [false]
    );
}

pub async fn set_task_marks_without_fencing(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    let skip = SetTaskState {
        ti: tis[0].id,
        state: TaskState::Skipped,
        at: ts(5),
        max_tries: None,
        bump_lease: false,
    };
    let upstream = SetTaskState {
        ti: tis[1].id,
        state: TaskState::UpstreamFailed,
        at: ts(6),
        max_tries: None,
        bump_lease: true,
    };
    let ghost = SetTaskState {
        ti: 987_654,
        state: TaskState::Skipped,
        at: ts(6),
        max_tries: None,
        bump_lease: false,
    };
    write(
        store,
        WriteBatch {
            set_task: vec![skip, upstream, ghost],
            ..WriteBatch::default()
        },
    )
    .await;
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.lease, a.ended_at, a.max_tries),
        (TaskState::Skipped, 0, Some(ts(5)), 2)
    );
    let b = reload(store, run.id, tis[1].id).await;
    assert_eq!(
        (b.state, b.lease, b.ended_at),
        (TaskState::UpstreamFailed, 1, Some(ts(6)))
    );
    // Marked twice in one batch: the last mark wins.
    let first = SetTaskState {
        ti: tis[0].id,
        state: TaskState::Success,
        at: ts(7),
        max_tries: None,
        bump_lease: true,
    };
    let second = SetTaskState {
        ti: tis[0].id,
        state: TaskState::Failed,
        at: ts(8),
        max_tries: None,
        bump_lease: true,
    };
    write(
        store,
        WriteBatch {
            set_task: vec![first, second],
            ..WriteBatch::default()
        },
    )
    .await;
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.lease, a.ended_at),
        (TaskState::Failed, 2, Some(ts(8)))
    );
}

pub async fn empty_batch_is_a_no_op(store: &dyn Store) {
    assert_eq!(
        store.write(WriteBatch::default()).await.unwrap(),
        WriteOutcome::default()
    );
}

/// A result that carries its start time sets it when no start was written, and leaves the
/// written one alone otherwise.
pub async fn a_result_carries_the_start_it_was_reported_with(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(store, queue_batch(tis.iter().map(queue).collect())).await;
    let outcome = write(
        store,
        WriteBatch {
            start: vec![start(tis[1].id, 1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.started, [true]);

    let mut a = finish(tis[0].id, 1, TaskState::Success);
    a.started_at = Some(ts(25));
    a.worker_id = Some("worker-7".into());
    let mut b = finish(tis[1].id, 1, TaskState::Success);
    b.started_at = Some(ts(25));
    let outcome = write(store, finish_batch(vec![a, b])).await;
    assert_eq!(outcome.finished, [true, true]);

    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.started_at, a.ended_at, a.worker_id.as_deref()),
        (
            TaskState::Success,
            Some(ts(25)),
            Some(ts(30)),
            Some("worker-7")
        ),
        "straight from queued, the result's start is the start"
    );
    let b = reload(store, run.id, tis[1].id).await;
    assert_eq!(
        (b.state, b.started_at, b.worker_id.as_deref()),
        (TaskState::Success, Some(ts(20)), Some("worker-1")),
        "the start written before stays"
    );
}

/// A sensor's reschedule records its try's first poke and its pokes; a poke queued again in
/// the same try keeps them, a new try and a clearing start them afresh.
pub async fn a_reschedule_records_the_sensors_pokes(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    write(store, queue_batch(vec![queue(&tis[0])])).await;
    let mut poke = finish(tis[0].id, 1, TaskState::UpForReschedule);
    poke.next_retry_at = Some(ts(40));
    poke.output = None;
    poke.poke = Some(SensorPoke {
        started_at: ts(25),
        pokes: 1,
    });
    assert_eq!(
        write(store, finish_batch(vec![poke])).await.finished,
        [true]
    );
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (
            a.state,
            a.next_retry_at,
            a.sensor_started_at,
            a.pokes,
            a.try_number
        ),
        (TaskState::UpForReschedule, Some(ts(40)), Some(ts(25)), 1, 1)
    );

    // The next poke keeps the try, and with it the first poke's time.
    let again = QueueTask {
        try_number: a.try_number,
        ..queue(&a)
    };
    write(store, queue_batch(vec![again])).await;
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.try_number, a.sensor_started_at, a.pokes),
        (TaskState::Queued, 1, Some(ts(25)), 1)
    );

    // A new try pokes afresh.
    let mut failed = finish(a.id, a.lease, TaskState::UpForRetry);
    failed.output = None;
    write(store, finish_batch(vec![failed])).await;
    let a = reload(store, run.id, tis[0].id).await;
    write(store, queue_batch(vec![queue(&a)])).await;
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!((a.try_number, a.sensor_started_at, a.pokes), (2, None, 0));

    // Clearing forgets the pokes too.
    let mut poke = finish(a.id, a.lease, TaskState::UpForReschedule);
    poke.output = None;
    poke.poke = Some(SensorPoke {
        started_at: ts(50),
        pokes: 3,
    });
    write(store, finish_batch(vec![poke])).await;
    assert_eq!(reload(store, run.id, tis[0].id).await.pokes, 3);
    let clear = SetTaskState {
        ti: a.id,
        state: TaskState::None,
        at: ts(60),
        max_tries: None,
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
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.sensor_started_at, a.pokes),
        (TaskState::None, None, 0)
    );
}

pub fn time_wait(at: i64, resume: bool) -> weft_model::Deferral {
    weft_model::Deferral {
        wait: weft_model::Awaited::Until(ts(at)),
        resume,
        event: None,
    }
}

/// A wait task starts waiting fenced as queuing is; its wait ends fenced by its lease, and a
/// successful end stores its output. A stale or second end writes nothing.
pub async fn a_wait_starts_and_ends_fenced(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    let defer = |ti: &TaskInstance, lease: i64| DeferTask {
        ti: ti.id,
        lease,
        from: TaskState::None,
        try_number: 1,
        deferral: time_wait(90, false),
        next_at: Some(ts(90)),
        at: ts(10),
    };
    let outcome = write(
        store,
        WriteBatch {
            defer: vec![defer(&tis[0], 0), defer(&tis[1], 7)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.deferred, [true, false], "b's lease is not 7");
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (
            a.state,
            a.lease,
            a.try_number,
            a.next_retry_at,
            a.sensor_started_at,
            a.started_at
        ),
        (
            TaskState::Deferred,
            1,
            1,
            Some(ts(90)),
            Some(ts(10)),
            Some(ts(10))
        )
    );
    assert_eq!(a.deferral, Some(time_wait(90, false)));
    assert_eq!(
        reload(store, run.id, tis[1].id).await.state,
        TaskState::None
    );

    let end = |lease: i64| ResolveDeferral {
        ti: a.id,
        lease,
        state: TaskState::Success,
        at: ts(95),
        output: Some(br#"{"kind":"time"}"#.to_vec()),
        deferral: None,
        error_class: None,
        error: None,
        next_retry_at: None,
    };
    let outcome = write(
        store,
        WriteBatch {
            resolve: vec![end(0)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.resolved, [false], "a stale lease");
    let outcome = write(
        store,
        WriteBatch {
            resolve: vec![end(1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.resolved, [true]);
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        (a.state, a.ended_at, a.duration_ms, a.next_retry_at),
        (TaskState::Success, Some(ts(95)), Some(85_000), None)
    );
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.expect("xcom"),
        Some(br#"{"kind":"time"}"#.to_vec())
    );
    let again = write(
        store,
        WriteBatch {
            resolve: vec![end(1)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(again.resolved, [false], "a wait ends once");
}

/// An attempt that defers keeps its deferral; its end with the event schedules it again in
/// the same try, which keeps the deferral when queued; a new try and a clearing forget it.
pub async fn a_deferred_attempt_resumes_in_its_try(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    write(store, queue_batch(vec![queue(&tis[0])])).await;
    let mut deferred = finish(tis[0].id, 1, TaskState::Deferred);
    deferred.output = None;
    deferred.next_retry_at = Some(ts(90));
    deferred.deferral = Some(time_wait(90, true));
    assert_eq!(
        write(store, finish_batch(vec![deferred])).await.finished,
        [true]
    );
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!((a.state, a.lease), (TaskState::Deferred, 1));
    assert_eq!(a.deferral, Some(time_wait(90, true)));

    // The wait ends: scheduled again with the event, then queued in the same batch.
    let mut with_event = time_wait(90, true);
    with_event.event = Some(r#"{"kind":"time"}"#.into());
    let outcome = write(
        store,
        WriteBatch {
            resolve: vec![ResolveDeferral {
                ti: a.id,
                lease: 1,
                state: TaskState::Scheduled,
                at: ts(91),
                output: None,
                deferral: Some(with_event.clone()),
                error_class: None,
                error: None,
                next_retry_at: None,
            }],
            queue: vec![QueueTask {
                ti: a.id,
                lease: 1,
                from: TaskState::Scheduled,
                try_number: 1,
                at: ts(91),
            }],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!((outcome.resolved, outcome.queued), (vec![true], vec![true]));
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!((a.state, a.try_number, a.lease), (TaskState::Queued, 1, 2));
    assert_eq!(a.deferral, Some(with_event));

    // A new try forgets it.
    let mut failed = finish(a.id, a.lease, TaskState::UpForRetry);
    failed.output = None;
    write(store, finish_batch(vec![failed])).await;
    let a = reload(store, run.id, tis[0].id).await;
    write(store, queue_batch(vec![queue(&a)])).await;
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!((a.try_number, a.deferral), (2, None));

    // Clearing forgets it too.
    let mut deferred = finish(a.id, a.lease, TaskState::Deferred);
    deferred.output = None;
    deferred.deferral = Some(time_wait(99, false));
    write(store, finish_batch(vec![deferred])).await;
    assert!(reload(store, run.id, tis[0].id).await.deferral.is_some());
    write(
        store,
        WriteBatch {
            set_task: vec![SetTaskState {
                ti: a.id,
                state: TaskState::None,
                at: ts(99),
                max_tries: None,
                bump_lease: true,
            }],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(reload(store, run.id, tis[0].id).await.deferral, None);
}

/// Deferring without a deferral, a deferral on another state, and ends in states a wait
/// cannot end in are refused, and write nothing.
pub async fn bad_deferrals_are_refused(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    write(store, queue_batch(vec![queue(&tis[0])])).await;
    let mut no_deferral = finish(tis[0].id, 1, TaskState::Deferred);
    no_deferral.output = None;
    let mut stray = finish(tis[0].id, 1, TaskState::Success);
    stray.deferral = Some(time_wait(90, false));
    for bad in [no_deferral, stray] {
        let err = store
            .write(finish_batch(vec![bad]))
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("deferral"), "{err}");
    }
    let err = store
        .write(WriteBatch {
            resolve: vec![ResolveDeferral {
                ti: tis[0].id,
                lease: 1,
                state: TaskState::Running,
                at: ts(40),
                output: None,
                deferral: None,
                error_class: None,
                error: None,
                next_retry_at: None,
            }],
            ..WriteBatch::default()
        })
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("running"), "{err}");
    let a = reload(store, run.id, tis[0].id).await;
    assert_eq!((a.state, a.deferral), (TaskState::Queued, None));
}
