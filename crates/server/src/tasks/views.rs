//! The JSON shapes of the task instance routes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use weft_store::Xcom;

/// A task instance as the API shows it: made from the task instance's one declaration, in
/// [`weft_protocol::task_instance`].
pub use weft_protocol::TaskInstanceView;
pub use weft_protocol::api::tasks::{
    LogQuery, LogResponse, MARKABLE, MarkBody, XcomEncoding, XcomList, XcomView,
};

pub(crate) fn xcom_view(xcom: Xcom) -> XcomView {
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
