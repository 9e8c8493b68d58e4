//! The state behind one sandboxed call: a fresh WASI context with no ambient authority, the
//! attempt's log, limits and deadline.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use weft_model::Dag;

use crate::call::{TaskContext, TaskHost, WorkerInfo, XcomPush};
use crate::config::Limits;
use crate::error::{HostTrap, TaskFailure};
use crate::log::LogBuffer;

/// What a `run-task` call may see beyond WASI: absent during `describe`.
pub(crate) struct Attempt {
    pub(crate) context: TaskContext,
    pub(crate) worker: WorkerInfo,
    pub(crate) host: Arc<dyn TaskHost>,
    pub(crate) dag: Arc<Dag>,
    pub(crate) pushes: Vec<XcomPush>,
}

/// The data of one Store: everything the host knows about the call in progress.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) log: LogBuffer,
    pub(crate) limits: Limits,
    pub(crate) deadline: Instant,
    pub(crate) memory_exceeded: bool,
    pub(crate) attempt: Option<Attempt>,
}

/// A directory granted to the guest for the length of one call.
pub(crate) struct Grant<'a> {
    pub(crate) host_path: &'a Path,
    pub(crate) guest_path: &'a str,
    pub(crate) writable: bool,
}

impl HostState {
    /// A fresh state: empty environment and arguments, no stdin, stdout and stderr into the
    /// log, no network, and only the directories in `grants`.
    pub(crate) fn new(
        limits: Limits,
        attempt: Option<Attempt>,
        grants: &[Grant<'_>],
    ) -> Result<HostState, TaskFailure> {
        let log = LogBuffer::new(limits.log_bytes);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(log.stdio(false))
            .stderr(log.stdio(true))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        for grant in grants {
            let perms = if grant.writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            wasi.preopened_dir(grant.host_path, grant.guest_path, perms)
                .map_err(|e| {
                    TaskFailure::Internal(format!("granting directory {}: {e}", grant.guest_path))
                })?;
        }
        Ok(HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            log,
            limits,
            deadline: Instant::now() + limits.timeout,
            memory_exceeded: false,
            attempt,
        })
    }

    /// Fails a host call once the attempt's deadline has passed, so that a guest that keeps
    /// calling the host is bounded like one that computes.
    pub(crate) fn check_deadline(&self) -> wasmtime::Result<()> {
        if Instant::now() >= self.deadline {
            return Err(wasmtime::Error::new(HostTrap::Deadline));
        }
        Ok(())
    }

    /// The `run-task` state, or a trap naming the host call made outside a task.
    pub(crate) fn attempt(&mut self, call: &str) -> wasmtime::Result<&mut Attempt> {
        self.attempt.as_mut().ok_or_else(|| {
            wasmtime::Error::new(HostTrap::Internal(format!(
                "{call} is only available inside run-task"
            )))
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limits.memory_bytes {
            self.memory_exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any real program.
        Ok(desired <= 1_000_000)
    }
}

/// Applies the call's CPU budget and wall-clock deadline to a new store.
pub(crate) fn arm(
    store: &mut Store<HostState>,
    limits: &Limits,
    epoch_tick: std::time::Duration,
) -> Result<(), TaskFailure> {
    store.limiter(|state| state as &mut dyn ResourceLimiter);
    store
        .set_fuel(limits.fuel.unwrap_or(u64::MAX))
        .map_err(|e| TaskFailure::Internal(format!("setting fuel: {e}")))?;
    let tick_ns = epoch_tick.as_nanos().max(1);
    let ticks = limits.timeout.as_nanos().div_ceil(tick_ns);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
    store.epoch_deadline_trap();
    Ok(())
}
