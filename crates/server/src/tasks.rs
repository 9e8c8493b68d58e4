//! Task instances of a run: their logs and XCom values, and marking them by hand.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_model::TaskState;
use weft_store::TaskInstance;

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams};
use crate::runs::find_run;
use crate::state::AppState;

mod stream;
mod views;
pub use stream::Closing;
pub use views::*;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(task_log))
        .routes(routes!(stream::stream_log))
        .routes(routes!(mark))
        .routes(routes!(run_xcom))
}

/// Show the log of one attempt of a task instance (while it runs, the lines so far).
#[utoipa::path(get, path = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs", tag = "tasks",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
        ("task_id" = String, Path, description = "The task's id"),
        LogQuery,
    ),
    responses(
        (status = 200, description = "The attempt's log lines", body = LogResponse),
        (status = 400, description = "A bad `try`", body = ErrorBody),
        (status = 422, description = "The task is mapped and no `map_index` names an instance", body = ErrorBody),
        (status = 404, description = "No such DAG, run, task or attempt", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id, %task_id))]
async fn task_log(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id, task_id)): Path<(String, String, String)>,
    QueryParams(query): QueryParams<LogQuery>,
) -> Result<Json<LogResponse>, ApiError> {
    let (ti, try_number) = log_target(&state, &ctx, &dag_id, &run_id, &task_id, &query).await?;
    // A running attempt's log holds the lines its worker has sent so far; an attempt that
    // logged nothing has none stored: empty.
    let log = state
        .store
        .task_log(ti.id, try_number)
        .await?
        .unwrap_or_default();
    Ok(Json(LogResponse {
        task_id,
        try_number,
        lines: log_lines(&log),
    }))
}

/// The task instance and try whose log `query` asks for.
async fn log_target(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
    task_id: &str,
    query: &LogQuery,
) -> Result<(TaskInstance, u32), ApiError> {
    let stored_id = match query.map_index {
        Some(index) => weft_model::mapping::instance_id(task_id, index),
        None => task_id.to_owned(),
    };
    let ti = find_task(state, ctx, dag_id, run_id, &stored_id).await?;
    if ti.map_count.is_some() {
        return Err(ApiError::unprocessable(format!(
            "task {task_id:?} is mapped: its instances have logs; name one with map_index"
        )));
    }
    if ti.try_number == 0 {
        return Err(ApiError::NotFound(format!(
            "task {task_id:?} of run {run_id:?} has not run yet"
        )));
    }
    let try_number = match query.try_number {
        None => ti.try_number,
        Some(0) => return Err(ApiError::invalid("try counts from 1")),
        Some(n) if n > ti.try_number => {
            return Err(ApiError::NotFound(format!(
                "task {task_id:?} of run {run_id:?} has had {} attempt(s), not {n}",
                ti.try_number
            )));
        }
        Some(n) => n,
    };
    Ok((ti, try_number))
}

/// A stored log's lines as JSON values; a line that is not JSON becomes a string.
fn log_lines(log: &[u8]) -> Vec<serde_json::Value> {
    weft_protocol::log::parse(log)
        .iter()
        .map(weft_protocol::StoredLine::to_value)
        .collect()
}

async fn find_task(
    state: &AppState,
    ctx: &RequestContext,
    dag_id: &str,
    run_id: &str,
    task_id: &str,
) -> Result<TaskInstance, ApiError> {
    let (_, tis) = find_run(state, ctx, dag_id, run_id).await?;
    tis.into_iter()
        .find(|ti| ti.task_id == task_id)
        .ok_or_else(|| match weft_model::mapping::split_instance_id(task_id) {
            (task, Some(index)) => ApiError::NotFound(format!(
                "run {run_id:?} has no instance {index} of task {task:?}"
            )),
            (_, None) => ApiError::NotFound(format!("run {run_id:?} has no task {task_id:?}")),
        })
}

/// Mark a task instance `success`, `failed` or `skipped` by hand.
#[utoipa::path(post, path = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mark", tag = "tasks",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
        ("task_id" = String, Path, description = "The task's id"),
    ),
    request_body = MarkBody,
    responses(
        (status = 200, description = "The task instance after the change", body = TaskInstanceView),
        (status = 400, description = "Bad JSON or a state that cannot be set by hand", body = ErrorBody),
        (status = 404, description = "No such DAG, run or task", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id, %task_id))]
async fn mark(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id, task_id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<MarkBody>,
) -> Result<Json<TaskInstanceView>, ApiError> {
    let new_state = body
        .state
        .parse::<TaskState>()
        .ok()
        .filter(|s| MARKABLE.contains(s))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "a task can be marked success, failed or skipped, not {:?}",
                body.state
            ))
        })?;
    let ti = find_task(&state, &ctx, &dag_id, &run_id, &task_id).await?;
    state
        .control
        .mark(&ctx.tenant, ti.run, &task_id, new_state)
        .await?;
    tracing::info!(state = %new_state, "task instance marked");
    let ti = find_task(&state, &ctx, &dag_id, &run_id, &task_id).await?;
    Ok(Json(TaskInstanceView::of(ti)))
}

/// Show the XCom values of a run.
#[utoipa::path(get, path = "/dags/{dag_id}/runs/{run_id}/xcom", tag = "tasks",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
    ),
    responses(
        (status = 200, description = "The run's XCom values", body = XcomList),
        (status = 404, description = "No such DAG or run", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id))]
async fn run_xcom(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id)): Path<(String, String)>,
) -> Result<Json<XcomList>, ApiError> {
    let (run, _) = find_run(&state, &ctx, &dag_id, &run_id).await?;
    let xcoms = state.store.run_xcoms(run.id).await?;
    Ok(Json(XcomList {
        xcoms: xcoms.into_iter().map(xcom_view).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use weft_store::Xcom;

    use super::*;

    fn xcom(value: &[u8]) -> XcomView {
        xcom_view(Xcom {
            task_id: "t".into(),
            key: "k".into(),
            value: value.to_vec(),
        })
    }

    #[test]
    fn xcom_values_say_how_they_are_encoded() {
        let v = xcom(br#"{"rows": 3}"#);
        assert_eq!(
            (v.encoding, v.value, v.size),
            (XcomEncoding::Json, json!({"rows": 3}), 11)
        );
        let v = xcom(b"plain words");
        assert_eq!(
            (v.encoding, v.value),
            (XcomEncoding::Text, json!("plain words"))
        );
        let v = xcom(&[0xff, 0x00, 0x10]);
        assert_eq!((v.encoding, v.value), (XcomEncoding::Base64, json!("/wAQ")));
    }

    #[test]
    fn log_lines_parse_each_line_and_keep_broken_ones() {
        let log = b"{\"level\":\"info\",\"message\":\"a\"}\n\nnot json\n{\"message\":\"b\"}\n";
        assert_eq!(
            log_lines(log),
            vec![
                json!({"level": "info", "message": "a"}),
                json!("not json"),
                json!({"message": "b"}),
            ]
        );
        assert!(log_lines(b"").is_empty());
    }
}
