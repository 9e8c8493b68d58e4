//! `wasi:clocks/monotonic-clock` subscriptions, bounded by the attempt's deadline.
//!
//! A guest that sleeps (`std::thread::sleep`, `time.sleep`) blocks inside the host's
//! `wasi:io/poll`, where epoch interruption cannot reach it. These replacements for
//! `subscribe-duration` and `subscribe-instant` never wait past the deadline: a wait that
//! would end after it ends the attempt as a timeout, at the deadline.

use std::time::{Duration, Instant};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

use crate::error::HostTrap;
use crate::sandbox::HostState;

/// The WASI clocks package these functions replace (the version wasmtime-wasi provides).
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// A sleep that ends at a fixed instant.
struct BoundedSleep(tokio::time::Instant);

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedSleep {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.0).await;
    }
}

/// A pollable ready after `wait`. A wait that reaches past the attempt's deadline cannot end
/// well (the sandbox grants nothing else that could wake the guest sooner), so it waits out
/// the time left and ends the attempt as a timeout.
fn bounded(
    mut store: StoreContextMut<'_, HostState>,
    wait: Duration,
) -> wasmtime::Result<(Resource<DynPollable>,)> {
    let state = store.data_mut();
    let now = Instant::now();
    match now.checked_add(wait) {
        Some(until) if until < state.deadline => {
            let table = state.table();
            let sleep = table.push(BoundedSleep(tokio::time::Instant::from_std(until)))?;
            Ok((subscribe(table, sleep)?,))
        }
        _ => {
            std::thread::sleep(state.deadline.saturating_duration_since(now));
            Err(wasmtime::Error::new(HostTrap::Deadline))
        }
    }
}

/// Replace the clock subscriptions of the WASI already in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |store: StoreContextMut<'_, HostState>, (nanos,): (u64,)| {
            bounded(store, Duration::from_nanos(nanos))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |store: StoreContextMut<'_, HostState>, (when,): (u64,)| {
            let now = store.data().monotonic_now();
            bounded(store, Duration::from_nanos(when.saturating_sub(now)))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
