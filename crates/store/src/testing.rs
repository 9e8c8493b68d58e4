//! Fixtures for the tests of crates built on the store (feature `testing`): a deployed DAG
//! with a run whose attempts hold their leases, as the worker API's access checks need them.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use weft_model::{DagRunState, DagSpec, Resources, RunType, TaskSpec};
use weft_protocol::AttemptRef;

use crate::{
    DEFAULT_POOL, DEFAULT_TENANT, Deploy, NewRun, NewTaskInstance, QueueTask, StartTask, Store,
    WriteBatch,
};

/// Deploy DAG `access` with task `reader` (declaring connections `warehouse` and `missing`
/// and secret `api_token`) and task `other` (declaring nothing), create its run `r1`, and
/// queue and start both tasks on worker `w` with leases lasting `lease_for`: the running
/// attempts of `reader` and of `other`.
///
/// # Panics
/// When the store refuses any of it: a fixture has no other way to fail.
pub async fn running_reader_and_other(
    store: &dyn Store,
    lease_for: SignedDuration,
) -> (AttemptRef, AttemptRef) {
    running_reader_and_other_in(store, DEFAULT_TENANT, lease_for).await
}

/// [`running_reader_and_other`] in `tenant`.
///
/// # Panics
/// When the store refuses any of it.
pub async fn running_reader_and_other_in(
    store: &dyn Store,
    tenant: &str,
    lease_for: SignedDuration,
) -> (AttemptRef, AttemptRef) {
    let mut reader = TaskSpec::new("reader");
    reader.settings.resources = Some(Resources {
        connections: vec!["warehouse".into(), "missing".into()],
        secrets: vec!["api_token".into()],
        ..Resources::default()
    });
    let spec = DagSpec {
        tasks: vec![reader, TaskSpec::new("other")],
        ..DagSpec::new("access")
    };
    let now = Timestamp::now();
    let bytes = b"\0asm access fixture".to_vec();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    store
        .deploy(Deploy {
            tenant: tenant.into(),
            digest: digest.clone(),
            bytes,
            dag_id: "access".into(),
            spec,
            at: now,
        })
        .await
        .expect("deploy");
    let (_, tis) = store
        .create_run(NewRun {
            tenant: tenant.into(),
            dag_id: "access".into(),
            run_id: "r1".into(),
            run_type: RunType::Manual,
            logical_date: now,
            data_interval_start: now,
            data_interval_end: now,
            conf: json!({}),
            digest,
            state: DagRunState::Running,
            queued_at: now,
            tasks: ["reader", "other"]
                .iter()
                .map(|t| NewTaskInstance {
                    task_id: (*t).into(),
                    max_tries: 1,
                    queue: "default".into(),
                    pool: DEFAULT_POOL.into(),
                    priority_weight: 1,
                })
                .collect(),
            current_only: false,
        })
        .await
        .expect("run");
    let queue = tis
        .iter()
        .map(|ti| QueueTask {
            ti: ti.id,
            lease: ti.lease,
            from: ti.state,
            try_number: 1,
            at: now,
        })
        .collect();
    store
        .write(WriteBatch {
            queue,
            ..WriteBatch::default()
        })
        .await
        .expect("queue");
    let start = tis
        .iter()
        .map(|ti| StartTask {
            ti: ti.id,
            lease: ti.lease + 1,
            worker_id: "w".into(),
            hostname: "h".into(),
            at: now,
            lease_expires_at: now + lease_for,
        })
        .collect();
    store
        .write(WriteBatch {
            start,
            ..WriteBatch::default()
        })
        .await
        .expect("start");
    let attempt = |i: usize| AttemptRef {
        ti: tis[i].id,
        lease: tis[i].lease + 1,
        key: None,
    };
    // `create_run` returns the instances in the order of `tasks`.
    (attempt(0), attempt(1))
}
