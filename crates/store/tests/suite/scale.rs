//! A large run: 10,000 task instances created, queued, started and finished in batches.

use std::time::Instant;

use weft_model::TaskState;
use weft_store::{DEFAULT_TENANT, NewTaskInstance, RETURN_VALUE, Store, WriteBatch};

use super::{deployed, finish, new_run, queue, start};

const TASKS: usize = 10_000;
const BATCH: usize = 1_000;

pub async fn ten_thousand_tasks(store: &dyn Store) {
    let digest = deployed(store, DEFAULT_TENANT, "big", &["t"]).await;
    let mut request = new_run(DEFAULT_TENANT, "big", "r1", &digest, &[]);
    request.tasks = (0..TASKS)
        .map(|i| NewTaskInstance {
            task_id: format!("t{i:05}"),
            max_tries: 1,
            queue: "default".into(),
            pool: "default_pool".into(),
            priority_weight: i as i32,
        })
        .collect();

    let clock = Instant::now();
    let (run, tis) = store.create_run(request).await.unwrap();
    eprintln!(
        "create_run with {TASKS} task instances: {:?}",
        clock.elapsed()
    );
    assert_eq!(tis.len(), TASKS);
    let mut ids: Vec<i64> = tis.iter().map(|ti| ti.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), TASKS, "every task instance has its own id");

    let clock = Instant::now();
    let outcome = store
        .write(WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    eprintln!("queue {TASKS} in one batch: {:?}", clock.elapsed());
    assert!(outcome.queued.iter().all(|&q| q));
    let starts = tis.iter().map(|ti| start(ti.id, 1)).collect();
    let outcome = store
        .write(WriteBatch {
            start: starts,
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    assert!(outcome.started.iter().all(|&s| s));

    let mut times = Vec::new();
    for chunk in tis.chunks(BATCH) {
        let finishes = chunk
            .iter()
            .map(|ti| finish(ti.id, 1, TaskState::Success))
            .collect();
        let clock = Instant::now();
        let outcome = store
            .write(WriteBatch {
                finish: finishes,
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        times.push(clock.elapsed());
        assert_eq!(outcome.finished.len(), chunk.len());
        assert!(outcome.finished.iter().all(|&f| f));
    }
    times.sort();
    eprintln!(
        "finish {BATCH} per batch (with output, one XCom and a log each): median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );

    // Finishing them again is rejected, all of it.
    let again = tis[..BATCH]
        .iter()
        .map(|ti| finish(ti.id, 1, TaskState::Failed))
        .collect();
    let outcome = store
        .write(WriteBatch {
            finish: again,
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    assert!(outcome.finished.iter().all(|&f| !f));

    let clock = Instant::now();
    let (_, stored) = store.run(run.id).await.unwrap().unwrap();
    eprintln!(
        "load the run with {TASKS} task instances: {:?}",
        clock.elapsed()
    );
    assert_eq!(stored.len(), TASKS);
    assert!(
        stored
            .iter()
            .all(|ti| ti.state == TaskState::Success && ti.try_number == 1)
    );
    assert_eq!(stored[TASKS - 1].priority_weight, (TASKS - 1) as i32);
    let xcoms = store.run_xcoms(run.id).await.unwrap();
    assert_eq!(xcoms.len(), 2 * TASKS);
    let last = &tis[TASKS - 1];
    assert_eq!(
        store
            .xcom(run.id, &last.task_id, RETURN_VALUE)
            .await
            .unwrap(),
        Some(format!("out-{}-1", last.id).into_bytes())
    );
    assert!(store.task_log(last.id, 1).await.unwrap().is_some());
}
