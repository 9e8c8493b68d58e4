//! The JSON bodies of the asset routes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A task that updates an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetProducer {
    /// The DAG.
    pub dag_id: String,
    /// The task listing the asset as an outlet.
    pub task_id: String,
}

/// An asset of the tenant: named by a DAG, or with events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetView {
    /// The asset's URI.
    pub uri: String,
    /// The tasks that update it, as the DAGs' current versions say.
    pub producers: Vec<AssetProducer>,
    /// The DAGs whose runs its updates start.
    pub consumers: Vec<String>,
    /// How many events it has.
    pub events: u64,
    /// When its latest event happened; null without events.
    pub last_event_at: Option<Timestamp>,
}

/// The tenant's assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetList {
    /// By URI.
    pub assets: Vec<AssetView>,
}

/// The task instance whose success updated an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetSourceView {
    /// The DAG.
    pub dag_id: String,
    /// The run's id.
    pub run_id: String,
    /// The task.
    pub task_id: String,
    /// Its map index, for an instance of a mapped task.
    pub map_index: Option<u32>,
}

/// An update of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetEventView {
    /// Its id: ids grow as events are written.
    pub id: i64,
    /// The asset.
    pub uri: String,
    /// Data for the runs it starts: a JSON object.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extra: serde_json::Value,
    /// The task instance that updated the asset; null for an event posted through the API.
    pub source: Option<AssetSourceView>,
    /// When it happened.
    pub created_at: Timestamp,
}

/// Asset events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetEventList {
    /// Newest first.
    pub events: Vec<AssetEventView>,
}

/// An asset updated outside Weft.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostAssetEvent {
    /// The asset's URI (`s3://bucket/key`, ...): absolute, with no spaces or control
    /// characters (percent-encode them); one that does not parse as a URL is refused (422).
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::asset_uri))]
    pub uri: String,
    /// Data for the runs it starts: a JSON object (default `{}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
}
