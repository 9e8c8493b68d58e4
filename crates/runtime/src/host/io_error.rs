//! `wasi:io/error`'s `to-debug-string`, without the host's backtrace.
//!
//! wasmtime-wasi answers it with the error's `Debug` form, which carries the backtrace the
//! error captured in the host when the worker's process has `RUST_BACKTRACE` set: the
//! host's source paths and dependencies reach the task, and resolving the frames costs the
//! worker hundreds of MB each time. This replacement answers with the error's message and
//! its causes only.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};

use crate::sandbox::HostState;

/// The WASI interface whose function is replaced (the version wasmtime-wasi provides).
const IO_ERROR: &str = "wasi:io/error@0.2.12";

/// Replace `to-debug-string` of the WASI already in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut error = linker.instance(IO_ERROR)?;
    error.func_wrap(
        "[method]error.to-debug-string",
        |mut store: StoreContextMut<'_, HostState>, (error,): (Resource<wasmtime::Error>,)| {
            let error = store.data_mut().table().get(&error)?;
            Ok((message(error),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// An error and its causes, outermost first, as one line of text.
fn message(error: &wasmtime::Error) -> String {
    format!("{error:#}")
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn the_message_keeps_the_causes() {
        let error = wasmtime::Error::msg("disk full").context("writing /scratch/a");
        assert_eq!(message(&error), "writing /scratch/a: disk full");
    }
}
