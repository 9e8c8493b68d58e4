//! The host side of the world's imports, one module per interface.

pub(crate) mod clocks;
mod log;
mod runtime;
mod variables;
mod xcom;

use crate::bindings::types;
use crate::sandbox::HostState;

impl types::Host for HostState {}
