//! Upstream outputs travel in task messages when the scheduler saw them: the worker of a
//! downstream task then fetches nothing. After a restart the scheduler has not seen them,
//! and the message says so (the worker fetches).

#![allow(clippy::unwrap_used)]

use crate::support;

use support::{bench, task_ids};
use weft_model::{DagSpec, TaskSpec};
use weft_scheduler::{AttemptOutcome, SchedulerConfig};

const T0: &str = "2024-03-01T00:00:00Z";

fn diamond() -> DagSpec {
    let mut spec = DagSpec::new("diamond");
    spec.tasks = vec![
        TaskSpec::new("a"),
        TaskSpec::new("b"),
        TaskSpec::new("c").after(["a", "b"]),
    ];
    spec
}

fn output(bytes: &[u8]) -> AttemptOutcome {
    AttemptOutcome::Success {
        output: bytes.to_vec(),
        asset_extras: Vec::new(),
    }
}

#[tokio::test]
async fn a_downstream_message_carries_the_outputs_its_scheduler_saw() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(diamond()).await;
    b.trigger("diamond").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    let mut ids = task_ids(&first);
    ids.sort_unstable();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(
        first[0].upstream_outputs,
        Some(Vec::new()),
        "no upstream: nothing to fetch"
    );
    let mut reports = Vec::new();
    for m in &first {
        reports.push(b.started(m));
        let bytes = if m.task_id == "a" {
            &b"\"from a\""[..]
        } else {
            &b"\"from b\""[..]
        };
        reports.push(b.finished(m, output(bytes)));
    }
    s.step(reports).await.unwrap();
    let c = b.take().await.remove(0);
    assert_eq!(c.task_id, "c");
    let mut carried = c.upstream_outputs.clone().expect("outputs carried");
    carried.sort();
    assert_eq!(
        carried,
        [
            ("a".to_owned(), b"\"from a\"".to_vec()),
            ("b".to_owned(), b"\"from b\"".to_vec())
        ]
    );
}

#[tokio::test]
async fn a_restarted_scheduler_lets_the_worker_fetch_outputs_it_did_not_see() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(diamond()).await;
    b.trigger("diamond").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    // `a` finishes under this scheduler; `b` only starts.
    let a = first.iter().find(|m| m.task_id == "a").unwrap();
    let bm = first.iter().find(|m| m.task_id == "b").unwrap();
    s.step(vec![
        b.started(a),
        b.finished(a, output(b"1")),
        b.started(bm),
    ])
    .await
    .unwrap();
    drop(s);
    // A new scheduler loads the run; `b` finishes under it.
    let mut again = b.scheduler();
    again.start().await.unwrap();
    again
        .step(vec![b.finished(bm, output(b"2"))])
        .await
        .unwrap();
    let c = b.take().await.remove(0);
    assert_eq!(c.task_id, "c");
    assert_eq!(
        c.upstream_outputs, None,
        "`a` finished before the restart: unknown"
    );
}
