//! `wasi:io` waits (`poll`, `pollable.block` and the `blocking-*` stream methods), bounded by
//! the attempt's deadline.
//!
//! A guest waiting on a TCP peer that never answers blocks inside the host, where epoch
//! interruption cannot reach it. These replacements run the same waits as wasmtime-wasi, but
//! end the attempt as a timeout at its deadline.

use std::future::Future;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::io::poll::{Host as _, HostPollable as _};
use wasmtime_wasi::p2::bindings::io::streams::{
    self, Host as _, HostInputStream as _, HostOutputStream as _,
};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, StreamResult};

use crate::error::HostTrap;
use crate::sandbox::HostState;

/// The WASI io package these functions replace (the version wasmtime-wasi provides).
const POLL: &str = "wasi:io/poll@0.2.12";
const STREAMS: &str = "wasi:io/streams@0.2.12";

/// Runs `wait` on the resource table, giving up at the attempt's deadline.
fn bounded<'a, R, F>(
    store: &'a mut StoreContextMut<'_, HostState>,
    wait: impl FnOnce(&'a mut ResourceTable) -> F,
) -> wasmtime::Result<R>
where
    F: Future<Output = R> + 'a,
{
    let deadline = tokio::time::Instant::from_std(store.data().deadline);
    let table = store.data_mut().table();
    let waiting = wait(table);
    // The timer is made inside the runtime `in_tokio` enters.
    wasmtime_wasi::runtime::in_tokio(
        async move { tokio::time::timeout_at(deadline, waiting).await },
    )
    .map_err(|_| wasmtime::Error::new(HostTrap::Deadline))
}

/// A stream result in the WIT form: a failure becomes an `error` resource, a trap stays one.
fn lower<T>(
    store: &mut StoreContextMut<'_, HostState>,
    result: StreamResult<T>,
) -> wasmtime::Result<(Result<T, streams::StreamError>,)> {
    match result {
        Ok(value) => Ok((Ok(value),)),
        Err(error) => Ok((Err(store.data_mut().table().convert_stream_error(error)?),)),
    }
}

type Input = Resource<DynInputStream>;
type Output = Resource<DynOutputStream>;

/// Replace the waits of the WASI already in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut poll = linker.instance(POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: StoreContextMut<'_, HostState>, (list,): (Vec<Resource<DynPollable>>,)| {
            Ok((bounded(&mut store, |t| t.poll(list))??,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store: StoreContextMut<'_, HostState>, (pollable,): (Resource<DynPollable>,)| {
            bounded(&mut store, |t| t.block(pollable))?
        },
    )?;
    let mut streams = linker.instance(STREAMS)?;
    streams.func_wrap(
        "[method]input-stream.blocking-read",
        |mut store: StoreContextMut<'_, HostState>, (stream, len): (Input, u64)| {
            let result = bounded(&mut store, |t| t.blocking_read(stream, len))?;
            lower(&mut store, result)
        },
    )?;
    streams.func_wrap(
        "[method]input-stream.blocking-skip",
        |mut store: StoreContextMut<'_, HostState>, (stream, len): (Input, u64)| {
            let result = bounded(&mut store, |t| t.blocking_skip(stream, len))?;
            lower(&mut store, result)
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-and-flush",
        |mut store: StoreContextMut<'_, HostState>, (stream, bytes): (Output, Vec<u8>)| {
            let result = bounded(&mut store, |t| t.blocking_write_and_flush(stream, bytes))?;
            lower(&mut store, result)
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-zeroes-and-flush",
        |mut store: StoreContextMut<'_, HostState>, (stream, len): (Output, u64)| {
            let result = bounded(&mut store, |t| {
                t.blocking_write_zeroes_and_flush(stream, len)
            })?;
            lower(&mut store, result)
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-flush",
        |mut store: StoreContextMut<'_, HostState>, (stream,): (Output,)| {
            let result = bounded(&mut store, |t| t.blocking_flush(stream))?;
            lower(&mut store, result)
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-splice",
        |mut store: StoreContextMut<'_, HostState>, (dest, src, len): (Output, Input, u64)| {
            let result = bounded(&mut store, |t| t.blocking_splice(dest, src, len))?;
            lower(&mut store, result)
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
