//! Object storage, reached through the host: buckets on Amazon S3 and S3-compatible servers,
//! opened through declared connections whose keys the task never sees.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use weft_sdk::prelude::*;
//!
//! fn copy_report(ctx: &Context) -> TaskResult<u64> {
//!     let bucket = ctx.storage("aws_default").bucket("reports")?;
//!     let csv = bucket.get("in/2024-05-01.csv")?;
//!     bucket.put("out/latest.csv", csv)?;
//!
//!     // Large objects, a part at a time.
//!     let mut writer = bucket.writer("out/big.bin")?;
//!     for _ in 0..64 {
//!         writer.write_all(&[0u8; 1 << 20])?;
//!     }
//!     writer.finish()?;
//!     let (meta, mut reader) = bucket.reader("out/big.bin")?;
//!     let mut first = [0u8; 16];
//!     reader.read_exact(&mut first)?;
//!
//!     for object in bucket.list("out/") {
//!         info!("{} ({} bytes)", object?.path, meta.size);
//!     }
//!     Ok(meta.size)
//! }
//! ```
//!
//! # Connections
//! [`Context::storage`](crate::Context::storage) opens buckets through a connection the task
//! declares with `.connection(id)`, of type `aws`: its `login` and `password` are the access
//! and secret keys, `extra.endpoint_url` an S3-compatible server (else Amazon's endpoint of
//! `extra.region_name`). The host signs every request; the operator's egress policy must allow
//! the endpoint, and the task needs no `allow_egress` rule for it.
//!
//! # Errors
//! In a task, `?` turns an [`ObjectsError`] into a retryable or permanent
//! [`TaskError`](crate::TaskError) by [`ObjectsError::is_retryable`]; the conditional calls
//! ([`Bucket::put_with`] with [`PutMode::Create`] or [`PutMode::Update`], [`GetOptions`]'s
//! entity tags) answer with [`ObjectsError::AlreadyExists`], [`ObjectsError::Precondition`]
//! and [`ObjectsError::NotModified`], for the task to match on.

use std::fmt;
use std::io;
use std::ops::Range;

use crate::bindings::weft::dag::objects as wit;
use crate::error::{TaskError, TaskErrorKind};

/// Most bytes one read of a [`ObjectReader`] asks the host for.
const READ_CHUNK: u32 = 1 << 20;

/// Objects one listing request asks for.
const LIST_PAGE: u32 = 1000;

impl crate::Context {
    /// Object storage through connection `conn_id` (type `aws`), which the task (or the
    /// DAG's defaults) declares with `.connection(conn_id)`. See [`objects`](crate::objects).
    pub fn storage(&self, conn_id: &str) -> Storage {
        Storage {
            conn_id: conn_id.to_owned(),
        }
    }
}

/// Object storage through one connection, from [`Context::storage`](crate::Context::storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    conn_id: String,
}

impl Storage {
    /// The bucket `name`, opened by the host with the connection's keys.
    pub fn bucket(&self, name: &str) -> Result<Bucket, ObjectsError> {
        wit::open(&self.conn_id, name)
            .map(|inner| Bucket {
                inner,
                name: format!("{}/{name}", self.conn_id),
            })
            .map_err(ObjectsError::from_wit)
    }
}

/// What the store knows of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Its key.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, RFC 3339 in UTC.
    pub last_modified: String,
    /// Its entity tag, for conditional calls.
    pub e_tag: Option<String>,
    /// Its version, on stores that keep versions.
    pub version: Option<String>,
}

impl From<wit::ObjectMeta> for ObjectMeta {
    fn from(m: wit::ObjectMeta) -> Self {
        ObjectMeta {
            path: m.path,
            size: m.size,
            last_modified: m.last_modified,
            e_tag: m.e_tag,
            version: m.version,
        }
    }
}

/// A range and conditions for [`Bucket::get_with`] and [`Bucket::reader_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// Only these bytes (`start..end`); `None`: the whole object.
    pub range: Option<Range<u64>>,
    /// Only if the object's entity tag is this one, else [`ObjectsError::Precondition`].
    pub if_match: Option<String>,
    /// Only if the object's entity tag is not this one, else [`ObjectsError::NotModified`].
    pub if_none_match: Option<String>,
}

impl GetOptions {
    fn into_wit(self) -> wit::GetOptions {
        wit::GetOptions {
            range: self
                .range
                .map(|r| wit::ByteRange::Bounded((r.start, r.end))),
            if_match: self.if_match,
            if_none_match: self.if_none_match,
        }
    }
}

/// What a write may replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PutMode {
    /// Whatever object has the key.
    #[default]
    Overwrite,
    /// Nothing: [`ObjectsError::AlreadyExists`] if the key has an object.
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

impl From<wit::PutResult> for PutResult {
    fn from(r: wit::PutResult) -> Self {
        PutResult {
            e_tag: r.e_tag,
            version: r.version,
        }
    }
}

/// A bucket opened with [`Storage::bucket`].
pub struct Bucket {
    inner: wit::Bucket,
    /// `CONN_ID/BUCKET`.
    name: String,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket").field("name", &self.name).finish()
    }
}

impl Bucket {
    /// The whole object at `path`. An object larger than the task's memory is refused with
    /// [`ObjectsError::Limit`]: read it with [`Bucket::reader`].
    pub fn get(&self, path: &str) -> Result<Vec<u8>, ObjectsError> {
        self.get_with(path, GetOptions::default())
    }

    /// Bytes `range` of the object at `path`.
    pub fn get_range(&self, path: &str, range: Range<u64>) -> Result<Vec<u8>, ObjectsError> {
        self.get_with(
            path,
            GetOptions {
                range: Some(range),
                ..GetOptions::default()
            },
        )
    }

    /// The object at `path`, as `options` ask.
    pub fn get_with(&self, path: &str, options: GetOptions) -> Result<Vec<u8>, ObjectsError> {
        self.inner
            .get(path, &options.into_wit())
            .map_err(ObjectsError::from_wit)
    }

    /// The object at `path` as a stream ([`io::Read`]), with what the store knows of it.
    pub fn reader(&self, path: &str) -> Result<(ObjectMeta, ObjectReader), ObjectsError> {
        self.reader_with(path, GetOptions::default())
    }

    /// [`Bucket::reader`], as `options` ask.
    pub fn reader_with(
        &self,
        path: &str,
        options: GetOptions,
    ) -> Result<(ObjectMeta, ObjectReader), ObjectsError> {
        let (meta, inner) = self
            .inner
            .open_read(path, &options.into_wit())
            .map_err(ObjectsError::from_wit)?;
        let reader = ObjectReader {
            inner,
            chunk: Vec::new(),
            at: 0,
            done: false,
        };
        Ok((meta.into(), reader))
    }

    /// Writes `bytes` as the object at `path`, replacing what is there.
    pub fn put(&self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<PutResult, ObjectsError> {
        self.put_with(path, bytes, PutMode::Overwrite, None)
    }

    /// Writes `bytes` as the object at `path` as `mode` allows, with `content_type`.
    pub fn put_with(
        &self,
        path: &str,
        bytes: impl Into<Vec<u8>>,
        mode: PutMode,
        content_type: Option<&str>,
    ) -> Result<PutResult, ObjectsError> {
        let mode = match mode {
            PutMode::Overwrite => wit::PutMode::Overwrite,
            PutMode::Create => wit::PutMode::Create,
            PutMode::Update(e_tag) => wit::PutMode::Update(e_tag),
        };
        self.inner
            .put(path, &bytes.into(), &mode, content_type)
            .map(PutResult::from)
            .map_err(ObjectsError::from_wit)
    }

    /// A writer ([`io::Write`]) of the object at `path`: it appears whole when
    /// [`ObjectWriter::finish`] returns, and not at all if the writer is dropped first.
    pub fn writer(&self, path: &str) -> Result<ObjectWriter, ObjectsError> {
        self.writer_with(path, None)
    }

    /// [`Bucket::writer`], with `content_type`.
    pub fn writer_with(
        &self,
        path: &str,
        content_type: Option<&str>,
    ) -> Result<ObjectWriter, ObjectsError> {
        self.inner
            .open_write(path, content_type)
            .map(|inner| ObjectWriter { inner })
            .map_err(ObjectsError::from_wit)
    }

    /// What the store knows of the object at `path`.
    pub fn head(&self, path: &str) -> Result<ObjectMeta, ObjectsError> {
        self.inner
            .head(path)
            .map(ObjectMeta::from)
            .map_err(ObjectsError::from_wit)
    }

    /// Whether an object has the key `path`.
    pub fn exists(&self, path: &str) -> Result<bool, ObjectsError> {
        match self.head(path) {
            Ok(_) => Ok(true),
            Err(ObjectsError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every object whose key starts with the segments of `prefix` (`a/b` lists `a/b/c`, not
    /// `a/bc`; `""` lists the bucket), by key, a page of requests at a time.
    pub fn list(&self, prefix: &str) -> ListIter<'_> {
        ListIter {
            bucket: self,
            prefix: (!prefix.is_empty()).then(|| prefix.trim_end_matches('/').to_owned()),
            page: Vec::new().into_iter(),
            next: None,
            done: false,
        }
    }

    /// Deletes the object at `path`; deleting one that does not exist succeeds.
    pub fn delete(&self, path: &str) -> Result<(), ObjectsError> {
        self.inner.delete(path).map_err(ObjectsError::from_wit)
    }

    /// Copies the object at `source` to `target`, replacing what is there.
    pub fn copy(&self, source: &str, target: &str) -> Result<(), ObjectsError> {
        self.inner
            .copy(source, target, true)
            .map_err(ObjectsError::from_wit)
    }
}

/// The objects of [`Bucket::list`].
pub struct ListIter<'a> {
    bucket: &'a Bucket,
    prefix: Option<String>,
    page: std::vec::IntoIter<wit::ObjectMeta>,
    next: Option<String>,
    done: bool,
}

impl Iterator for ListIter<'_> {
    type Item = Result<ObjectMeta, ObjectsError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(meta) = self.page.next() {
                return Some(Ok(meta.into()));
            }
            if self.done {
                return None;
            }
            let page =
                self.bucket
                    .inner
                    .list(self.prefix.as_deref(), self.next.as_deref(), LIST_PAGE);
            match page {
                Ok(page) => {
                    self.done = page.next.is_none();
                    self.next = page.next;
                    self.page = page.objects.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(ObjectsError::from_wit(e)));
                }
            }
        }
    }
}

/// An object's bytes, read from the host a chunk at a time.
pub struct ObjectReader {
    inner: wit::Reader,
    chunk: Vec<u8>,
    at: usize,
    done: bool,
}

impl io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            self.chunk = self
                .inner
                .read(READ_CHUNK)
                .map_err(|e| io::Error::other(ObjectsError::from_wit(e).message()))?;
            self.at = 0;
            if self.chunk.is_empty() {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// An object being written ([`io::Write`]); see [`Bucket::writer`].
pub struct ObjectWriter {
    inner: wit::Writer,
}

impl ObjectWriter {
    /// Finishes the object: what was written appears at its key.
    pub fn finish(self) -> Result<PutResult, ObjectsError> {
        self.inner
            .finish()
            .map(PutResult::from)
            .map_err(ObjectsError::from_wit)
    }
}

impl io::Write for ObjectWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner
            .write(buf)
            .map_err(|e| io::Error::other(ObjectsError::from_wit(e).message()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why an object call failed.
///
/// In a task, `?` turns it into a [`TaskError`] of the right kind: retryable when
/// [`is_retryable`](Self::is_retryable) (the store failed, the call timed out), else
/// permanent. Like [`SqlError`](crate::sql::SqlError), it does not implement `Display`, so
/// that `?` keeps the kind; read it with [`ObjectsError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectsError {
    /// The task does not declare the connection: add `.connection(id)`.
    NotDeclared(String),
    /// No connection of that id exists.
    NoConnection(String),
    /// The connection is not of a type a bucket opens through, lacks what its type needs, or
    /// the store cannot do what was asked.
    Unsupported(String),
    /// The operator's egress policy refused a request to the connection's endpoint.
    Denied(String),
    /// The key or bucket name is not one the store takes.
    InvalidPath(String),
    /// No object has the key.
    NotFound(String),
    /// An object has the key, and the call asked that none did.
    AlreadyExists(String),
    /// The object's entity tag is not the one the call named.
    Precondition(String),
    /// The object's entity tag is the one `if_none_match` named.
    NotModified(String),
    /// A per-attempt cap (requests, bytes, or what one `get` returns) was reached.
    Limit(String),
    /// The call did not end before the attempt's deadline.
    Timeout(String),
    /// A write after `finish`.
    State(String),
    /// The store failed or refused the request (keys, permissions, a server error).
    Store(String),
}

impl ObjectsError {
    /// Whether another attempt may succeed: the store failed or the call timed out.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ObjectsError::Store(_) | ObjectsError::Timeout(_))
    }

    /// The message shown to users: the host's words, naming the bucket and key.
    pub fn message(&self) -> String {
        match self {
            ObjectsError::NotDeclared(m)
            | ObjectsError::NoConnection(m)
            | ObjectsError::Unsupported(m)
            | ObjectsError::Denied(m)
            | ObjectsError::InvalidPath(m)
            | ObjectsError::NotFound(m)
            | ObjectsError::AlreadyExists(m)
            | ObjectsError::Precondition(m)
            | ObjectsError::NotModified(m)
            | ObjectsError::Limit(m)
            | ObjectsError::Timeout(m)
            | ObjectsError::State(m)
            | ObjectsError::Store(m) => m.clone(),
        }
    }

    /// The [`TaskError`] of the right kind; `?` does the same.
    pub fn into_task_error(self) -> TaskError {
        let kind = if self.is_retryable() {
            TaskErrorKind::Retryable
        } else {
            TaskErrorKind::Permanent
        };
        TaskError::new(kind, self.message())
    }

    fn from_wit(e: wit::ObjectsError) -> Self {
        use wit::ObjectsError as W;
        match e {
            W::NotDeclared(m) => {
                ObjectsError::NotDeclared(format!("{m} (declare it with `.connection`)"))
            }
            W::NoConnection(m) => ObjectsError::NoConnection(m),
            W::Unsupported(m) => ObjectsError::Unsupported(m),
            W::Denied(m) => ObjectsError::Denied(m),
            W::InvalidPath(m) => ObjectsError::InvalidPath(m),
            W::NotFound(m) => ObjectsError::NotFound(m),
            W::AlreadyExists(m) => ObjectsError::AlreadyExists(m),
            W::Precondition(m) => ObjectsError::Precondition(m),
            W::NotModified(m) => ObjectsError::NotModified(m),
            W::Limit(m) => ObjectsError::Limit(m),
            W::Timeout(m) => ObjectsError::Timeout(m),
            W::State(m) => ObjectsError::State(m),
            W::Store(m) => ObjectsError::Store(m),
        }
    }
}

crate::error::kinded_host_error!(ObjectsError);
