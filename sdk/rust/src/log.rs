//! Task logging: lines go to the host's `log.write`, stored with the attempt.
//!
//! Use the macros [`trace!`](crate::trace), [`debug!`](crate::debug), [`info!`](crate::info),
//! [`warn!`](crate::warn) and [`error!`](crate::error); they take `format!` arguments.
//! Outside a WebAssembly component (in host unit tests, say) lines go to standard error.

use crate::bindings::weft::dag::types::LogLevel;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Fine-grained tracing.
    Trace,
    /// Diagnostics for whoever debugs the task.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that the task got past.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    /// The level's name in upper case, as it is printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn to_wit(self) -> LogLevel {
        match self {
            Level::Trace => LogLevel::Trace,
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        }
    }
}

/// Append one line to the attempt's log. The macros call this; call it directly to choose the
/// level at run time.
pub fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::weft::dag::log::write(level.to_wit(), message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{} {message}", level.as_str());
}

/// Log a line at [`Level::Trace`], with `format!` arguments.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Trace, &::std::format!($($arg)+)) };
}

/// Log a line at [`Level::Debug`], with `format!` arguments.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Debug, &::std::format!($($arg)+)) };
}

/// Log a line at [`Level::Info`], with `format!` arguments.
///
/// ```
/// let run = "manual__1";
/// weft_sdk::info!("starting run {run}");
/// ```
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Info, &::std::format!($($arg)+)) };
}

/// Log a line at [`Level::Warn`], with `format!` arguments.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Warn, &::std::format!($($arg)+)) };
}

/// Log a line at [`Level::Error`], with `format!` arguments.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Error, &::std::format!($($arg)+)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_their_wit_counterparts_and_are_ordered() {
        assert!(matches!(Level::Trace.to_wit(), LogLevel::Trace));
        assert!(matches!(Level::Debug.to_wit(), LogLevel::Debug));
        assert!(matches!(Level::Info.to_wit(), LogLevel::Info));
        assert!(matches!(Level::Warn.to_wit(), LogLevel::Warn));
        assert!(matches!(Level::Error.to_wit(), LogLevel::Error));
        assert!(Level::Trace < Level::Error);
        assert_eq!(Level::Warn.as_str(), "WARN");
    }
}
