//! The host side of the world's imports, one module per interface.

pub(crate) mod clocks;
pub(crate) mod io_error;
pub(crate) mod name_lookup;
pub(crate) mod scratch;
pub(crate) mod waits;

use wasmtime::Engine;
use wasmtime::component::Linker;

use crate::sandbox::HostState;

// Weft's own interfaces: one module per file of `caps/`, and `link_capabilities`.
include!(concat!(env!("OUT_DIR"), "/capabilities.rs"));

/// The shared types of world `$v`: records and variants only, no functions.
macro_rules! types_host {
    ($v:ident) => {
        impl crate::bindings::$v::types::Host for HostState {}
    };
}
crate::bindings::worlds_from!(v0_1, types_host);

/// The linker of every world version: WASI without ambient authority, outgoing HTTP under
/// the egress policy, the deadline-bounded clocks and `wasi:io` waits, name lookups limited
/// to the task's `tcp://` hosts, error texts without host backtraces, and Weft's own
/// interfaces.
pub(crate) fn link(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    self::clocks::add_to_linker(&mut linker)?;
    self::scratch::add_to_linker(&mut linker)?;
    self::waits::add_to_linker(&mut linker)?;
    self::name_lookup::add_to_linker(&mut linker)?;
    self::io_error::add_to_linker(&mut linker)?;
    link_types(&mut linker)?;
    link_capabilities(&mut linker)?;
    Ok(linker)
}

/// Adds every world version's `types` (no functions, but a component imports it).
fn link_types(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_1, types);
    Ok(())
}
