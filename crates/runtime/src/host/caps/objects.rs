//! `weft:dag/objects`: buckets opened through declared connections, on the object storage
//! client `weft_objects`; every request goes out through the attempt's egress.

use wasmtime::component::Resource;
use wasmtime_wasi::runtime::in_tokio;
use weft_objects::{Bucket, ObjectsError, OpenRequest, Reader, Writer};

use super::access::ConnectionRefusal;
use crate::sandbox::HostState;

/// A call's answer: a trap, or the client's result.
type Answer<T> = wasmtime::Result<Result<T, ObjectsError>>;

impl HostState {
    fn objects_open(&mut self, conn_id: String, bucket: String) -> Answer<Resource<Bucket>> {
        self.check_deadline()?;
        let conn = match self.declared_connection("objects.open", &conn_id)? {
            Ok(conn) => conn,
            Err(ConnectionRefusal::NotDeclared(why)) => {
                return Ok(Err(ObjectsError::NotDeclared(why)));
            }
            Err(ConnectionRefusal::NotFound(why)) => {
                return Ok(Err(ObjectsError::NoConnection(why)));
            }
            Err(ConnectionRefusal::Unavailable(why)) => {
                return Ok(Err(ObjectsError::Store(format!(
                    "connection {conn_id:?} could not be read: {why}"
                ))));
            }
        };
        let request = OpenRequest {
            conn: &conn,
            bucket: &bucket,
            egress: &self.egress.0,
        };
        match request.open() {
            Ok(opened) => {
                let opened = opened.with_max_get_bytes(self.limits.memory_bytes);
                Ok(Ok(self.table().push(opened)?))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// Runs `call` on the bucket `res`, by the attempt's deadline.
    fn on_bucket<T>(
        &mut self,
        res: &Resource<Bucket>,
        call: impl AsyncFnOnce(&Bucket) -> Result<T, ObjectsError>,
    ) -> Answer<T> {
        self.check_deadline()?;
        let bucket = self.table().get(res)?;
        Ok(in_tokio(call(bucket)))
    }

    fn objects_open_read(
        &mut self,
        res: Resource<Bucket>,
        path: String,
        options: weft_objects::GetOptions,
    ) -> Answer<(weft_objects::ObjectMeta, Resource<Reader>)> {
        match self.on_bucket(&res, async |b| b.open_read(&path, options).await)? {
            Ok((meta, reader)) => Ok(Ok((meta, self.table().push(reader)?))),
            Err(e) => Ok(Err(e)),
        }
    }

    fn objects_open_write(
        &mut self,
        res: Resource<Bucket>,
        path: String,
        content_type: Option<String>,
    ) -> Answer<Resource<Writer>> {
        self.check_deadline()?;
        match self.table().get(&res)?.open_write(&path, content_type) {
            Ok(writer) => Ok(Ok(self.table().push(writer)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn objects_read(&mut self, res: Resource<Reader>, max: u32) -> Answer<Vec<u8>> {
        self.check_deadline()?;
        let reader = self.table().get_mut(&res)?;
        Ok(in_tokio(reader.read(max)))
    }

    fn objects_write(&mut self, res: Resource<Writer>, bytes: Vec<u8>) -> Answer<()> {
        self.check_deadline()?;
        let writer = self.table().get_mut(&res)?;
        Ok(in_tokio(writer.write(&bytes)))
    }

    fn objects_finish(&mut self, res: Resource<Writer>) -> Answer<weft_objects::PutResult> {
        self.check_deadline()?;
        let writer = self.table().get_mut(&res)?;
        Ok(in_tokio(writer.finish()))
    }

    /// Drops a writer where it can still abort an upload under way.
    fn objects_writer_drop(&mut self, res: Resource<Writer>) -> wasmtime::Result<()> {
        let writer = self.table().delete(res)?;
        in_tokio(async move { drop(writer) });
        Ok(())
    }
}

/// The `objects` host of world `$v`: the client's types, converted case by case.
macro_rules! objects_host {
    ($v:ident) => {
        const _: () = {
            use wasmtime::component::Resource;
            use weft_objects::{Bucket, ObjectsError as N, Reader, Writer};

            use crate::bindings::$v::weft::dag::objects as wit;

            fn error_out(e: N) -> wit::ObjectsError {
                use wit::ObjectsError as O;
                match e {
                    N::NotDeclared(m) => O::NotDeclared(m),
                    N::NoConnection(m) => O::NoConnection(m),
                    N::Unsupported(m) => O::Unsupported(m),
                    N::Denied(m) => O::Denied(m),
                    N::InvalidPath(m) => O::InvalidPath(m),
                    N::NotFound(m) => O::NotFound(m),
                    N::AlreadyExists(m) => O::AlreadyExists(m),
                    N::Precondition(m) => O::Precondition(m),
                    N::NotModified(m) => O::NotModified(m),
                    N::Limit(m) => O::Limit(m),
                    N::Timeout(m) => O::Timeout(m),
                    N::State(m) => O::State(m),
                    N::Store(m) => O::Store(m),
                }
            }

            fn meta_out(m: weft_objects::ObjectMeta) -> wit::ObjectMeta {
                wit::ObjectMeta {
                    path: m.path,
                    size: m.size,
                    last_modified: m.last_modified,
                    e_tag: m.e_tag,
                    version: m.version,
                }
            }

            fn put_out(r: weft_objects::PutResult) -> wit::PutResult {
                wit::PutResult {
                    e_tag: r.e_tag,
                    version: r.version,
                }
            }

            fn options_in(o: wit::GetOptions) -> weft_objects::GetOptions {
                use weft_objects::GetRange;
                weft_objects::GetOptions {
                    range: o.range.map(|r| match r {
                        wit::ByteRange::Bounded((start, end)) => GetRange::Bounded { start, end },
                        wit::ByteRange::Offset(start) => GetRange::From(start),
                        wit::ByteRange::Suffix(n) => GetRange::Suffix(n),
                    }),
                    if_match: o.if_match,
                    if_none_match: o.if_none_match,
                }
            }

            fn mode_in(m: wit::PutMode) -> weft_objects::PutMode {
                match m {
                    wit::PutMode::Overwrite => weft_objects::PutMode::Overwrite,
                    wit::PutMode::Create => weft_objects::PutMode::Create,
                    wit::PutMode::Update(e_tag) => weft_objects::PutMode::Update(e_tag),
                }
            }

            type WitAnswer<T> = wasmtime::Result<Result<T, wit::ObjectsError>>;

            fn answer<T, U>(r: Answer<T>, f: impl FnOnce(T) -> U) -> WitAnswer<U> {
                r.map(|inner| inner.map(f).map_err(error_out))
            }

            impl wit::Host for HostState {
                #[tracing::instrument(level = "debug", skip(self))]
                fn open(&mut self, conn_id: String, bucket: String) -> WitAnswer<Resource<Bucket>> {
                    answer(self.objects_open(conn_id, bucket), |b| b)
                }
            }

            impl wit::HostBucket for HostState {
                #[tracing::instrument(level = "debug", skip(self, res, options))]
                fn get(
                    &mut self,
                    res: Resource<Bucket>,
                    path: String,
                    options: wit::GetOptions,
                ) -> WitAnswer<Vec<u8>> {
                    let options = options_in(options);
                    let r = self.on_bucket(&res, async |b| b.get(&path, options).await);
                    answer(r, |bytes| bytes)
                }

                #[tracing::instrument(level = "debug", skip(self, res, options))]
                fn open_read(
                    &mut self,
                    res: Resource<Bucket>,
                    path: String,
                    options: wit::GetOptions,
                ) -> WitAnswer<(wit::ObjectMeta, Resource<Reader>)> {
                    let r = self.objects_open_read(res, path, options_in(options));
                    answer(r, |(meta, reader)| (meta_out(meta), reader))
                }

                #[tracing::instrument(level = "debug", skip(self, res, bytes, mode))]
                fn put(
                    &mut self,
                    res: Resource<Bucket>,
                    path: String,
                    bytes: Vec<u8>,
                    mode: wit::PutMode,
                    content_type: Option<String>,
                ) -> WitAnswer<wit::PutResult> {
                    let mode = mode_in(mode);
                    let r = self.on_bucket(&res, async |b| {
                        b.put(&path, bytes, mode, content_type).await
                    });
                    answer(r, put_out)
                }

                #[tracing::instrument(level = "debug", skip(self, res))]
                fn open_write(
                    &mut self,
                    res: Resource<Bucket>,
                    path: String,
                    content_type: Option<String>,
                ) -> WitAnswer<Resource<Writer>> {
                    answer(self.objects_open_write(res, path, content_type), |w| w)
                }

                #[tracing::instrument(level = "debug", skip(self, res))]
                fn head(
                    &mut self,
                    res: Resource<Bucket>,
                    path: String,
                ) -> WitAnswer<wit::ObjectMeta> {
                    let r = self.on_bucket(&res, async |b| b.head(&path).await);
                    answer(r, meta_out)
                }

                #[tracing::instrument(level = "debug", skip(self, res))]
                fn list(
                    &mut self,
                    res: Resource<Bucket>,
                    prefix: Option<String>,
                    start_after: Option<String>,
                    max: u32,
                ) -> WitAnswer<wit::ListPage> {
                    let r = self.on_bucket(&res, async |b| {
                        b.list(prefix.as_deref(), start_after.as_deref(), max).await
                    });
                    answer(r, |page| wit::ListPage {
                        objects: page.objects.into_iter().map(meta_out).collect(),
                        next: page.next,
                    })
                }

                #[tracing::instrument(level = "debug", skip(self, res))]
                fn delete(&mut self, res: Resource<Bucket>, path: String) -> WitAnswer<()> {
                    let r = self.on_bucket(&res, async |b| b.delete(&path).await);
                    answer(r, |()| ())
                }

                #[tracing::instrument(level = "debug", skip(self, res))]
                fn copy(
                    &mut self,
                    res: Resource<Bucket>,
                    source: String,
                    target: String,
                    overwrite: bool,
                ) -> WitAnswer<()> {
                    let r =
                        self.on_bucket(&res, async |b| b.copy(&source, &target, overwrite).await);
                    answer(r, |()| ())
                }

                fn drop(&mut self, res: Resource<Bucket>) -> wasmtime::Result<()> {
                    self.table().delete(res)?;
                    Ok(())
                }
            }

            impl wit::HostReader for HostState {
                fn read(&mut self, res: Resource<Reader>, max: u32) -> WitAnswer<Vec<u8>> {
                    answer(self.objects_read(res, max), |bytes| bytes)
                }

                fn drop(&mut self, res: Resource<Reader>) -> wasmtime::Result<()> {
                    self.table().delete(res)?;
                    Ok(())
                }
            }

            impl wit::HostWriter for HostState {
                fn write(&mut self, res: Resource<Writer>, bytes: Vec<u8>) -> WitAnswer<()> {
                    answer(self.objects_write(res, bytes), |()| ())
                }

                fn finish(&mut self, res: Resource<Writer>) -> WitAnswer<wit::PutResult> {
                    answer(self.objects_finish(res), put_out)
                }

                fn drop(&mut self, res: Resource<Writer>) -> wasmtime::Result<()> {
                    self.objects_writer_drop(res)
                }
            }
        };
    };
}

crate::bindings::worlds_from!(v0_6, objects_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_6, objects);
    Ok(())
}
