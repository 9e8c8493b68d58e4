//! Tenants other than `default`: their DAGs and pools are loaded like the default tenant's,
//! so their tasks are queued.

#![allow(clippy::unwrap_used)]

mod support;

use sha2::{Digest as _, Sha256};
use support::{bench, task_ids};
use weft_model::{DagSpec, TaskSpec};
use weft_scheduler::{Control, SchedulerConfig, TriggerRequest};
use weft_store::{Deploy, Tenant};

const T0: &str = "2024-03-01T00:00:00Z";

#[tokio::test]
async fn a_tenant_of_its_own_gets_its_tasks_queued() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.store
        .create_tenant(Tenant {
            name: "team-a".into(),
            description: String::new(),
            created_at: support::ts(T0),
        })
        .await
        .unwrap();
    let mut spec = DagSpec::new("etl");
    spec.tasks = vec![TaskSpec::new("extract")];
    let bytes = b"component of team-a's etl".to_vec();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    b.store
        .deploy(Deploy {
            tenant: "team-a".into(),
            digest,
            bytes,
            dag_id: "etl".into(),
            spec,
            at: support::ts(T0),
        })
        .await
        .unwrap();
    b.handle
        .trigger("team-a", "etl", TriggerRequest::default())
        .await
        .unwrap();
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let taken = b.take().await;
    assert_eq!(task_ids(&taken), ["extract"]);
    assert_eq!(taken[0].tenant, "team-a");
}
