//! Data-aware scheduling: the assets a task updates and the assets whose updates start a
//! DAG's runs, and what started a run.

use serde::Deserialize;

use crate::context::Context;
use crate::dag::Dag;
use crate::task::TaskRef;

/// An update of an asset that started the current run, from the run's conf.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssetEvent {
    /// The asset's URI.
    pub uri: String,
    /// Data the event carries (a JSON object; empty for a task's update).
    #[serde(default)]
    pub extra: serde_json::Value,
    /// The task instance that updated the asset; none for an event posted through the API.
    #[serde(default)]
    pub source: Option<AssetSource>,
    /// When it happened (RFC 3339).
    pub created_at: String,
}

/// The task instance whose success updated an asset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AssetSource {
    /// The DAG.
    pub dag_id: String,
    /// The run's id.
    pub run_id: String,
    /// The task.
    pub task_id: String,
    /// Its map index, for an instance of a mapped task.
    #[serde(default)]
    pub map_index: Option<u32>,
}

impl Dag {
    /// Start a run once every one of `assets` (URIs such as `s3://bucket/key`) has been
    /// updated since the last run they started, as Airflow's `schedule=[Asset(...)]`. With a
    /// [`schedule`](Self::schedule) too, runs come from both.
    pub fn on_assets<I, S>(mut self, assets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.state_mut().assets = assets.into_iter().map(Into::into).collect();
        self
    }

    /// Last logical date the schedule covers, written as the start date is (a date without a
    /// zone is midnight in the DAG's zone). No run's logical date is after it, and a
    /// `@continuous` DAG starts no run after it.
    pub fn end_date(mut self, end_date: impl Into<String>) -> Self {
        self.state_mut().end_date = Some(end_date.into());
        self
    }
}

impl TaskRef<'_> {
    /// The assets (URIs) this task updates: each gets an event when the task succeeds,
    /// which starts the runs of DAGs waiting for it.
    pub fn outlets<I, S>(self, outlets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let outlets: Vec<String> = outlets.into_iter().map(Into::into).collect();
        self.update_entry(|task| task.outlets = outlets)
    }
}

impl Context {
    /// The asset updates that started this run, oldest first; empty for a run that assets
    /// did not start.
    pub fn triggering_asset_events(&self) -> Vec<AssetEvent> {
        self.conf_value()
            .get("triggering_asset_events")
            .cloned()
            .and_then(|events| serde_json::from_value(events).ok())
            .unwrap_or_default()
    }

    /// Attach `extra` (serialized as a JSON object, at most 16 KiB) to the event asset `uri`
    /// gets when this attempt succeeds; `uri` must be one of the task's outlets. The runs the
    /// event starts read it in [`AssetEvent::extra`]. Calling again replaces it.
    pub fn set_asset_extra<T: serde::Serialize>(
        &self,
        uri: &str,
        extra: &T,
    ) -> Result<(), crate::TaskError> {
        let text = serde_json::to_string(extra).map_err(|e| {
            crate::TaskError::permanent(format!("the extra of asset {uri:?} is not JSON: {e}"))
        })?;
        crate::bindings::weft::dag::assets::set_extra(uri, &text).map_err(|why| {
            crate::TaskError::permanent(format!("extra of asset {uri:?} refused: {why}"))
        })
    }
}
