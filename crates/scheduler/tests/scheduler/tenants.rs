//! Tenants other than `default`: their DAGs and pools are loaded like the default tenant's,
//! so their tasks are queued; and tenants share the scheduler's slots fairly, so one with a
//! deep backlog does not hold back another's task; and a tenant's quotas of running tasks and
//! active runs hold back its own work only.

#![allow(clippy::unwrap_used)]

use crate::support;

use support::{bench, deploy_in, task_ids, tenant_with_dag};
use weft_model::DagRunState;
use weft_scheduler::{Control, SchedulerConfig, TriggerRequest};
use weft_store::{DagRun, Quotas, RunFilter};

const T0: &str = "2024-03-01T00:00:00Z";

/// Tenant `team-a` triggers DAG `flood` of `tasks` independent tasks `t00`..., then tenant
/// `team-b` DAG `single` of one task `only`.
async fn flood_and_single(b: &support::Bench, tasks: usize) {
    let many: Vec<String> = (0..tasks).map(|i| format!("t{i:02}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    tenant_with_dag(b, "team-a", 1, Quotas::NONE, "flood", &many).await;
    tenant_with_dag(b, "team-b", 1, Quotas::NONE, "single", &["only"]).await;
    for (tenant, dag) in [("team-a", "flood"), ("team-b", "single")] {
        b.handle
            .trigger(tenant, dag, TriggerRequest::default())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_tenant_of_its_own_gets_its_tasks_queued() {
    let b = bench(T0, SchedulerConfig::default()).await;
    tenant_with_dag(&b, "team-a", 1, Quotas::NONE, "etl", &["extract"]).await;
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
    // A's backlog is older than B's single task: by age alone it would take every slot.
    flood_and_single(&b, 40).await;
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
async fn a_backlog_goes_out_in_slices_and_each_slice_serves_the_least_served_tenant_first() {
    let config = SchedulerConfig {
        max_tis_per_step: 3,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    flood_and_single(&b, 12).await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    // Both served as little: A, first by name, fills the first slice.
    assert_eq!(task_ids(&b.take().await), ["t00", "t01", "t02"]);
    // B, holding nothing, goes first in the next, with A's next two.
    s.step(Vec::new()).await.unwrap();
    let mut queued: Vec<(String, String)> = b
        .take()
        .await
        .into_iter()
        .map(|m| (m.tenant, m.task_id))
        .collect();
    queued.sort_unstable();
    let expected = [("team-a", "t03"), ("team-a", "t04"), ("team-b", "only")]
        .map(|(tenant, task)| (tenant.to_owned(), task.to_owned()));
    assert_eq!(queued, expected);
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
    tenant_with_dag(&b, "heavy", 3, Quotas::NONE, "work", &tasks).await;
    tenant_with_dag(&b, "light", 1, Quotas::NONE, "work", &tasks).await;
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
        tenant_with_dag(&b, tenant, 1, Quotas::NONE, "work", &tasks).await;
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

#[tokio::test]
async fn a_tenant_at_its_running_tasks_quota_waits_while_another_goes_on() {
    let config = SchedulerConfig {
        parallelism: 8,
        ..SchedulerConfig::default()
    };
    let b = bench(T0, config).await;
    let capped = Quotas {
        max_running_tasks: Some(2),
        ..Quotas::NONE
    };
    let ten: Vec<String> = (0..10).map(|i| format!("t{i:02}")).collect();
    let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
    tenant_with_dag(&b, "team-a", 1, capped, "flood", &ten).await;
    tenant_with_dag(&b, "team-b", 1, Quotas::NONE, "six", &ten[..6]).await;
    for (tenant, dag) in [("team-a", "flood"), ("team-b", "six")] {
        b.handle
            .trigger(tenant, dag, TriggerRequest::default())
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let first = b.take().await;
    let count = |tenant: &str, messages: &[weft_protocol::TaskMessage]| {
        messages.iter().filter(|m| m.tenant == tenant).count()
    };
    // A stops at its quota with slots free; B is not held back by it.
    assert_eq!(
        (count("team-a", &first), count("team-b", &first)),
        (2, 6),
        "{:?}",
        task_ids(&first)
    );
    // One of A's ends: one more of A's goes, though more slots are free.
    let a_first = first.iter().find(|m| m.tenant == "team-a").unwrap();
    s.step(b.succeed(a_first)).await.unwrap();
    let after = b.take().await;
    assert_eq!(task_ids(&after), ["t02"]);
    assert_eq!(after[0].tenant, "team-a");
}

/// `tenant`'s runs of `dag_id` by run id, with their states.
async fn run_states(b: &support::Bench, tenant: &str, dag_id: &str) -> Vec<(String, DagRunState)> {
    let filter = RunFilter {
        dag_id: Some(dag_id.into()),
        ..RunFilter::default()
    };
    let mut runs: Vec<DagRun> = b.store.runs(tenant, &filter).await.unwrap();
    runs.sort_by(|x, y| x.run_id.cmp(&y.run_id));
    runs.into_iter().map(|r| (r.run_id, r.state)).collect()
}

#[tokio::test]
async fn a_tenants_active_runs_quota_keeps_its_runs_queued_across_dags() {
    let b = bench(T0, SchedulerConfig::default()).await;
    let quotas = Quotas {
        max_active_runs: Some(1),
        max_running_tasks: Some(1),
        ..Quotas::NONE
    };
    tenant_with_dag(&b, "team-a", 1, quotas, "first", &["a", "b"]).await;
    // A second DAG of the same tenant: the quota is the tenant's, not a DAG's.
    deploy_in(&b, "team-a", "second", &["c"]).await;
    for dag in ["first", "second"] {
        b.handle
            .trigger(
                "team-a",
                dag,
                TriggerRequest {
                    run_id: Some(format!("{dag}-run")),
                    ..TriggerRequest::default()
                },
            )
            .await
            .unwrap();
    }
    let mut s = b.scheduler();
    s.start().await.unwrap();
    // One run runs, one task at a time; the other DAG's run stays queued.
    let mut served = Vec::new();
    let mut current = b.take().await;
    while let [message] = current.as_slice() {
        served.push(message.task_id.clone());
        let states = run_states(&b, "team-a", "second").await;
        if served.len() <= 2 {
            assert_eq!(states, [("second-run".to_owned(), DagRunState::Queued)]);
        }
        s.step(b.succeed(message)).await.unwrap();
        current = b.take().await;
    }
    assert!(current.is_empty(), "{:?}", task_ids(&current));
    served[..2].sort_unstable();
    assert_eq!(served, ["a", "b", "c"]);
    assert_eq!(
        run_states(&b, "team-a", "second").await,
        [("second-run".to_owned(), DagRunState::Success)]
    );
}
