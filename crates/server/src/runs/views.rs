//! The JSON shapes of the run routes.

use weft_store::DagRun;

pub use weft_protocol::api::runs::{
    BackfillBody, ClearBody, ClearResponse, DagRunsQuery, GridQuery, RunDetail, RunList, RunQuery,
    RunView, RunsQuery, TriggerBody,
};

pub(crate) fn run_view(run: DagRun) -> RunView {
    RunView {
        dag_id: run.dag_id,
        run_id: run.run_id,
        run_type: run.run_type,
        state: run.state,
        logical_date: run.logical_date,
        data_interval_start: run.data_interval_start,
        data_interval_end: run.data_interval_end,
        conf: run.conf,
        digest: run.digest,
        queued_at: run.queued_at,
        started_at: run.started_at,
        ended_at: run.ended_at,
    }
}
