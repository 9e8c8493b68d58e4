//! `GET /dags/{dag_id}/runs/{run_id}/notifications`.

use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{NotificationList, notification_view};
use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::runs::no_run;
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_notifications))
}

/// List a run's notifications (webhooks and emails of its task and run events) and how
/// their delivery went.
#[utoipa::path(get, path = "/dags/{dag_id}/runs/{run_id}/notifications", tag = "runs",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
    ),
    responses(
        (status = 200, description = "The run's notifications, oldest first", body = NotificationList),
        (status = 404, description = "No such DAG or run", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id))]
async fn list_notifications(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((dag_id, run_id)): Path<(String, String)>,
) -> Result<Json<NotificationList>, ApiError> {
    let Some(run) = state.store.run_by_id(&ctx.tenant, &dag_id, &run_id).await? else {
        return Err(no_run(&state, &ctx, &dag_id, &run_id).await);
    };
    let notifications = state.store.notifications(run.id).await?;
    Ok(Json(NotificationList {
        notifications: notifications.into_iter().map(notification_view).collect(),
    }))
}
