//! XCom values and attempt logs.

use weft_model::TaskState;
use weft_store::{RETURN_VALUE, Store, WriteBatch, Xcom};

use super::write::queue_batch;
use super::{finish, queue, reload, run_of, write};

fn finish_batch(items: Vec<weft_store::FinishTask>) -> WriteBatch {
    WriteBatch {
        finish: items,
        ..WriteBatch::default()
    }
}

pub async fn xcoms_are_kept_per_task_and_key(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(
        store,
        WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        },
    )
    .await;
    let mut a = finish(tis[0].id, 1, TaskState::Success);
    a.output = Some(b"\x00binary\xff".to_vec());
    a.xcom = vec![
        ("k1".into(), b"first".to_vec()),
        ("k2".into(), b"two".to_vec()),
        ("k1".into(), b"last".to_vec()),
    ];
    let mut b = finish(tis[1].id, 1, TaskState::Success);
    b.output = Some(Vec::new());
    b.xcom = vec![];
    assert_eq!(
        write(store, finish_batch(vec![a, b])).await.finished,
        [true, true]
    );

    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(b"\x00binary\xff".to_vec())
    );
    assert_eq!(
        store.xcom(run.id, "a", "k1").await.unwrap(),
        Some(b"last".to_vec()),
        "a later push replaces"
    );
    assert_eq!(
        store.xcom(run.id, "b", RETURN_VALUE).await.unwrap(),
        Some(Vec::new()),
        "an empty output is a value"
    );
    assert!(store.xcom(run.id, "b", "k1").await.unwrap().is_none());
    assert!(
        store
            .xcom(run.id, "c", RETURN_VALUE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .xcom(run.id + 1, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_none()
    );
    let all = store.run_xcoms(run.id).await.unwrap();
    let keys: Vec<(&str, &str)> = all
        .iter()
        .map(|x| (x.task_id.as_str(), x.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("a", "k1"),
            ("a", "k2"),
            ("a", RETURN_VALUE),
            ("b", RETURN_VALUE)
        ]
    );
    assert_eq!(
        all[1],
        Xcom {
            task_id: "a".into(),
            key: "k2".into(),
            value: b"two".to_vec()
        }
    );
}

pub async fn the_output_wins_over_a_pushed_return_value(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    write(
        store,
        WriteBatch {
            queue: vec![queue(&tis[0])],
            ..WriteBatch::default()
        },
    )
    .await;
    let mut a = finish(tis[0].id, 1, TaskState::Success);
    a.output = Some(b"output".to_vec());
    a.xcom = vec![(RETURN_VALUE.into(), b"pushed".to_vec())];
    write(store, finish_batch(vec![a])).await;
    assert_eq!(
        store.xcom(run.id, "a", RETURN_VALUE).await.unwrap(),
        Some(b"output".to_vec())
    );
}

pub async fn logs_are_kept_per_try(store: &dyn Store) {
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
    let mut first = finish(id, 1, TaskState::UpForRetry);
    first.log = Some(b"{\"try\":1}\n".to_vec());
    write(store, finish_batch(vec![first])).await;
    let now = reload(store, run.id, id).await;
    write(
        store,
        WriteBatch {
            queue: vec![queue(&now)],
            ..WriteBatch::default()
        },
    )
    .await;
    let mut second = finish(id, 2, TaskState::Success);
    second.log = Some(b"{\"try\":2}\n".to_vec());
    write(store, finish_batch(vec![second])).await;

    assert_eq!(
        store.task_log(id, 1).await.unwrap(),
        Some(b"{\"try\":1}\n".to_vec())
    );
    assert_eq!(
        store.task_log(id, 2).await.unwrap(),
        Some(b"{\"try\":2}\n".to_vec())
    );
    assert!(store.task_log(id, 3).await.unwrap().is_none());
    assert!(store.task_log(id, 0).await.unwrap().is_none());
}

pub async fn a_new_attempt_starts_without_old_xcoms(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(
        store,
        WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        },
    )
    .await;
    let failed = finish(tis[0].id, 1, TaskState::UpForRetry);
    let done = finish(tis[1].id, 1, TaskState::Success);
    write(store, finish_batch(vec![failed, done])).await;
    assert!(
        store.xcom(run.id, "a", "pushed").await.unwrap().is_some(),
        "a failed attempt's pushes are kept"
    );

    let now = reload(store, run.id, tis[0].id).await;
    assert_eq!(
        write(
            store,
            WriteBatch {
                queue: vec![queue(&now)],
                ..WriteBatch::default()
            }
        )
        .await
        .queued,
        [true]
    );
    assert!(
        store.xcom(run.id, "a", "pushed").await.unwrap().is_none(),
        "queuing attempt 2 drops attempt 1's values"
    );
    assert!(
        store
            .xcom(run.id, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .xcom(run.id, "b", RETURN_VALUE)
            .await
            .unwrap()
            .is_some(),
        "other tasks' values stay"
    );
}

/// An attempt that logged nothing stores no log row (the API shows an empty log for it).
pub async fn an_empty_log_is_not_stored(store: &dyn Store) {
    let (_, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(store, queue_batch(tis.iter().map(queue).collect())).await;
    let mut quiet = finish(tis[0].id, 1, TaskState::Success);
    quiet.log = Some(Vec::new());
    let loud = finish(tis[1].id, 1, TaskState::Success);
    let outcome = write(store, finish_batch(vec![quiet, loud])).await;
    assert_eq!(outcome.finished, [true, true]);
    assert_eq!(store.task_log(tis[0].id, 1).await.unwrap(), None);
    assert_eq!(
        store.task_log(tis[1].id, 1).await.unwrap(),
        Some(format!("{{\"msg\":\"log {} 1\"}}\n", tis[1].id).into_bytes())
    );
}
