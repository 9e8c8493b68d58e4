//! The API server's worker API, as both sides know it: where it is mounted, the path of
//! each call, and the bodies that are JSON.
//!
//! A worker sends [`VERSION_HEADER`] with every call; the server refuses another protocol
//! version with a 400 that names both versions.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where the worker API is mounted on an API server.
pub const PREFIX: &str = "/api/v1/worker";

/// The header a worker announces its [`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION) in.
pub const VERSION_HEADER: &str = "weft-protocol";

/// The header a worker sends an attempt's [`AttemptKey`](crate::AttemptKey) in, with every
/// call about that attempt.
pub const ATTEMPT_KEY_HEADER: &str = "weft-attempt-key";

/// The error code of the server's 400 answer to a worker of another protocol version.
pub const VERSION_MISMATCH: &str = "protocol_version";

/// One path segment, percent-encoded so that any id or key stays one segment (RFC 3986's
/// unreserved characters and `:@+` stay as they are).
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@+".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET`: a component of the tenant of the current attempt `attempt`, by digest
/// (`sha256:<hex>`), as bytes; the worker checks them against the digest. 403 when the
/// attempt no longer holds its lease.
pub fn component_path(attempt: crate::AttemptRef, digest: &str) -> String {
    format!(
        "/attempts/{}/{}/components/{}",
        attempt.ti,
        attempt.lease,
        segment(digest)
    )
}

/// `POST` a [`HostCall`](crate::HostCall) of the current attempt `attempt` (an XCom value,
/// a variable, a connection or secret its task declares, a run to trigger...), answered
/// with a [`HostAnswer`](crate::HostAnswer); 403 when the attempt no longer holds its lease
/// or its task does not declare what it asks for.
pub fn calls_path(attempt: crate::AttemptRef) -> String {
    format!("/attempts/{}/{}/calls", attempt.ti, attempt.lease)
}

/// `PUT`: a worker's registration or heartbeat, as a [`WorkerBeat`].
pub fn worker_path(worker_id: &str) -> String {
    format!("/workers/{}", segment(worker_id))
}

/// A worker's registration or heartbeat: everything about it but its id (in the path) and
/// the time of the heartbeat (the server stamps it with its own clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkerBeat {
    /// Host name of its machine.
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_name))]
    pub hostname: String,
    /// Queues it takes tasks from (at least one).
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_queues))]
    pub queues: Vec<String>,
    /// Most attempts it runs at once (at least 1).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub concurrency: u32,
    /// Attempts it is running now.
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub running: u32,
    /// Attempts it ran to an end since it started, whatever their outcome, counted once the
    /// control plane took their result.
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub finished: u64,
    /// Of those, the attempts that failed, whether a retry follows or not.
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub failed: u64,
    /// Its machine's architecture (`x86_64`, `aarch64`, ...), so that monitoring shows it.
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_name))]
    pub arch: String,
    /// Its labels (`gpu`, `ssd`; at most 4), each named as a queue is: besides the tasks that
    /// ask for nothing, it runs those that ask for some of them. Left out when it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_labels))]
    pub labels: Vec<String>,
    /// The Weft release it runs.
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_name))]
    pub version: String,
    /// When the process started.
    pub started_at: Timestamp,
    /// When it stopped, on its last heartbeat before exiting.
    #[serde(default)]
    pub stopped_at: Option<Timestamp>,
    /// The tenants whose tasks it runs (`wfctl worker --tenants`). Left out when it runs every
    /// tenant's: a tenant's users are shown only the workers that serve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = beat_tenants))]
    pub tenants: Option<Vec<String>>,
}

impl WorkerBeat {
    /// The names of its fields, as the JSON body has them.
    pub const FIELDS: &'static [&'static str] = &[
        "hostname",
        "queues",
        "concurrency",
        "running",
        "finished",
        "failed",
        "arch",
        "labels",
        "version",
        "started_at",
        "stopped_at",
        "tenants",
    ];
}

/// `POST`: lines of the log of the current attempt `attempt`, sent while it runs, as
/// [`LiveLogLines`]; 204 when stored, 403 when the attempt no longer holds its lease, 413
/// when these lines would take its stored log past [`MAX_LIVE_LOG_BYTES`]. The log sent
/// with the attempt's result replaces these lines.
pub fn log_path(attempt: crate::AttemptRef) -> String {
    format!("/attempts/{}/{}/logs", attempt.ti, attempt.lease)
}

/// Most bytes of log the server stores for an attempt from the lines it sends while it
/// runs (twice the default log limit of an attempt).
pub const MAX_LIVE_LOG_BYTES: u64 = 8 << 20;

/// Lines of a running attempt's log, in the order it wrote them, after those it sent before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveLogLines {
    /// The number of the first of these lines in the attempt's log (from 0): 0 starts the
    /// attempt's stored log afresh (a delivery run again under the same lease starts over),
    /// others add to it.
    #[serde(deserialize_with = "weft_model::integral::required")]
    pub first_line: u64,
    /// The lines: each an object with `offset` (`secs`, `nanos` since the attempt
    /// started), `level`, `source` and `message`.
    #[serde(deserialize_with = "objects")]
    pub lines: Vec<crate::log::LogLine>,
}

/// A host name, architecture or version in a heartbeat: 1 to 250 characters, none of them
/// whitespace or a control character.
#[cfg(feature = "openapi")]
fn beat_name() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[^\\s\\x00-\\x1f\\x7f-\\x9f]+$"))
        .min_length(Some(1))
        .max_length(Some(250))
        .build()
}

/// A name as a queue's is: 1 to 250 ASCII letters, digits, `_`, `-` or `.`.
#[cfg(feature = "openapi")]
fn queue_name() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[A-Za-z0-9_.-]+$"))
        .min_length(Some(1))
        .max_length(Some(250))
        .build()
}

/// A heartbeat's queues: at least one, each named as a queue is.
#[cfg(feature = "openapi")]
fn beat_queues() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(queue_name())
        .min_items(Some(1))
        .build()
}

/// A heartbeat's labels: at most [`MAX_WORKER_LABELS`](weft_model::placement::MAX_WORKER_LABELS),
/// each named as a queue is.
#[cfg(feature = "openapi")]
fn beat_labels() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(queue_name())
        .max_items(Some(weft_model::placement::MAX_WORKER_LABELS))
        .build()
}

/// A heartbeat's tenants: tenants' names, or `null` (every tenant).
#[cfg(feature = "openapi")]
fn beat_tenants() -> utoipa::openapi::schema::Array {
    use weft_model::tenancy::{MAX_TENANT_NAME_LEN, TENANT_NAME_PATTERN};
    let name = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(TENANT_NAME_PATTERN))
        .min_length(Some(1))
        .max_length(Some(MAX_TENANT_NAME_LEN))
        .build();
    utoipa::openapi::schema::ArrayBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Array,
            utoipa::openapi::schema::Type::Null,
        ]))
        .items(name)
        .build()
}

/// A list whose items are JSON objects, each read as a `T` (a struct would otherwise also be
/// read from an array of its fields).
fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let items = Vec::<serde_json::Map<String, serde_json::Value>>::deserialize(deserializer)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            T::deserialize(serde_json::Value::Object(item))
                .map_err(|e| D::Error::custom(format!("item {i}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_each_id_in_one_segment() {
        let attempt = crate::AttemptRef {
            ti: 7,
            lease: 2,
            key: Some(crate::AttemptKey([9; crate::ATTEMPT_KEY_BYTES])),
        };
        assert_eq!(
            component_path(attempt, "sha256:ab"),
            "/attempts/7/2/components/sha256:ab"
        );
        assert_eq!(
            component_path(attempt, "a/b ä"),
            "/attempts/7/2/components/a%2Fb%20%C3%A4"
        );
        assert_eq!(calls_path(attempt), "/attempts/7/2/calls");
        assert_eq!(worker_path("w-1.x_~"), "/workers/w-1.x_~");
    }
}
