//! One sandboxed call: a fresh Store, instantiation, the call, and the classification of
//! whatever went wrong.

use wasmtime::{Store, Trap, WasmBacktrace};

use crate::config::Limits;
use crate::error::{HostTrap, TaskFailure};
use crate::sandbox::{self, HostState};

/// What a call left behind besides its result.
pub(crate) struct CallEnd {
    pub(crate) state: HostState,
    pub(crate) fuel_used: Option<u64>,
}

/// Run `f` (which instantiates the component and calls it) in a fresh store holding `state`.
pub(crate) fn call<R>(
    engine: &wasmtime::Engine,
    epoch_tick: std::time::Duration,
    state: HostState,
    f: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
) -> (Result<R, TaskFailure>, CallEnd) {
    let limits = state.limits;
    let mut store = Store::new(engine, state);
    let result = match sandbox::arm(&mut store, &limits, epoch_tick) {
        Ok(()) => f(&mut store).map_err(|e| classify(&e, store.data(), &limits)),
        Err(failure) => Err(failure),
    };
    let fuel_used = limits
        .fuel
        .map(|budget| budget.saturating_sub(store.get_fuel().unwrap_or(0)));
    (
        result,
        CallEnd {
            state: store.into_data(),
            fuel_used,
        },
    )
}

/// The failure an error from wasmtime stands for.
pub(crate) fn classify(error: &wasmtime::Error, state: &HostState, limits: &Limits) -> TaskFailure {
    if let Some(host) = error.downcast_ref::<HostTrap>() {
        return match host {
            HostTrap::Deadline => TaskFailure::Timeout {
                limit: limits.timeout,
            },
            HostTrap::Internal(why) => TaskFailure::Internal(why.clone()),
            HostTrap::Misuse(why) => TaskFailure::Trap {
                message: why.clone(),
                backtrace: String::new(),
            },
        };
    }
    if error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return TaskFailure::Internal(
            "too many sandboxes at once: the instance pool is full".into(),
        );
    }
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return TaskFailure::Trap {
            message: format!(
                "the guest exited with status {} instead of returning",
                exit.0
            ),
            backtrace: String::new(),
        };
    }
    let trap = error.downcast_ref::<Trap>().copied();
    match trap {
        Some(Trap::OutOfFuel) => {
            return TaskFailure::CpuBudget {
                fuel: limits.fuel.unwrap_or(u64::MAX),
            };
        }
        Some(Trap::Interrupt) => {
            return TaskFailure::Timeout {
                limit: limits.timeout,
            };
        }
        _ => {}
    }
    if state.memory_exceeded {
        return TaskFailure::MemoryLimit {
            limit: limits.memory_bytes,
        };
    }
    let backtrace = error
        .downcast_ref::<WasmBacktrace>()
        .map(|bt| bt.to_string())
        .unwrap_or_default();
    let what = match trap {
        Some(trap) => trap.to_string(),
        // The root cause only: the backtrace is reported on its own.
        None => error.root_cause().to_string(),
    };
    let said = guest_last_words(&state.log.stderr_tail());
    let message = if said.is_empty() {
        what
    } else {
        format!("{said} ({what})")
    };
    TaskFailure::Trap { message, backtrace }
}

/// The guest's own explanation of a trap (a Rust panic message, a Python traceback), taken
/// from the end of its stderr without the runtime's hints.
fn guest_last_words(stderr_tail: &str) -> String {
    let kept: Vec<&str> = stderr_tail
        .lines()
        .filter(|line| !line.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    let text = kept.join("\n");
    let text = text.trim();
    // Keep the end, where the message is; cut on a character boundary.
    const MAX: usize = 2000;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut start = text.len() - MAX;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// An error and its causes, outermost first.
pub(crate) fn error_chain(error: &wasmtime::Error) -> String {
    error
        .chain()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::guest_last_words;

    #[test]
    fn keeps_the_panic_message_and_drops_the_hint() {
        let tail = "thread '<unnamed>' panicked at src/main.rs:3:5:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            guest_last_words(tail),
            "thread '<unnamed>' panicked at src/main.rs:3:5:\nboom"
        );
    }

    #[test]
    fn keeps_the_end_of_a_long_tail() {
        let tail = format!("{}END", "é".repeat(3000));
        let kept = guest_last_words(&tail);
        assert!(kept.ends_with("END"));
        assert!(kept.len() < 2100);
    }
}
