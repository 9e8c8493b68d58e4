//! What the calls on a bucket take and give: the shapes of the WIT interface's types.

/// What the store knows of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Its key.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, RFC 3339 in UTC.
    pub last_modified: String,
    /// Its entity tag, for conditional requests.
    pub e_tag: Option<String>,
    /// Its version, on stores that keep versions.
    pub version: Option<String>,
}

impl From<object_store::ObjectMeta> for ObjectMeta {
    fn from(m: object_store::ObjectMeta) -> ObjectMeta {
        ObjectMeta {
            path: m.location.to_string(),
            size: m.size,
            last_modified: m
                .last_modified
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            e_tag: m.e_tag,
            version: m.version,
        }
    }
}

/// Which bytes of an object a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetRange {
    /// From `start` up to `end`, exclusive.
    Bounded {
        /// The first byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// From `start` to the end.
    From(u64),
    /// The last `n` bytes.
    Suffix(u64),
}

/// Conditions and a range for a read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// Only these bytes; none: the whole object.
    pub range: Option<GetRange>,
    /// Only if the object's entity tag is this one (`If-Match`), else
    /// [`ObjectsError::Precondition`].
    pub if_match: Option<String>,
    /// Only if the object's entity tag is not this one (`If-None-Match`), else
    /// [`ObjectsError::NotModified`].
    pub if_none_match: Option<String>,
}

/// What a write may replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// Whatever object has the key.
    Overwrite,
    /// Nothing: the write fails with [`ObjectsError::AlreadyExists`] if the key has an object.
    Create,
    /// Only the object whose entity tag is this one, else [`ObjectsError::Precondition`].
    Update(String),
}

/// What a write made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutResult {
    /// The new object's entity tag.
    pub e_tag: Option<String>,
    /// Its version, on stores that keep versions.
    pub version: Option<String>,
}

impl From<object_store::PutResult> for PutResult {
    fn from(r: object_store::PutResult) -> PutResult {
        PutResult {
            e_tag: r.e_tag,
            version: r.version,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, by key.
    pub objects: Vec<ObjectMeta>,
    /// The key to start the next page after; none on the last page.
    pub next: Option<String>,
}

/// Why an object call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectsError {
    /// The task's DAG does not declare the connection for the task.
    #[error("{0}")]
    NotDeclared(String),
    /// No connection of that id exists.
    #[error("{0}")]
    NoConnection(String),
    /// The connection is not of a type a bucket opens through, or lacks what its type needs,
    /// or the store cannot do what was asked.
    #[error("{0}")]
    Unsupported(String),
    /// The egress policy refused a request to the connection's endpoint.
    #[error("{0}")]
    Denied(String),
    /// The key is not one the store takes (empty segment, `.` or `..`, a control character).
    #[error("{0}")]
    InvalidPath(String),
    /// No object has the key.
    #[error("{0}")]
    NotFound(String),
    /// An object has the key, and the write asked that none did.
    #[error("{0}")]
    AlreadyExists(String),
    /// The object's entity tag is not the one the call named.
    #[error("{0}")]
    Precondition(String),
    /// The object's entity tag is the one `if-none-match` named.
    #[error("{0}")]
    NotModified(String),
    /// A per-attempt cap (requests or bytes) was reached.
    #[error("{0}")]
    Limit(String),
    /// The call did not end before the attempt's deadline.
    #[error("{0}")]
    Timeout(String),
    /// The call does not fit the state of a reader or writer: a write after `finish`.
    #[error("{0}")]
    State(String),
    /// The store failed or refused the request (credentials, permissions, a server error);
    /// the message says which.
    #[error("{0}")]
    Store(String),
}
