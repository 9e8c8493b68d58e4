//! Live log lines and queue depths.

use weft_model::TaskState;
use weft_store::{DEFAULT_TENANT, LogAppend, Store, WriteBatch};

use super::{finish, queue, reload, run_of, start, ts, write};

const LIMIT: u64 = 1 << 20;

pub async fn live_log_lines_are_appended_while_the_attempt_holds_its_lease(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let id = tis[0].id;
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0])],
            ..WriteBatch::default()
        },
    )
    .await;
    let lease = reload(store, run.id, id).await.lease;
    // Lines that follow others already sent (all but the attempt's first).
    let append = |lines: &'static [u8], lease: i64, max: u64| {
        store.append_task_log(id, lease, true, lines.to_vec(), max)
    };
    assert_eq!(
        store
            .append_task_log(id, lease, false, b"{\"n\":0}\n".to_vec(), LIMIT)
            .await
            .unwrap(),
        LogAppend::Appended
    );
    assert_eq!(
        store
            .append_task_log(id, lease, false, b"{\"n\":1}\n".to_vec(), LIMIT)
            .await
            .unwrap(),
        LogAppend::Appended,
        "a queued attempt may log: its start may not be written yet; first lines start the \
         log afresh (the same delivery run again)"
    );
    write(
        store,
        WriteBatch {
            start: vec![start(id, lease)],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(
        append(b"{\"n\":2}\n", lease, LIMIT).await.unwrap(),
        LogAppend::Appended
    );
    assert_eq!(
        store.task_log(id, 1).await.unwrap().as_deref(),
        Some(&b"{\"n\":1}\n{\"n\":2}\n"[..]),
        "lines are added in order to the current try's log"
    );
    assert_eq!(
        append(b"{\"n\":3}\n", lease + 1, LIMIT).await.unwrap(),
        LogAppend::Stale,
        "a lease the attempt does not hold"
    );
    assert_eq!(
        append(b"{\"n\":3}\n", lease, 20).await.unwrap(),
        LogAppend::Full,
        "the stored log would pass its limit"
    );
    assert_eq!(
        store.task_log(id, 1).await.unwrap().as_deref(),
        Some(&b"{\"n\":1}\n{\"n\":2}\n"[..]),
        "refused lines store nothing"
    );

    let tail = store
        .task_log_tail(id, 1, 8, Some(lease))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tail.bytes.as_slice(), tail.size, tail.lease, tail.live),
        (&b"{\"n\":2}\n"[..], 16, Some(lease), true),
        "the log from a byte on, and whose it is"
    );
    assert!(
        store
            .task_log_tail(id, 1, 99, None)
            .await
            .unwrap()
            .unwrap()
            .bytes
            .is_empty(),
        "past the end"
    );
    assert!(store.task_log_tail(id, 2, 0, None).await.unwrap().is_none());

    let mut done = finish(id, lease, TaskState::Success);
    done.log = Some(b"{\"final\":true}\n".to_vec());
    write(
        store,
        WriteBatch {
            finish: vec![done],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(
        store.task_log(id, 1).await.unwrap().as_deref(),
        Some(&b"{\"final\":true}\n"[..]),
        "the log sent with the result replaces the live one"
    );
    assert_eq!(
        append(b"{\"late\":true}\n", lease, LIMIT).await.unwrap(),
        LogAppend::Stale,
        "an ended attempt logs no more"
    );
    assert_eq!(
        store.task_log(id, 1).await.unwrap().as_deref(),
        Some(&b"{\"final\":true}\n"[..])
    );
    let tail = store.task_log_tail(id, 1, 0, None).await.unwrap().unwrap();
    assert_eq!(
        (tail.lease, tail.live),
        (Some(lease), false),
        "the final log"
    );
    assert_eq!(
        store
            .append_task_log(id + 1000, lease, true, b"x\n".to_vec(), LIMIT)
            .await
            .unwrap(),
        LogAppend::Stale,
        "an unknown task instance"
    );
}

pub async fn queue_depths_count_queued_and_running_per_queue(store: &dyn Store) {
    assert!(store.queue_depths(DEFAULT_TENANT).await.unwrap().is_empty());
    let (run, tis) = run_of(store, "etl", &["a", "b", "c"]).await;
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0]), queue(&tis[1])],
            ..WriteBatch::default()
        },
    )
    .await;
    let b = reload(store, run.id, tis[1].id).await;
    write(
        store,
        WriteBatch {
            start: vec![start(b.id, b.lease)],
            ..WriteBatch::default()
        },
    )
    .await;
    let depths = store.queue_depths(DEFAULT_TENANT).await.unwrap();
    assert_eq!(depths.len(), 1, "{depths:?}");
    let depth = &depths[0];
    assert_eq!(depth.queue, tis[0].queue);
    assert_eq!((depth.queued, depth.running), (1, 1), "{depth:?}");
    assert_eq!(depth.oldest_queued_at, Some(ts(10)));
    assert!(
        store.queue_depths("other").await.unwrap().is_empty(),
        "another tenant's queues are its own"
    );
    let pools = store.pool_usage(DEFAULT_TENANT).await.unwrap();
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert_eq!(pools[0].pool, tis[0].pool);
    assert_eq!(
        (pools[0].used, pools[0].waiting),
        (2, 0),
        "queued and running hold slots"
    );
    assert!(store.pool_usage("other").await.unwrap().is_empty());
}

pub async fn a_new_attempt_of_the_same_try_starts_its_live_log_afresh(store: &dyn Store) {
    // A sensor pokes again in the same try, under a new lease: its lines replace the
    // earlier poke's log rather than join it.
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let id = tis[0].id;
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0])],
            ..WriteBatch::default()
        },
    )
    .await;
    let first = reload(store, run.id, id).await;
    assert_eq!(
        store
            .append_task_log(id, first.lease, false, b"{\"poke\":1}\n".to_vec(), LIMIT)
            .await
            .unwrap(),
        LogAppend::Appended
    );
    let mut poked = finish(id, first.lease, TaskState::UpForReschedule);
    poked.log = Some(b"{\"poke\":1}\n{\"end\":1}\n".to_vec());
    write(
        store,
        WriteBatch {
            finish: vec![poked],
            ..WriteBatch::default()
        },
    )
    .await;
    let now = reload(store, run.id, id).await;
    let mut again = queue(&now);
    again.try_number = now.try_number;
    write(
        store,
        WriteBatch {
            queue: vec![again],
            ..WriteBatch::default()
        },
    )
    .await;
    let second = reload(store, run.id, id).await;
    assert_eq!(second.try_number, first.try_number, "the same try");
    assert_ne!(second.lease, first.lease);
    assert_eq!(
        store
            .append_task_log(id, second.lease, true, b"{\"poke\":2}\n".to_vec(), LIMIT)
            .await
            .unwrap(),
        LogAppend::Appended
    );
    let tail = store
        .task_log_tail(id, first.try_number, 0, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tail.bytes.as_slice(), tail.lease),
        (&b"{\"poke\":2}\n"[..], Some(second.lease)),
        "the second poke's lines alone (even sent as following others)"
    );
    let theirs = store
        .task_log_tail(id, first.try_number, 0, Some(first.lease))
        .await
        .unwrap()
        .unwrap();
    assert!(
        theirs.bytes.is_empty() && theirs.size > 0,
        "asked for the first poke's log, nothing of the second's comes: {theirs:?}"
    );
}
