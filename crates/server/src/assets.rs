//! Assets: list them with their producers, consumers and events, list events, and post an
//! event for data updated outside Weft.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_scheduler::control::Notice;
use weft_store::{AssetEvent, NewAssetEvent};

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryParams};
use crate::state::AppState;
pub use weft_protocol::api::assets::{
    AssetEventList, AssetEventView, AssetList, AssetProducer, AssetSourceView, AssetView,
    PostAssetEvent,
};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets))
        .routes(routes!(list_events, post_event))
}

/// Events listed when the query names no limit.
const DEFAULT_EVENT_LIMIT: u32 = 100;
/// Most events one request may list.
const MAX_EVENT_LIMIT: u32 = 1000;

/// Which events to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetEventsQuery {
    /// Only this asset's events.
    pub uri: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

pub(crate) fn asset_event_view(e: AssetEvent) -> AssetEventView {
    AssetEventView {
        id: e.id,
        uri: e.uri,
        extra: e.extra,
        source: e.source.map(|s| AssetSourceView {
            dag_id: s.dag_id,
            run_id: s.run_id,
            task_id: s.task_id,
            map_index: s.map_index,
        }),
        created_at: e.created_at,
    }
}

/// List the tenant's assets.
///
/// Every asset a DAG's current version names (as a task's outlet or as what starts its runs)
/// or that has events, with the tasks that update it, the DAGs it starts, and its events'
/// count and latest time.
#[utoipa::path(get, path = "/assets", tag = "assets",
    responses((status = 200, description = "The tenant's assets, by URI", body = AssetList)))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_assets(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<AssetList>, ApiError> {
    let mut assets: BTreeMap<String, AssetView> = BTreeMap::new();
    for dag in state.store.dags(&ctx.tenant).await? {
        for task in &dag.spec.tasks {
            for uri in &task.outlets {
                view_of(&mut assets, uri).producers.push(AssetProducer {
                    dag_id: dag.dag_id.clone(),
                    task_id: task.task_id.clone(),
                });
            }
        }
        for uri in &dag.spec.assets {
            view_of(&mut assets, uri).consumers.push(dag.dag_id.clone());
        }
    }
    for activity in state.store.asset_activity(&ctx.tenant).await? {
        let view = view_of(&mut assets, &activity.uri);
        view.events = activity.events;
        view.last_event_at = Some(activity.last_event_at);
    }
    Ok(Json(AssetList {
        assets: assets.into_values().collect(),
    }))
}

/// The view of asset `uri` in `assets`, new and empty if it is not there yet.
fn view_of<'a>(assets: &'a mut BTreeMap<String, AssetView>, uri: &str) -> &'a mut AssetView {
    assets.entry(uri.to_owned()).or_insert_with(|| AssetView {
        uri: uri.to_owned(),
        producers: Vec::new(),
        consumers: Vec::new(),
        events: 0,
        last_event_at: None,
    })
}

/// List asset events, newest first.
#[utoipa::path(get, path = "/assets/events", tag = "assets",
    params(AssetEventsQuery),
    responses(
        (status = 200, description = "The events, newest first", body = AssetEventList),
        (status = 400, description = "`limit` out of range", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn list_events(
    State(state): State<AppState>,
    ctx: RequestContext,
    QueryParams(query): QueryParams<AssetEventsQuery>,
) -> Result<Json<AssetEventList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
    if !(1..=MAX_EVENT_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit {limit} is out of range (1 to {MAX_EVENT_LIMIT})"
        )));
    }
    let events = state
        .store
        .asset_events(&ctx.tenant, query.uri.as_deref(), limit)
        .await?;
    Ok(Json(AssetEventList {
        events: events.into_iter().map(asset_event_view).collect(),
    }))
}

/// Post an asset event: data updated outside Weft.
///
/// The event starts the runs of the DAGs waiting for the asset once their other assets are
/// updated too, as an update by a task does.
#[utoipa::path(post, path = "/assets/events", tag = "assets",
    request_body = PostAssetEvent,
    responses(
        (status = 201, description = "Written and queued for the DAGs waiting for the asset", body = AssetEventView),
        (status = 400, description = "Not a URI, or an extra that is not a JSON object", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
async fn post_event(
    State(state): State<AppState>,
    ctx: RequestContext,
    JsonBody(body): JsonBody<PostAssetEvent>,
) -> Result<(StatusCode, Json<AssetEventView>), ApiError> {
    let event = state
        .store
        .post_asset_event(NewAssetEvent {
            tenant: ctx.tenant.clone(),
            uri: body.uri,
            extra: body.extra.unwrap_or_else(|| serde_json::json!({})),
            source: None,
            at: state.now(),
            after_finish: None,
        })
        .await?;
    state.control.notify(Notice::AssetUpdated {
        tenant: ctx.tenant.clone(),
        uri: event.uri.clone(),
    });
    tracing::info!(uri = %event.uri, id = event.id, "asset event posted");
    Ok((StatusCode::CREATED, Json(asset_event_view(event))))
}
