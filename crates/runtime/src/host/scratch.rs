//! The scratch quota: every byte a task writes into its directories counts against one
//! per-attempt budget ([`RuntimeConfig::scratch_max_bytes`](crate::RuntimeConfig)), so a
//! task cannot fill the worker's disk.
//!
//! wasmtime-wasi's `wasi:filesystem/types` writes straight through to the preopened host
//! directory. The functions that make a directory take more room are replaced here (the way
//! [`clocks`](super::clocks) replaces the sleeps): each charges the quota first and, past it,
//! fails with `insufficient-space` (`ENOSPC` in the guest) before anything is written. What
//! is charged is an upper bound of what the directory holds: every byte written (rewrites
//! too, never credited back), the growth a `set-size` asks for, and [`ENTRY_BYTES`] for each
//! file, directory or link made. Everything else is wasmtime-wasi's, unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::WasiFilesystemView as _;
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode as FsCode;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{
    Descriptor, DescriptorFlags, ErrorCode, Filesize, Host, HostDescriptor, OpenFlags, PathFlags,
};
use wasmtime_wasi::p2::{
    DynOutputStream, FsError, OutputStream, Pollable, StreamError, StreamResult,
};

use crate::sandbox::HostState;

/// The WASI filesystem interface whose functions are replaced (the version wasmtime-wasi
/// provides).
const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// What a new file, directory or link is charged: the inode and directory block it takes at
/// least, so that a flood of empty files is bounded too.
pub(crate) const ENTRY_BYTES: u64 = 4096;

/// The bytes an attempt may still put into its directories, shared by its open streams.
#[derive(Debug)]
pub(crate) struct ScratchQuota {
    limit: u64,
    used: AtomicU64,
}

impl ScratchQuota {
    /// A quota of `limit` bytes, none used.
    pub(crate) fn new(limit: u64) -> Arc<ScratchQuota> {
        Arc::new(ScratchQuota {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// Takes `bytes` from the quota, or nothing if they do not fit.
    pub(crate) fn charge(&self, bytes: u64) -> Result<(), QuotaExceeded> {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .map(|_| ())
            .map_err(|_| QuotaExceeded)
    }

    /// The bytes charged so far.
    #[cfg(test)]
    fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }
}

/// A write that the scratch quota has no room for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QuotaExceeded;

impl From<QuotaExceeded> for FsError {
    fn from(_: QuotaExceeded) -> FsError {
        FsCode::InsufficientSpace.into()
    }
}

/// A file's output stream whose writes are charged to the quota first.
struct Charged {
    inner: DynOutputStream,
    quota: Arc<ScratchQuota>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for Charged {
    async fn ready(&mut self) {
        self.inner.ready().await;
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for Charged {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if self.quota.charge(bytes.len() as u64).is_err() {
            // An `io::Error`, which `filesystem-error-code` turns into `insufficient-space`.
            let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
            return Err(StreamError::LastOperationFailed(wasmtime::Error::new(full)));
        }
        self.inner.write(bytes)
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.inner.check_write()
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await;
    }
}

/// The result a replaced function gives the guest: `FsError`s become error codes (or traps,
/// for the errors that are traps).
fn answer<T>(
    state: &mut HostState,
    result: Result<T, FsError>,
) -> wasmtime::Result<(Result<T, ErrorCode>,)> {
    match result {
        Ok(value) => Ok((Ok(value),)),
        Err(e) => Ok((Err(Host::convert_error_code(&mut state.filesystem(), e)?),)),
    }
}

/// Replaces `stream` in the table by one charged to the attempt's quota.
fn charged(
    state: &mut HostState,
    stream: Resource<DynOutputStream>,
) -> wasmtime::Result<Resource<DynOutputStream>> {
    let quota = state.scratch.clone();
    let table = state.table();
    let inner = table.delete(stream)?;
    let wrapped: DynOutputStream = Box::new(Charged { inner, quota });
    Ok(table.push(wrapped)?)
}

/// Replace the functions of the WASI filesystem already in `linker` that make a directory
/// take more room.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut types = linker.instance(FILESYSTEM_TYPES)?;
    types.func_wrap(
        "[method]descriptor.write",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, buf, offset): (Resource<Descriptor>, Vec<u8>, Filesize)| {
            let state = store.data_mut();
            let result = match state.scratch.charge(buf.len() as u64) {
                Ok(()) => HostDescriptor::write(&mut state.filesystem(), fd, buf, offset),
                Err(full) => Err(full.into()),
            };
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.set-size",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, size): (Resource<Descriptor>, Filesize)| {
            let state = store.data_mut();
            let now = HostDescriptor::stat(&mut state.filesystem(), Resource::new_borrow(fd.rep()));
            // A file made longer is charged what it grows by, holes too.
            let result = now.and_then(|now| {
                state_charge(&state.scratch, size.saturating_sub(now.size))?;
                HostDescriptor::set_size(&mut state.filesystem(), fd, size)
            });
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.write-via-stream",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, offset): (Resource<Descriptor>, Filesize)| {
            let state = store.data_mut();
            let result = HostDescriptor::write_via_stream(&mut state.filesystem(), fd, offset);
            let result = match result {
                Ok(stream) => Ok(charged(state, stream)?),
                Err(e) => Err(e),
            };
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.append-via-stream",
        |mut store: StoreContextMut<'_, HostState>, (fd,): (Resource<Descriptor>,)| {
            let state = store.data_mut();
            let result = HostDescriptor::append_via_stream(&mut state.filesystem(), fd);
            let result = match result {
                Ok(stream) => Ok(charged(state, stream)?),
                Err(e) => Err(e),
            };
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, path_flags, path, oflags, flags): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            let state = store.data_mut();
            // A file that may be made is charged whether or not it existed: an upper bound.
            let result = if oflags.contains(OpenFlags::CREATE) {
                state_charge(&state.scratch, ENTRY_BYTES)
            } else {
                Ok(())
            }
            .and_then(|()| {
                HostDescriptor::open_at(
                    &mut state.filesystem(),
                    fd,
                    path_flags,
                    path,
                    oflags,
                    flags,
                )
            });
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.create-directory-at",
        |mut store: StoreContextMut<'_, HostState>, (fd, path): (Resource<Descriptor>, String)| {
            let state = store.data_mut();
            let result = state_charge(&state.scratch, ENTRY_BYTES).and_then(|()| {
                HostDescriptor::create_directory_at(&mut state.filesystem(), fd, path)
            });
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.symlink-at",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, old_path, new_path): (Resource<Descriptor>, String, String)| {
            let state = store.data_mut();
            let result = state_charge(&state.scratch, ENTRY_BYTES).and_then(|()| {
                HostDescriptor::symlink_at(&mut state.filesystem(), fd, old_path, new_path)
            });
            answer(state, result)
        },
    )?;
    types.func_wrap(
        "[method]descriptor.link-at",
        |mut store: StoreContextMut<'_, HostState>,
         (fd, old_flags, old_path, new_fd, new_path): (
            Resource<Descriptor>,
            PathFlags,
            String,
            Resource<Descriptor>,
            String,
        )| {
            let state = store.data_mut();
            let result = state_charge(&state.scratch, ENTRY_BYTES).and_then(|()| {
                HostDescriptor::link_at(
                    &mut state.filesystem(),
                    fd,
                    old_flags,
                    old_path,
                    new_fd,
                    new_path,
                )
            });
            answer(state, result)
        },
    )?;
    Ok(())
}

/// Charges `bytes` to `quota`, as a filesystem error when they do not fit.
fn state_charge(quota: &ScratchQuota, bytes: u64) -> Result<(), FsError> {
    Ok(quota.charge(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_refuses_what_does_not_fit_and_takes_nothing_for_it() {
        let quota = ScratchQuota::new(10);
        assert!(quota.charge(6).is_ok());
        assert!(quota.charge(5).is_err());
        assert_eq!(quota.used(), 6);
        assert!(quota.charge(4).is_ok());
        assert!(quota.charge(1).is_err());
        assert!(quota.charge(u64::MAX).is_err());
        assert_eq!(quota.used(), 10);
    }

    #[test]
    fn a_stream_write_past_the_quota_fails_as_a_full_disk_and_writes_nothing() {
        let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 10);
        let mut stream = Charged {
            inner: Box::new(pipe.clone()),
            quota: ScratchQuota::new(10),
        };
        assert!(stream.write(Bytes::from_static(b"0123456")).is_ok());
        let Err(StreamError::LastOperationFailed(e)) = stream.write(Bytes::from_static(b"7890"))
        else {
            panic!("the write past the quota must fail")
        };
        // The error wasmtime-wasi's `filesystem-error-code` turns into `insufficient-space`.
        let io = e.downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(io.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(&pipe.contents()[..], b"0123456");
    }
}
