//! How results are shown: log lines, failures, task outputs, and the `--output` format.

use std::io::Write as _;

use weft_protocol::StoredLine;
use weft_runtime::{TaskFailure, TaskLog};

/// Output format of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// One JSON document, for scripts.
    Json,
}

/// Print an attempt's log to stderr, each line prefixed with `indent`.
pub fn print_log(log: &TaskLog, indent: &str) {
    let mut err = std::io::stderr().lock();
    for line in &log.lines {
        let _ = writeln!(err, "{indent}{}", line.to_text());
    }
    if log.dropped_bytes > 0 {
        let dropped = StoredLine::Dropped {
            bytes: log.dropped_bytes,
        };
        let _ = writeln!(err, "{indent}{}", dropped.to_text());
    }
}

/// A failure in one line, class first, then its backtrace (if any) on the following lines.
pub fn failure_text(failure: &TaskFailure) -> String {
    let mut text = format!("[{}] {failure}", failure.class());
    if let TaskFailure::Trap { backtrace, .. } = failure
        && !backtrace.is_empty()
    {
        text.push('\n');
        text.push_str(backtrace.trim_end());
    }
    text
}

/// A task output for display: JSON when it parses as JSON, else text, else a byte count.
pub fn output_value(bytes: &[u8]) -> serde_json::Value {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return value;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::Value::String(text.to_owned()),
        Err(_) => serde_json::Value::String(format!("<{} bytes of binary output>", bytes.len())),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// Print a body of the API as pretty JSON on stdout, as the server sent it.
pub fn print_body<T: serde::Serialize>(body: &T) {
    match serde_json::to_value(body) {
        Ok(value) => print_json(&value),
        Err(e) => eprintln!("cannot print the answer as JSON: {e}"),
    }
}

/// Print a body of the API as JSON, or as text with `text`, as `format` says.
pub fn show_body<T: serde::Serialize>(format: Format, body: &T, text: impl FnOnce(&T)) {
    match format {
        Format::Json => print_body(body),
        Format::Text => text(body),
    }
}

/// A duration in milliseconds with three decimals.
pub fn ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
