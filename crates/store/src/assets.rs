//! Assets and their events as the store keeps them.
//!
//! An event is written by the scheduler with the success of a task that lists the asset as
//! an outlet ([`WriteBatch::asset_events`](crate::WriteBatch::asset_events), committed with
//! the finish or not at all), or [posted](crate::Store::post_asset_event) through the API.
//! Either way it is queued, in the same transaction, for every DAG scheduled on its asset;
//! [`Store::create_asset_run`](crate::Store::create_asset_run) creates a consuming run and
//! takes the events it consumes off the queue together.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::records::TiPk;

/// Most events one run consumes: a DAG with more waiting gets them in later runs.
pub const MAX_EVENTS_PER_RUN: u32 = 100;

pub use weft_model::asset::MAX_EXTRA_BYTES;

/// The task instance whose success updated an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSource {
    /// The DAG.
    pub dag_id: String,
    /// The run's textual id.
    pub run_id: String,
    /// The task.
    pub task_id: String,
    /// Its map index, for an instance of a mapped task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
}

/// An asset event to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAssetEvent {
    /// The tenant owning the asset.
    pub tenant: String,
    /// The asset.
    pub uri: String,
    /// Data for the consuming runs: a JSON object.
    pub extra: serde_json::Value,
    /// The task instance that updated it; none for an event posted through the API.
    pub source: Option<AssetSource>,
    /// When it happened.
    pub at: Timestamp,
    /// In a write batch: written only if the batch's finish or end of wait of this task
    /// instance applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_finish: Option<TiPk>,
}

/// An asset event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetEvent {
    /// Its id; ids grow as events are written.
    pub id: i64,
    /// The tenant owning the asset.
    pub tenant: String,
    /// The asset.
    pub uri: String,
    /// Data for the consuming runs: a JSON object.
    pub extra: serde_json::Value,
    /// The task instance that updated it; none for an event posted through the API.
    pub source: Option<AssetSource>,
    /// When it happened.
    pub created_at: Timestamp,
}

/// An asset with events, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetActivity {
    /// The asset.
    pub uri: String,
    /// How many events it has.
    pub events: u64,
    /// When the latest happened.
    pub last_event_at: Timestamp,
}
