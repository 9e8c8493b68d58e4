//! The JSON shapes of the DAG routes.

use weft_model::{DagSpec, Task};
use weft_store::DagRecord;

pub use weft_protocol::api::dags::{
    DagDetail, DagList, DagSummary, DeployResponse, NextRun, NextRuns, NextRunsQuery, PatchDag,
    TaskView, VersionList, VersionView,
};

pub(crate) fn dag_summary(record: &DagRecord) -> DagSummary {
    DagSummary {
        dag_id: record.dag_id.clone(),
        description: record.spec.description.clone(),
        paused: record.paused,
        digest: record.digest.clone(),
        schedule: record.spec.schedule.clone(),
        timezone: timezone_of(&record.spec),
        tags: record.spec.tags.clone(),
        task_count: record.spec.tasks.len(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// The time zone a stored spec's start date names, `UTC` when none.
fn timezone_of(spec: &DagSpec) -> String {
    spec.start_date
        .as_deref()
        .and_then(|s| weft_model::validate::parse_start_date(s).ok())
        .map_or_else(
            || "UTC".to_owned(),
            |(_, zone)| weft_model::time_zone::name_of(&zone),
        )
}

pub(crate) fn task_view(task: &Task) -> TaskView {
    TaskView {
        task_id: task.id.clone(),
        upstream: task.upstream.clone(),
        downstream: task.downstream.clone(),
        trigger_rule: task.trigger_rule,
        queue: task.queue.clone(),
        pool: task.pool.clone(),
        priority_weight: task.priority_weight,
        retries: task.retries,
        retry_delay_ms: millis(task.retry_delay),
        retry_exponential_backoff: task.retry_exponential_backoff,
        execution_timeout_ms: task.execution_timeout.map(millis),
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
