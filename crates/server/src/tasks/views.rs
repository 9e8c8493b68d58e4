//! The JSON shapes of the task instance routes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use weft_store::Xcom;

/// A task instance as the API shows it: made from the task instance's one declaration, in
/// [`weft_protocol::task_instance`].
pub use weft_protocol::TaskInstanceView;

/// Which attempt's log to show.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The attempt, from 1; default: the latest.
    #[serde(rename = "try")]
    #[param(rename = "try", minimum = 1)]
    pub try_number: Option<u32>,
    /// For a mapped task: the instance, by map index.
    #[param(minimum = 0)]
    pub map_index: Option<u32>,
}

/// The log of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// `success`, `failed` or `skipped`.
    #[schema(schema_with = crate::schemas::markable_state)]
    pub state: String,
}

/// How an XCom value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

impl XcomView {
    pub(crate) fn of(xcom: Xcom) -> XcomView {
        let size = xcom.value.len();
        let (encoding, value) = match serde_json::from_slice(&xcom.value) {
            Ok(value) => (XcomEncoding::Json, value),
            Err(_) => match String::from_utf8(xcom.value) {
                Ok(text) => (XcomEncoding::Text, serde_json::Value::String(text)),
                Err(e) => (
                    XcomEncoding::Base64,
                    serde_json::Value::String(BASE64.encode(e.as_bytes())),
                ),
            },
        };
        let (task_id, map_index) = weft_model::mapping::split_instance_id(&xcom.task_id);
        XcomView {
            task_id: task_id.to_owned(),
            map_index,
            key: xcom.key,
            encoding,
            value,
            size,
        }
    }
}

/// The XCom values of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct XcomList {
    /// By task and key.
    pub xcoms: Vec<XcomView>,
}
