//! The state behind one sandboxed call: a fresh WASI context with no ambient authority, the
//! attempt's log, limits and deadline.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};
use weft_model::Dag;

use crate::call::{TaskContext, TaskHost, WorkerInfo, XcomPush};
use crate::config::Limits;
use crate::egress::WasiEgress;
use crate::egress::secrets::SecretSource;
use crate::error::{HostTrap, TaskFailure};
use crate::log::LogBuffer;

/// What a `run-task` call may see beyond WASI: absent during `describe`.
pub(crate) struct Attempt {
    pub(crate) context: TaskContext,
    pub(crate) worker: WorkerInfo,
    pub(crate) host: Arc<dyn TaskHost>,
    pub(crate) dag: Arc<Dag>,
    /// The task's secrets, fetched on first use and masked in its log.
    pub(crate) secrets: SecretSource,
    pub(crate) pushes: Vec<XcomPush>,
    /// Bytes of all pushed values together.
    pub(crate) pushed_bytes: usize,
    /// How many `dag-runs.trigger` calls the attempt has made.
    pub(crate) trigger_calls: u32,
    /// Data attached to the events of the task's outlets, by asset.
    pub(crate) asset_extras: Vec<(String, serde_json::Value)>,
}

/// The guest's monotonic clock: nanoseconds since the sandbox was made.
#[derive(Clone, Copy)]
struct SandboxClock(Instant);

impl wasmtime_wasi::HostMonotonicClock for SandboxClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Longest wall-clock limit: beyond it a deadline could overflow the clock.
const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// When a call that starts now with `limits` must end.
pub(crate) fn deadline(limits: &Limits) -> Instant {
    Instant::now() + limits.timeout.min(MAX_TIMEOUT)
}

/// The data of one Store: everything the host knows about the call in progress.
pub(crate) struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    /// The egress policy of this call; `describe` gets one that allows nothing.
    pub(crate) egress: WasiEgress,
    table: ResourceTable,
    pub(crate) log: LogBuffer,
    pub(crate) limits: Limits,
    pub(crate) deadline: Instant,
    pub(crate) memory_exceeded: bool,
    /// Linear memory of all the guest's memories together, in bytes.
    memory_total: u64,
    clock: SandboxClock,
    pub(crate) attempt: Option<Attempt>,
    /// SQL pools and counters; absent during `describe`.
    pub(crate) sql: Option<SqlAttempt>,
    /// What the call may still write into its directories (nothing unless the caller says).
    pub(crate) scratch: Arc<crate::host::scratch::ScratchQuota>,
}

/// What the `sql` host calls of one attempt share.
#[derive(Clone)]
pub(crate) struct SqlAttempt {
    /// The runtime's pools.
    pub(crate) pools: Arc<weft_sql::Pools>,
    /// The attempt's counters.
    pub(crate) usage: Arc<weft_sql::SqlUsage>,
}

/// A directory granted to the guest for the length of one call.
pub(crate) struct Grant<'a> {
    pub(crate) host_path: &'a Path,
    pub(crate) guest_path: &'a str,
    pub(crate) writable: bool,
}

impl HostState {
    /// A fresh state: empty environment and arguments, no stdin, stdout and stderr into
    /// `log`, HTTP through `egress`, outgoing TCP connections (and name lookup) only when the
    /// task has `tcp://` rules and only where `egress` allows, no UDP, and only the
    /// directories in `grants`.
    pub(crate) fn new(
        limits: Limits,
        attempt: Option<Attempt>,
        grants: &[Grant<'_>],
        log: LogBuffer,
        egress: weft_egress::AttemptEgress,
    ) -> Result<HostState, TaskFailure> {
        // One deadline for the call: its host calls and its requests end at the same instant.
        let deadline = egress.deadline;
        let clock = SandboxClock(Instant::now());
        let tcp = egress.wants_tcp();
        let mut wasi = WasiCtxBuilder::new();
        wasi.monotonic_clock(clock)
            .stdout(log.stdio(false))
            .stderr(log.stdio(true))
            .allow_tcp(tcp)
            .allow_udp(false)
            .allow_ip_name_lookup(tcp);
        if tcp {
            wasi.socket_addr_check(crate::egress::socket_check(&egress));
        }
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
            http: WasiHttpCtx::new(),
            egress: WasiEgress(egress),
            table: ResourceTable::new(),
            log,
            limits,
            deadline,
            memory_exceeded: false,
            memory_total: 0,
            clock,
            attempt,
            sql: None,
            scratch: crate::host::scratch::ScratchQuota::new(0),
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
            wasmtime::Error::new(HostTrap::Misuse(format!(
                "{call} is only available inside run-task, not in describe"
            )))
        })
    }

    /// The guest's monotonic clock now, in nanoseconds.
    pub(crate) fn monotonic_now(&self) -> u64 {
        wasmtime_wasi::HostMonotonicClock::now(&self.clock)
    }

    /// The resource table, for host functions defined outside the generated bindings.
    pub(crate) fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
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

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The limit holds for all of a component's memories together, not each one.
        let total = self.memory_total + (desired as u64).saturating_sub(current as u64);
        if total > self.limits.memory_bytes {
            self.memory_exceeded = true;
            return Ok(false);
        }
        self.memory_total = total;
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

    // The pool's caps, for a store of any engine.
    fn instances(&self) -> usize {
        crate::engine::MAX_CORE_INSTANCES_PER_COMPONENT as usize
    }

    fn memories(&self) -> usize {
        crate::engine::MAX_MEMORIES_PER_COMPONENT as usize
    }

    fn tables(&self) -> usize {
        crate::engine::MAX_TABLES_PER_COMPONENT as usize
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
    let ticks = limits.timeout.min(MAX_TIMEOUT).as_nanos().div_ceil(tick_ns);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
    store.epoch_deadline_trap();
    Ok(())
}
