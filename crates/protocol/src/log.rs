//! An attempt's log, and the one place its stored form is written and read.
//!
//! The worker sends a log with the attempt's result as JSON lines: one [`LogLine`] per line,
//! then, if the log reached its limit, a last line `{"dropped_bytes":N}`. The store keeps
//! those bytes as they are; the API server, `wfctl` and anything else read them back with
//! [`parse`], and show a line to people with [`StoredLine::to_text`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Finest detail.
    Trace,
    /// Detail for debugging.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected that the task survived.
    Warn,
    /// A failure.
    Error,
}

/// Where a part of the host acting for a task (its SQL client, its egress proxy) writes
/// lines into the attempt's log: the runtime's log buffer, which masks secrets and keeps
/// the log within its limit.
pub trait LogSink: Send + Sync {
    /// Appends a line at `level`.
    fn write(&self, level: LogLevel, message: &str);
}

impl LogLevel {
    /// The level's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    /// The `log` import of the WIT world.
    Task,
    /// The guest's standard output.
    Stdout,
    /// The guest's standard error.
    Stderr,
}

/// One line of an attempt's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogLine {
    /// Time since the attempt started: `{"secs": S, "nanos": N}`, N below 1000000000.
    #[serde(deserialize_with = "offset")]
    #[cfg_attr(feature = "openapi", schema(value_type = Offset))]
    pub offset: Duration,
    /// Severity: `info` for stdout, `warn` for stderr.
    pub level: LogLevel,
    /// Where the line came from.
    pub source: LogSource,
    /// The text, without its line ending.
    pub message: String,
}

/// A line's offset as JSON writes it.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
struct Offset {
    /// Whole seconds.
    #[serde(deserialize_with = "weft_model::integral::required")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    secs: u64,
    /// Nanoseconds past them.
    #[serde(deserialize_with = "weft_model::integral::required")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 999_999_999))]
    nanos: u32,
}

/// A line's offset: an object with `secs` and `nanos` (integers, which may be written as
/// floats with no fraction), `nanos` below one second.
fn offset<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    use serde::de::Error as _;
    // Read as a map first: a struct would also be read from an array of its fields.
    let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
    let Offset { secs, nanos } = Offset::deserialize(serde_json::Value::Object(map))
        .map_err(|e| D::Error::custom(format!("offset: {e}")))?;
    if nanos >= 1_000_000_000 {
        return Err(D::Error::custom(format!(
            "offset `nanos` {nanos} is not below 1000000000"
        )));
    }
    Ok(Duration::new(secs, nanos))
}

impl LogLine {
    /// The line for people: `[+   12.345ms] INFO  stdout text`.
    pub fn to_text(&self) -> String {
        let source = match self.source {
            LogSource::Task => "",
            LogSource::Stdout => " stdout",
            LogSource::Stderr => " stderr",
        };
        format!(
            "[+{:>9.3}ms] {:<5}{source} {}",
            self.offset.as_secs_f64() * 1000.0,
            self.level.as_str().to_uppercase(),
            self.message
        )
    }
}

/// The log of one attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLog {
    /// The lines kept, in order.
    pub lines: Vec<LogLine>,
    /// Bytes dropped because the log reached its limit; 0 when nothing was dropped.
    pub dropped_bytes: u64,
}

/// The last line of a stored log that reached its limit.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DroppedNote {
    dropped_bytes: u64,
}

impl TaskLog {
    /// The log in its stored form: JSON lines, with a last line saying how much was dropped,
    /// if anything was.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for line in &self.lines {
            // A line is strings, numbers and enums: writing it as JSON cannot fail.
            if serde_json::to_writer(&mut out, line).is_ok() {
                out.push(b'\n');
            }
        }
        if self.dropped_bytes > 0 {
            let note = DroppedNote {
                dropped_bytes: self.dropped_bytes,
            };
            if serde_json::to_writer(&mut out, &note).is_ok() {
                out.push(b'\n');
            }
        }
        out
    }
}

/// One line of a stored log, as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredLine {
    /// A log line.
    Line(LogLine),
    /// The note that the log reached its limit.
    Dropped {
        /// How many bytes were dropped.
        bytes: u64,
    },
    /// Anything else: JSON as it is, other text as a JSON string. Kept rather than dropped,
    /// so that nothing a log holds is hidden.
    Other(serde_json::Value),
}

/// The lines of a stored log (blank lines skipped).
pub fn parse(stored: &[u8]) -> Vec<StoredLine> {
    stored
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(
            |line| match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(value) => StoredLine::from_value(value),
                Err(_) => StoredLine::Other(serde_json::Value::String(
                    String::from_utf8_lossy(line).into_owned(),
                )),
            },
        )
        .collect()
}

impl StoredLine {
    /// A line from its JSON value, as the API shows it.
    pub fn from_value(value: serde_json::Value) -> StoredLine {
        if let Ok(line) = LogLine::deserialize(&value) {
            return StoredLine::Line(line);
        }
        match DroppedNote::deserialize(&value) {
            Ok(note) => StoredLine::Dropped {
                bytes: note.dropped_bytes,
            },
            Err(_) => StoredLine::Other(value),
        }
    }

    /// The line as a JSON value, as the API shows it.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            StoredLine::Line(line) => serde_json::to_value(line).unwrap_or(serde_json::Value::Null),
            StoredLine::Dropped { bytes } => serde_json::json!({ "dropped_bytes": bytes }),
            StoredLine::Other(value) => value.clone(),
        }
    }

    /// The line for people.
    pub fn to_text(&self) -> String {
        match self {
            StoredLine::Line(line) => line.to_text(),
            StoredLine::Dropped { bytes } => format!("[log limit reached: {bytes} bytes dropped]"),
            StoredLine::Other(serde_json::Value::String(text)) => text.clone(),
            StoredLine::Other(value) => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(ms: u64, level: LogLevel, source: LogSource, message: &str) -> LogLine {
        LogLine {
            offset: Duration::from_micros(ms * 1000 + 500),
            level,
            source,
            message: message.into(),
        }
    }

    #[test]
    fn a_log_comes_back_as_it_was_stored() {
        let log = TaskLog {
            lines: vec![
                line(1, LogLevel::Info, LogSource::Task, "hello"),
                line(2, LogLevel::Warn, LogSource::Stderr, "careful"),
            ],
            dropped_bytes: 42,
        };
        let stored = log.encode();
        assert_eq!(stored.iter().filter(|&&b| b == b'\n').count(), 3);
        assert_eq!(
            parse(&stored),
            vec![
                StoredLine::Line(log.lines[0].clone()),
                StoredLine::Line(log.lines[1].clone()),
                StoredLine::Dropped { bytes: 42 },
            ]
        );
        assert!(TaskLog::default().encode().is_empty());
    }

    #[test]
    fn lines_read_for_people() {
        let stored = line(1, LogLevel::Warn, LogSource::Stderr, "careful");
        assert_eq!(stored.to_text(), "[+    1.500ms] WARN  stderr careful");
        let task = line(0, LogLevel::Info, LogSource::Task, "hi");
        assert_eq!(task.to_text(), "[+    0.500ms] INFO  hi");
        assert_eq!(
            StoredLine::Dropped { bytes: 9 }.to_text(),
            "[log limit reached: 9 bytes dropped]"
        );
    }

    #[test]
    fn whatever_else_a_log_holds_is_kept() {
        let parsed = parse(b"not json\n\n  \n{\"odd\":1}\n");
        assert_eq!(
            parsed,
            vec![
                StoredLine::Other(json!("not json")),
                StoredLine::Other(json!({"odd": 1})),
            ]
        );
        assert_eq!(parsed[0].to_text(), "not json");
        assert_eq!(parsed[1].to_text(), r#"{"odd":1}"#);
        assert_eq!(parsed[1].to_value(), json!({"odd": 1}));
    }
}
