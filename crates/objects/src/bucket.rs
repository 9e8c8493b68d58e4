//! The calls on an open bucket, and its streaming readers and writers. Each call ends by the
//! attempt's deadline; every request it makes goes through the attempt's egress.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions,
    PutPayload, UpdateVersion, WriteMultipart,
};

use crate::types::{GetOptions, GetRange, ListPage, ObjectMeta, ObjectsError, PutMode, PutResult};

/// Bytes a writer holds before it starts a multipart upload; an object written whole below
/// it takes one request. Also the size of each part (S3's smallest is 5 MiB).
pub const PART_BYTES: usize = 8 << 20;

/// Parts of one writer in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// Longest wait for a store to drop an unfinished upload's parts.
const ABORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Most objects one listing page holds.
pub const MAX_PAGE: u32 = 1000;

/// A bucket opened through a connection.
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    /// `CONN_ID/BUCKET`, for messages.
    name: String,
    /// Where its requests go, for messages.
    endpoint: String,
    deadline: Instant,
    /// Most bytes one `get` returns at once; larger objects are read with [`Bucket::open_read`].
    max_get_bytes: u64,
}

impl Bucket {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        name: String,
        endpoint: String,
        deadline: Instant,
    ) -> Bucket {
        Bucket {
            store,
            name,
            endpoint,
            deadline,
            max_get_bytes: u64::MAX,
        }
    }

    /// Caps what one [`Bucket::get`] returns at `bytes` (a task's memory, say).
    pub fn with_max_get_bytes(mut self, bytes: u64) -> Bucket {
        self.max_get_bytes = bytes;
        self
    }

    /// The object at `path`, whole or the range `options` asks for.
    pub async fn get(&self, path: &str, options: GetOptions) -> Result<Vec<u8>, ObjectsError> {
        let location = self.path(path)?;
        self.within_deadline(path, async {
            let result = self.get_checked(&location, path, options).await?;
            let length = result.range.end - result.range.start;
            if length > self.max_get_bytes {
                return Err(ObjectsError::Limit(format!(
                    "{path:?} in {} is {length} bytes, more than the {} one get returns: read it with open-read",
                    self.name, self.max_get_bytes
                )));
            }
            let bytes = result.bytes().await.map_err(|e| self.error(path, e))?;
            Ok(bytes.to_vec())
        })
        .await
    }

    /// The object at `path` (or the range `options` asks for) as a stream, with what the
    /// store knows of it.
    pub async fn open_read(
        &self,
        path: &str,
        options: GetOptions,
    ) -> Result<(ObjectMeta, Reader), ObjectsError> {
        let location = self.path(path)?;
        self.within_deadline(path, async {
            let result = self.get_checked(&location, path, options).await?;
            let meta = ObjectMeta::from(result.meta.clone());
            let reader = Reader {
                stream: Some(result.into_stream()),
                pending: Bytes::new(),
                path: path.to_owned(),
                bucket: self.name.clone(),
                deadline: self.deadline,
            };
            Ok((meta, reader))
        })
        .await
    }

    /// The store's answer to a read of `location` with `options`, its conditions checked
    /// again on the entity tag it answers with: some S3-compatible servers ignore
    /// `If-Match` and `If-None-Match` on reads, and a task's condition holds all the same.
    async fn get_checked(
        &self,
        location: &Path,
        path: &str,
        options: GetOptions,
    ) -> Result<object_store::GetResult, ObjectsError> {
        let (if_match, if_none_match) = (options.if_match.clone(), options.if_none_match.clone());
        let result = self
            .store
            .get_opts(location, get_options(options))
            .await
            .map_err(|e| self.error(path, e))?;
        let tag = result.meta.e_tag.as_deref();
        let at = || format!("{path:?} in {}", self.name);
        if let Some(wanted) = if_match
            && tag != Some(wanted.as_str())
        {
            return Err(ObjectsError::Precondition(format!(
                "{}: its entity tag is not the one given",
                at()
            )));
        }
        if let Some(unwanted) = if_none_match
            && tag == Some(unwanted.as_str())
        {
            return Err(ObjectsError::NotModified(format!(
                "{}: its entity tag is the one given",
                at()
            )));
        }
        Ok(result)
    }

    /// Writes `bytes` as the object at `path`, as `mode` allows, in one request.
    pub async fn put(
        &self,
        path: &str,
        bytes: Vec<u8>,
        mode: PutMode,
        content_type: Option<String>,
    ) -> Result<PutResult, ObjectsError> {
        let location = self.path(path)?;
        self.within_deadline(path, async {
            let options = PutOptions {
                mode: put_mode(mode),
                attributes: attributes(content_type),
                ..PutOptions::default()
            };
            self.store
                .put_opts(&location, PutPayload::from(bytes), options)
                .await
                .map(PutResult::from)
                .map_err(|e| self.error(path, e))
        })
        .await
    }

    /// A writer of the object at `path`: it appears, whole, when the writer finishes.
    pub fn open_write(
        &self,
        path: &str,
        content_type: Option<String>,
    ) -> Result<Writer, ObjectsError> {
        let location = self.path(path)?;
        Ok(Writer {
            store: self.store.clone(),
            location,
            path: path.to_owned(),
            bucket: self.name.clone(),
            content_type,
            state: WriterState::Buffering(BytesMut::new()),
            deadline: self.deadline,
        })
    }

    /// What the store knows of the object at `path`.
    pub async fn head(&self, path: &str) -> Result<ObjectMeta, ObjectsError> {
        let location = self.path(path)?;
        self.within_deadline(path, async {
            self.store
                .head(&location)
                .await
                .map(ObjectMeta::from)
                .map_err(|e| self.error(path, e))
        })
        .await
    }

    /// Up to `max` objects (at most [`MAX_PAGE`]) whose keys start with `prefix` (whole
    /// segments: `a/b` lists `a/b/c`, not `a/bc`), by key, after `start_after`.
    pub async fn list(
        &self,
        prefix: Option<&str>,
        start_after: Option<&str>,
        max: u32,
    ) -> Result<ListPage, ObjectsError> {
        let what = prefix.unwrap_or("");
        let prefix = prefix.map(|p| self.path(p)).transpose()?;
        let offset = start_after.map(|p| self.path(p)).transpose()?;
        let max = usize::try_from(max.clamp(1, MAX_PAGE)).unwrap_or(1);
        self.within_deadline(what, async {
            let mut stream = match &offset {
                Some(offset) => self.store.list_with_offset(prefix.as_ref(), offset),
                None => self.store.list(prefix.as_ref()),
            };
            let mut page = ListPage::default();
            while let Some(meta) = stream.next().await {
                let meta = meta.map_err(|e| self.error(what, e))?;
                if page.objects.len() == max {
                    page.next = page.objects.last().map(|m| m.path.clone());
                    break;
                }
                page.objects.push(ObjectMeta::from(meta));
            }
            Ok(page)
        })
        .await
    }

    /// Deletes the object at `path`; deleting one that does not exist succeeds.
    pub async fn delete(&self, path: &str) -> Result<(), ObjectsError> {
        let location = self.path(path)?;
        self.within_deadline(path, async {
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(self.error(path, e)),
            }
        })
        .await
    }

    /// Copies the object at `from` to `to`, replacing what is there when `overwrite`, else
    /// failing with `already-exists` if `to` has an object.
    pub async fn copy(&self, from: &str, to: &str, overwrite: bool) -> Result<(), ObjectsError> {
        let (source, target) = (self.path(from)?, self.path(to)?);
        self.within_deadline(from, async {
            let copied = if overwrite {
                self.store.copy(&source, &target).await
            } else {
                self.store.copy_if_not_exists(&source, &target).await
            };
            copied.map_err(|e| match e {
                object_store::Error::AlreadyExists { .. } => self.error(to, e),
                e => self.error(from, e),
            })
        })
        .await
    }

    /// `path` as a key, or why it is not one.
    fn path(&self, path: &str) -> Result<Path, ObjectsError> {
        Path::parse(path)
            .map_err(|e| ObjectsError::InvalidPath(format!("{path:?} is not an object key: {e}")))
    }

    async fn within_deadline<T>(
        &self,
        path: &str,
        call: impl Future<Output = Result<T, ObjectsError>>,
    ) -> Result<T, ObjectsError> {
        within(self.deadline, call, || {
            format!("{path:?} in {}: the attempt's deadline passed", self.name)
        })
        .await
    }

    /// The task's error for the store's `e` on `path`.
    fn error(&self, path: &str, e: object_store::Error) -> ObjectsError {
        error(&self.name, &self.endpoint, path, e)
    }
}

async fn within<T>(
    deadline: Instant,
    call: impl Future<Output = Result<T, ObjectsError>>,
    late: impl FnOnce() -> String,
) -> Result<T, ObjectsError> {
    tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), call)
        .await
        .unwrap_or_else(|_| Err(ObjectsError::Timeout(late())))
}

/// The task's error for the store's `e` on `path` in `bucket` at `endpoint`.
fn error(bucket: &str, endpoint: &str, path: &str, e: object_store::Error) -> ObjectsError {
    use object_store::Error as E;
    let at = format!("{path:?} in {bucket}");
    match e {
        E::NotFound { .. } => ObjectsError::NotFound(format!("{at}: no such object")),
        E::AlreadyExists { .. } => ObjectsError::AlreadyExists(format!("{at}: already exists")),
        E::Precondition { .. } => {
            ObjectsError::Precondition(format!("{at}: its entity tag is not the one given"))
        }
        E::NotModified { .. } => {
            ObjectsError::NotModified(format!("{at}: its entity tag is the one given"))
        }
        E::InvalidPath { source } => {
            ObjectsError::InvalidPath(format!("{path:?} is not an object key: {source}"))
        }
        E::NotSupported { source } => {
            ObjectsError::Unsupported(format!("{at}: the store cannot do this: {source}"))
        }
        E::NotImplemented { operation, .. } => {
            ObjectsError::Unsupported(format!("{at}: the store cannot {operation}"))
        }
        e => match egress_error(&e) {
            Some(
                weft_egress::EgressError::HttpRequestDenied
                | weft_egress::EgressError::DestinationIpProhibited,
            ) => ObjectsError::Denied(format!(
                "{at}: the egress policy refuses requests to {endpoint} (the attempt's log says why)"
            )),
            Some(
                limit @ (weft_egress::EgressError::ConnectionLimitReached
                | weft_egress::EgressError::HttpRequestBodySize(_)
                | weft_egress::EgressError::HttpResponseBodySize(_)),
            ) => ObjectsError::Limit(format!("{at}: the attempt's egress limit: {limit}")),
            _ => ObjectsError::Store(format!("{at}: {e}")),
        },
    }
}

/// The egress failure behind `e`, if one is.
fn egress_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a weft_egress::EgressError> {
    let mut next: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<weft_egress::EgressError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

fn get_options(options: GetOptions) -> object_store::GetOptions {
    object_store::GetOptions {
        if_match: options.if_match,
        if_none_match: options.if_none_match,
        range: options.range.map(|r| match r {
            GetRange::Bounded { start, end } => object_store::GetRange::Bounded(start..end),
            GetRange::From(start) => object_store::GetRange::Offset(start),
            GetRange::Suffix(n) => object_store::GetRange::Suffix(n),
        }),
        ..object_store::GetOptions::default()
    }
}

fn put_mode(mode: PutMode) -> object_store::PutMode {
    match mode {
        PutMode::Overwrite => object_store::PutMode::Overwrite,
        PutMode::Create => object_store::PutMode::Create,
        PutMode::Update(e_tag) => object_store::PutMode::Update(UpdateVersion {
            e_tag: Some(e_tag),
            version: None,
        }),
    }
}

fn attributes(content_type: Option<String>) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(content_type) = content_type {
        attributes.insert(Attribute::ContentType, content_type.into());
    }
    attributes
}

/// An object's bytes, read a chunk at a time.
pub struct Reader {
    stream: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    /// What the last chunk had beyond what was asked.
    pending: Bytes,
    path: String,
    bucket: String,
    deadline: Instant,
}

impl Reader {
    /// Up to `max` next bytes; empty at the end.
    pub async fn read(&mut self, max: u32) -> Result<Vec<u8>, ObjectsError> {
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        if self.pending.is_empty() {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(Vec::new());
            };
            let (path, bucket) = (&self.path, &self.bucket);
            let next = within(
                self.deadline,
                async {
                    stream
                        .next()
                        .await
                        .transpose()
                        .map_err(|e| error(bucket, "", path, e))
                },
                || format!("{path:?} in {bucket}: the attempt's deadline passed"),
            )
            .await?;
            match next {
                Some(chunk) => self.pending = chunk,
                None => {
                    self.stream = None;
                    return Ok(Vec::new());
                }
            }
        }
        let take = max.min(self.pending.len());
        Ok(self.pending.split_to(take).to_vec())
    }
}

enum WriterState {
    /// Fewer than [`PART_BYTES`] written: nothing sent yet.
    Buffering(BytesMut),
    /// A multipart upload under way.
    Uploading(WriteMultipart),
    /// Finished, or failed.
    Done,
}

/// An object being written: it appears whole when [`Writer::finish`] returns, and not at all
/// if the writer is dropped first (a multipart upload under way is aborted).
pub struct Writer {
    store: Arc<dyn ObjectStore>,
    location: Path,
    path: String,
    bucket: String,
    content_type: Option<String>,
    state: WriterState,
    deadline: Instant,
}

impl Writer {
    /// Appends `bytes` to the object.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), ObjectsError> {
        let (path, bucket) = (self.path.clone(), self.bucket.clone());
        let late = || format!("{path:?} in {bucket}: the attempt's deadline passed");
        match &mut self.state {
            WriterState::Buffering(buffer) => {
                buffer.extend_from_slice(bytes);
                if buffer.len() < PART_BYTES {
                    return Ok(());
                }
                let buffered = std::mem::take(buffer).freeze();
                let options = PutMultipartOptions {
                    attributes: attributes(self.content_type.clone()),
                    ..PutMultipartOptions::default()
                };
                let (store, location) = (&self.store, &self.location);
                let upload = within(
                    self.deadline,
                    async {
                        store
                            .put_multipart_opts(location, options)
                            .await
                            .map_err(|e| error(&bucket, "", &path, e))
                    },
                    late,
                )
                .await;
                let upload = match upload {
                    Ok(upload) => upload,
                    Err(e) => {
                        self.state = WriterState::Done;
                        return Err(e);
                    }
                };
                let mut upload = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
                upload.put(buffered);
                self.state = WriterState::Uploading(upload);
                Ok(())
            }
            WriterState::Uploading(upload) => {
                let waited = within(
                    self.deadline,
                    async {
                        upload
                            .wait_for_capacity(PARTS_IN_FLIGHT)
                            .await
                            .map_err(|e| error(&bucket, "", &path, e))
                    },
                    late,
                )
                .await;
                if let Err(e) = waited {
                    self.abort();
                    return Err(e);
                }
                if let WriterState::Uploading(upload) = &mut self.state {
                    upload.write(bytes);
                }
                Ok(())
            }
            WriterState::Done => Err(ObjectsError::State(format!(
                "{path:?} in {bucket}: the writer is finished"
            ))),
        }
    }

    /// Finishes the object: what was written appears at its key.
    pub async fn finish(&mut self) -> Result<PutResult, ObjectsError> {
        let (path, bucket) = (self.path.clone(), self.bucket.clone());
        let late = || format!("{path:?} in {bucket}: the attempt's deadline passed");
        match std::mem::replace(&mut self.state, WriterState::Done) {
            WriterState::Buffering(buffer) => {
                let options = PutOptions {
                    attributes: attributes(self.content_type.clone()),
                    ..PutOptions::default()
                };
                let payload = PutPayload::from(buffer.freeze());
                let (store, location) = (&self.store, &self.location);
                within(
                    self.deadline,
                    async {
                        store
                            .put_opts(location, payload, options)
                            .await
                            .map(PutResult::from)
                            .map_err(|e| error(&bucket, "", &path, e))
                    },
                    late,
                )
                .await
            }
            WriterState::Uploading(upload) => {
                within(
                    self.deadline,
                    async {
                        upload
                            .finish()
                            .await
                            .map(PutResult::from)
                            .map_err(|e| error(&bucket, "", &path, e))
                    },
                    late,
                )
                .await
            }
            WriterState::Done => Err(ObjectsError::State(format!(
                "{path:?} in {bucket}: the writer is finished"
            ))),
        }
    }

    /// Aborts a multipart upload under way, in the background: its parts are not kept.
    fn abort(&mut self) {
        if let WriterState::Uploading(upload) =
            std::mem::replace(&mut self.state, WriterState::Done)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // After the attempt too: a store keeps an unfinished upload's parts until told.
            runtime.spawn(async move {
                let _ = tokio::time::timeout(ABORT_TIMEOUT, upload.abort()).await;
            });
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.abort();
    }
}
