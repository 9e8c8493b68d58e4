//! The JSON bodies of the task instance routes: logs, marks and XCom values.

use serde::{Deserialize, Serialize};
use weft_model::TaskState;

/// States a task instance may be marked with by hand.
pub const MARKABLE: [TaskState; 3] = [TaskState::Success, TaskState::Failed, TaskState::Skipped];

/// Which attempt's log to show.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LogQuery {
    /// The attempt, from 1; default: the latest.
    #[serde(rename = "try")]
    #[cfg_attr(feature = "openapi", param(rename = "try", minimum = 1))]
    pub try_number: Option<u32>,
    /// For a mapped task: the instance, by map index.
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub map_index: Option<u32>,
}

/// The log of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogResponse {
    /// The task.
    pub task_id: String,
    /// The attempt.
    pub try_number: u32,
    /// The lines in order, each as the worker stored it: an object with `offset`, `level`,
    /// `source` and `message`; a stored line that is not JSON appears as a string.
    pub lines: Vec<serde_json::Value>,
}

/// A hand-made change of a task instance's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// `success`, `failed` or `skipped`.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schemas::markable_state))]
    pub state: String,
}

/// How an XCom value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum XcomEncoding {
    /// The stored bytes are a JSON document; `value` is that document.
    Json,
    /// The stored bytes are UTF-8 text but not JSON; `value` is the text.
    Text,
    /// The stored bytes are neither; `value` is them in standard base64.
    Base64,
}

/// One XCom value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct XcomView {
    /// The task that stored it.
    pub task_id: String,
    /// For an instance of a mapped task: its map index. A mapped task's own
    /// `return_value` holds its instances' outputs, as one JSON array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
    /// Its key; `return_value` for the task's output.
    pub key: String,
    /// How `value` encodes the stored bytes.
    pub encoding: XcomEncoding,
    /// The value, as `encoding` says.
    pub value: serde_json::Value,
    /// Size of the stored bytes.
    pub size: usize,
}

/// The XCom values of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct XcomList {
    /// By task and key.
    pub xcoms: Vec<XcomView>,
}
