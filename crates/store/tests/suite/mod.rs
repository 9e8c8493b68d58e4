//! The store test suite, written once over `&dyn Store` and run against every backend by
//! `tests/sqlite.rs` and `tests/postgres.rs` through [`all_tests!`].

#![allow(dead_code)]

pub mod assets;
pub mod credentials;
pub mod deploy;
pub mod fencing;
pub mod leadership;
pub mod mapping;
pub mod monitoring;
pub mod notifications;
pub mod retention;
pub mod runs;
pub mod scale;
pub mod steps;
pub mod tenancy;
pub mod variables_pools;
pub mod workers;
pub mod write;
pub mod xcom_logs;

use jiff::Timestamp;
use sha2::{Digest as _, Sha256};
use weft_model::{DagRunState, DagSpec, RunType, TaskSpec, TaskState};
use weft_store::{
    DEFAULT_POOL, DEFAULT_TENANT, DagRun, Deploy, FinishTask, NewRun, NewTaskInstance, QueueTask,
    StartTask, Store, TaskInstance, WriteBatch, WriteOutcome,
};

/// One `#[tokio::test]` per suite function, each on a fresh store from `$fresh` (an async fn
/// returning something that derefs to `dyn Store`).
#[macro_export]
macro_rules! all_tests {
    ($fresh:path) => {
        $crate::all_tests!(@tests $fresh;
            deploy: [
                deploy_creates_dag_then_versions, redeploying_an_older_version_switches_back,
                deploy_rejects_bad_input, set_paused_pauses_known_dags_only, tenants_are_isolated,
                unknown_things_are_none,
            ],
            runs: [
                create_run_makes_task_instances, a_created_run_is_returned_as_it_reads_back,
                duplicate_run_is_conflict, unknown_dag_or_version_is_not_found,
                bad_runs_are_invalid, runs_are_listed_newest_first, latest_scheduled_run_ignores_manual_runs,
                active_runs_span_tenants, run_states_set_started_and_ended, expired_leases_are_found,
                attempts_queued_before_a_time_are_found,
                a_run_without_task_instances_reads_back_as_created,
                a_run_for_the_current_version_only_is_refused_once_superseded,
            ],
            write: [
                an_attempt_moves_through_queue_start_heartbeat_finish, failures_finish_straight_from_queued,
                invalid_batches_write_nothing, one_batch_applies_kinds_in_order,
                heartbeat_needs_running,
                set_task_marks_without_fencing, empty_batch_is_a_no_op,
                a_result_carries_the_start_it_was_reported_with,
                a_reschedule_records_the_sensors_pokes,
                a_wait_starts_and_ends_fenced, a_deferred_attempt_resumes_in_its_try,
                bad_deferrals_are_refused,
            ],
            steps: [
                a_refused_finish_writes_nothing_of_an_all_finishes_batch,
                a_step_finishes_some_tasks_and_queues_others,
                a_step_writes_the_values_of_the_finishes_that_apply,
            ],
            fencing: [
                queue_needs_the_seen_state_and_lease, stale_lease_is_rejected_and_writes_nothing,
                double_finish_is_rejected, clearing_bumps_the_lease_and_rejects_in_flight_results,
                concurrent_finishes_apply_once,
            ],
            xcom_logs: [
                xcoms_are_kept_per_task_and_key, the_output_wins_over_a_pushed_return_value, logs_are_kept_per_try,
                a_new_attempt_starts_without_old_xcoms, an_empty_log_is_not_stored,
            ],
            monitoring: [
                live_log_lines_are_appended_while_the_attempt_holds_its_lease,
                queue_depths_count_queued_and_running_per_queue,
                a_new_attempt_of_the_same_try_starts_its_live_log_afresh,
            ],
            retention: [
                old_ended_runs_go_in_batches_and_what_the_scheduler_needs_stays,
                unused_versions_and_components_go_when_asked,
            ],
            variables_pools: [
                variables_round_trip, pools_have_a_default_and_can_be_resized,
                pools_are_deleted_once_no_task_instance_needs_them,
            ],
            workers: [workers_are_recorded_and_replaced_by_id, bad_workers_are_invalid_and_not_recorded],
            leadership: [
                renewal_keeps_the_epoch_and_others_wait, expiry_hands_over_with_the_next_epoch,
                resign_lets_another_take_over_at_once, racing_holders_get_one_lease,
                a_deposed_leaders_batch_writes_nothing, fences_of_unknown_or_bad_leases_are_refused,
            ],
            notifications: [
                a_notification_is_written_only_with_its_finish,
                claims_are_exclusive_and_results_need_the_claim, a_delivered_notification_is_done,
                racing_servers_claim_each_notification_once,
            ],
            mapping: [
                an_expansion_writes_its_instances_once,
                empty_and_failed_expansions_end_the_mapped_task, bad_expansions_are_refused,
                a_mapped_task_ends_with_its_instances_outputs_in_order,
                clearing_a_mapped_task_forgets_its_expansion,
            ],
            scale: [ten_thousand_tasks],
            assets: [
                an_event_is_written_only_with_its_finish_and_queued_for_consumers,
                a_consuming_run_takes_its_events_once, a_new_version_waits_for_its_own_assets,
                events_are_listed_and_bad_ones_refused,
                an_event_follows_a_wait_that_ends_in_success,
                a_paused_dag_misses_the_updates_made_while_it_is_paused,
                a_dag_past_the_limit_still_sees_each_asset,
            ],
            tenancy: [
                tenants_are_created_listed_and_refused_twice, a_tenant_with_dags_is_not_deleted,
                deleting_a_tenant_deletes_what_it_owns_and_nothing_else,
                tokens_round_trip_and_are_revoked_in_their_tenant_only,
                quotas_refuse_runs_and_components_past_them,
                tenant_sandbox_policies_round_trip_and_bad_ones_change_nothing,
            ],
        );
    };
    (@tests $fresh:path; $($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $module {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let store = $fresh().await;
                        $crate::suite::$module::$name(&*store).await;
                    }
                )*
            }
        )*
    };
}

/// A time `seconds` after a fixed instant.
pub fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap()
}

/// Component bytes labelled `label`, and their digest.
pub fn component(label: &str) -> (Vec<u8>, String) {
    let bytes = format!("\0asm weft test component {label}").into_bytes();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    (bytes, digest)
}

/// A spec of independent tasks.
pub fn spec(dag_id: &str, tasks: &[&str]) -> DagSpec {
    DagSpec {
        tasks: tasks.iter().map(|t| TaskSpec::new(*t)).collect(),
        ..DagSpec::new(dag_id)
    }
}

/// A deploy of `dag_id` with a component labelled `label`.
pub fn deploy_of(tenant: &str, dag_id: &str, tasks: &[&str], label: &str, at: Timestamp) -> Deploy {
    let (bytes, digest) = component(&format!("{tenant}/{dag_id}/{label}"));
    Deploy {
        tenant: tenant.into(),
        digest,
        bytes,
        dag_id: dag_id.into(),
        spec: spec(dag_id, tasks),
        at,
    }
}

/// Deploy `dag_id` (version `v1`); its digest.
pub async fn deployed(store: &dyn Store, tenant: &str, dag_id: &str, tasks: &[&str]) -> String {
    let deploy = deploy_of(tenant, dag_id, tasks, "v1", ts(0));
    let digest = deploy.digest.clone();
    store.deploy(deploy).await.unwrap();
    digest
}

/// A manual run of `tasks` at logical date `ts(day * 86400)`.
pub fn new_run(tenant: &str, dag_id: &str, run_id: &str, digest: &str, tasks: &[&str]) -> NewRun {
    NewRun {
        tenant: tenant.into(),
        dag_id: dag_id.into(),
        run_id: run_id.into(),
        run_type: RunType::Manual,
        logical_date: ts(0),
        data_interval_start: ts(0),
        data_interval_end: ts(0),
        conf: serde_json::json!({"k": 1}),
        digest: digest.into(),
        state: DagRunState::Queued,
        queued_at: ts(1),
        tasks: tasks
            .iter()
            .map(|t| NewTaskInstance {
                task_id: (*t).into(),
                max_tries: 2,
                queue: "default".into(),
                pool: DEFAULT_POOL.into(),
                priority_weight: 1,
            })
            .collect(),
        current_only: false,
    }
}

/// Deploy DAG `dag` with `tasks` in the default tenant and create run `r1` of it.
pub async fn run_of(store: &dyn Store, dag: &str, tasks: &[&str]) -> (DagRun, Vec<TaskInstance>) {
    let digest = deployed(store, DEFAULT_TENANT, dag, tasks).await;
    store
        .create_run(new_run(DEFAULT_TENANT, dag, "r1", &digest, tasks))
        .await
        .unwrap()
}

/// The task instance `id` as stored now.
pub async fn reload(store: &dyn Store, run: i64, id: i64) -> TaskInstance {
    let (_, tis) = store.run(run).await.unwrap().unwrap();
    tis.into_iter().find(|ti| ti.id == id).unwrap()
}

/// Queue the next attempt of `ti` as the scheduler saw it.
pub fn queue(ti: &TaskInstance) -> QueueTask {
    QueueTask {
        ti: ti.id,
        lease: ti.lease,
        from: ti.state,
        try_number: ti.try_number + 1,
        at: ts(10),
    }
}

/// A start under `lease`.
pub fn start(ti: i64, lease: i64) -> StartTask {
    StartTask {
        ti,
        lease,
        worker_id: "worker-1".into(),
        hostname: "host-1".into(),
        at: ts(20),
        lease_expires_at: ts(80),
    }
}

/// A finish under `lease` in `state`, with an output, one pushed XCom and a log.
pub fn finish(ti: i64, lease: i64, state: TaskState) -> FinishTask {
    FinishTask {
        ti,
        lease,
        state,
        at: ts(30),
        duration_ms: 10_000,
        output: Some(format!("out-{ti}-{lease}").into_bytes()),
        xcom: vec![("pushed".into(), format!("pushed-{ti}-{lease}").into_bytes())],
        log: Some(format!("{{\"msg\":\"log {ti} {lease}\"}}\n").into_bytes()),
        ..FinishTask::default()
    }
}

/// Write a batch of one kind of change.
pub async fn write(store: &dyn Store, batch: WriteBatch) -> WriteOutcome {
    store.write(batch).await.unwrap()
}
