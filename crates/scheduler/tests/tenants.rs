//! Tenants other than `default`: their DAGs and pools are loaded like the default tenant's,
//! so their tasks are queued; and tenants share the scheduler's slots fairly, so one with a
//! deep backlog does not hold back another's task.

#![allow(clippy::unwrap_used)]

mod support;

use sha2::{Digest as _, Sha256};
use support::{bench, task_ids};
use weft_model::{DagSpec, TaskSpec};
use weft_scheduler::{Control, SchedulerConfig, TriggerRequest};
use weft_store::{Deploy, Tenant};

const T0: &str = "2024-03-01T00:00:00Z";

/// Make `tenant` (weight `weight`) and deploy DAG `dag_id` of independent tasks `tasks` in it.
async fn tenant_with_dag(
    b: &support::Bench,
    tenant: &str,
    weight: u32,
    dag_id: &str,
    tasks: &[&str],
) {
    b.store
        .create_tenant(Tenant {
            name: tenant.into(),
            description: String::new(),
            created_at: support::ts(T0),
            weight,
        })
        .await
        .unwrap();
    let mut spec = DagSpec::new(dag_id);
    spec.tasks = tasks.iter().map(|t| TaskSpec::new(*t)).collect();
    let bytes = format!("component of {tenant}'s {dag_id}").into_bytes();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    b.store
        .deploy(Deploy {
            tenant: tenant.into(),
            digest,
            bytes,
            dag_id: dag_id.into(),
            spec,
            at: support::ts(T0),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tenant_of_its_own_gets_its_tasks_queued() {
    let b = bench(T0, SchedulerConfig::default()).await;
    tenant_with_dag(&b, "team-a", 1, "etl", &["extract"]).await;
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

#[tokio::test]
async fn a_tenants_backlog_does_not_hold_back_another_tenants_task() {
    let config = SchedulerConfig {
        parallelism: 4,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    let many: Vec<String> = (0..40).map(|i| format!("t{i:02}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    tenant_with_dag(&b, "team-a", 1, "flood", &many).await;
    tenant_with_dag(&b, "team-b", 1, "single", &["only"]).await;
    // A's backlog is older than B's single task: by age alone it would take every slot.
    for (tenant, dag) in [("team-a", "flood"), ("team-b", "single")] {
        b.handle
            .trigger(tenant, dag, TriggerRequest::default())
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    let mut queued: Vec<(&str, &str)> = first
        .iter()
        .map(|m| (m.tenant.as_str(), m.task_id.as_str()))
        .collect();
    queued.sort_unstable();
    // B's task goes at once; A takes the slots B does not need.
    assert_eq!(
        queued,
        [
            ("team-a", "t00"),
            ("team-a", "t01"),
            ("team-a", "t02"),
            ("team-b", "only")
        ]
    );
    // Slots that free while only A waits are A's.
    let a_first = first
        .iter()
        .find(|m| m.tenant == "team-a")
        .expect("one of A's");
    s.step(b.succeed(a_first)).await.unwrap();
    let after = b.take().await;
    assert_eq!(task_ids(&after), ["t03"]);
    assert_eq!(after[0].tenant, "team-a");
}

#[tokio::test]
async fn weights_divide_the_slots_between_busy_tenants() {
    let config = SchedulerConfig {
        parallelism: 8,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    let tasks: Vec<String> = (0..20).map(|i| format!("t{i:02}")).collect();
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    tenant_with_dag(&b, "heavy", 3, "work", &tasks).await;
    tenant_with_dag(&b, "light", 1, "work", &tasks).await;
    for tenant in ["heavy", "light"] {
        b.handle
            .trigger(tenant, "work", TriggerRequest::default())
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let taken = b.take().await;
    let heavy = taken.iter().filter(|m| m.tenant == "heavy").count();
    let light = taken.iter().filter(|m| m.tenant == "light").count();
    assert_eq!((heavy, light), (6, 2), "{:?}", task_ids(&taken));
}

#[tokio::test]
async fn with_one_slot_tenants_take_turns() {
    let config = SchedulerConfig {
        parallelism: 1,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    let tasks = ["t0", "t1", "t2", "t3"];
    // `zeta` sorts last and triggers last: neither may keep it from its turns.
    for tenant in ["alpha", "zeta"] {
        tenant_with_dag(&b, tenant, 1, "work", &tasks).await;
        b.handle
            .trigger(tenant, "work", TriggerRequest::default())
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let mut served = Vec::new();
    let mut current = b.take().await;
    for _ in 0..6 {
        assert_eq!(current.len(), 1, "{:?}", task_ids(&current));
        served.push(current[0].tenant.clone());
        s.step(b.succeed(&current[0])).await.unwrap();
        current = b.take().await;
    }
    for pair in served.windows(2) {
        assert_ne!(pair[0], pair[1], "turns alternate: {served:?}");
    }
}
