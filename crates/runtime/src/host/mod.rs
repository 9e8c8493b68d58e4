//! The host side of the world's imports, one module per interface.

mod access;
mod assets;
pub(crate) mod clocks;
mod dag_runs;
pub(crate) mod io_error;
mod log;
pub(crate) mod name_lookup;
mod runtime;
pub(crate) mod scratch;
mod sql;
mod sql_earlier;
mod variables;
pub(crate) mod waits;
mod xcom;

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::{v0_1, v0_2, v0_3, v0_4, v0_5, v0_6};
use crate::sandbox::HostState;

impl crate::bindings::v0_1::types::Host for HostState {}
impl crate::bindings::v0_2::types::Host for HostState {}
impl crate::bindings::v0_3::types::Host for HostState {}
impl crate::bindings::v0_4::types::Host for HostState {}
impl crate::bindings::v0_5::types::Host for HostState {}
impl crate::bindings::v0_6::types::Host for HostState {}

/// Adds the interfaces of world `$v` (0.2.0 and later) to `$linker`: those every such world
/// has, and the named ones that later versions add.
macro_rules! link_world {
    ($linker:ident, $v:ident $(, $added:ident)*) => {{
        use $v::weft::dag::{
            connections, log, runtime, secrets, sql, types, variables, xcom $(, $added)*
        };
        types::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        log::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        xcom::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        variables::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        runtime::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        connections::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        secrets::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        sql::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;
        $($added::add_to_linker::<_, HasSelf<_>>(&mut $linker, |s| s)?;)*
    }};
}

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
    link_world!(linker, v0_6, dag_runs, assets);
    link_world!(linker, v0_5, dag_runs, assets);
    link_world!(linker, v0_4, dag_runs);
    link_world!(linker, v0_3, dag_runs);
    link_world!(linker, v0_2);
    v0_1::Dag::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    Ok(linker)
}
