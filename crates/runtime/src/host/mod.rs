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

use crate::sandbox::HostState;

impl crate::bindings::v0_1::types::Host for HostState {}
impl crate::bindings::v0_2::types::Host for HostState {}
impl crate::bindings::v0_3::types::Host for HostState {}
impl crate::bindings::v0_4::types::Host for HostState {}
impl crate::bindings::v0_5::types::Host for HostState {}
impl crate::bindings::v0_6::types::Host for HostState {}
