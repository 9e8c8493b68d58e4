//! `wasi:sockets/ip-name-lookup`, limited to the names a task's `tcp://` rules name.
//!
//! wasmtime-wasi resolves any name once lookups are granted, and a DNS query is itself a
//! channel out (the name carries the data to whoever serves its zone) and a probe of which
//! internal names exist. This replacement of `resolve-addresses` refuses every other name
//! with `access-denied` before any resolver is asked, writes `dns denied: ...` in the
//! attempt's log, and hands the names it allows to wasmtime-wasi's own lookup.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::bindings::sockets::ip_name_lookup::Host as _;
use wasmtime_wasi::p2::bindings::sockets::network::{ErrorCode, Network};
use wasmtime_wasi::sockets::WasiSocketsView as _;

use crate::sandbox::HostState;

/// The WASI sockets interface this function replaces (the version wasmtime-wasi provides).
const IP_NAME_LOOKUP: &str = "wasi:sockets/ip-name-lookup@0.2.12";

/// Replace `resolve-addresses` of the WASI already in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut lookup = linker.instance(IP_NAME_LOOKUP)?;
    lookup.func_wrap(
        "resolve-addresses",
        |mut store: StoreContextMut<'_, HostState>,
         (network, name): (Resource<Network>, String)| {
            let state = store.data_mut();
            if let Err(why) = state.egress.may_resolve(&name) {
                state.egress.usage.deny_lookup(why);
                return Ok((Err(ErrorCode::AccessDenied),));
            }
            match state.sockets().resolve_addresses(network, name) {
                Ok(stream) => Ok((Ok(stream),)),
                Err(error) => Ok((Err(error.downcast()?),)),
            }
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
