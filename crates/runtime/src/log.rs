//! The log of one attempt: lines from the `log` import and the guest's stdout and stderr,
//! kept within a byte budget. The log's types and stored form belong to `weft_protocol::log`.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
pub use weft_protocol::log::{LogLevel, LogLine, LogSource, TaskLog};

/// What a line costs besides its text (its offset, level, source and allocation).
const LINE_OVERHEAD: usize = 64;
/// Longest partial line buffered before it is written out as a line of its own.
const MAX_PARTIAL_LINE: usize = 16 << 10;
/// How much of the guest's stderr is kept aside, whatever the log limit, to explain a trap.
const STDERR_TAIL: usize = 4 << 10;
/// Shortest secret value masked in logs.
pub(crate) const MIN_MASKED_LEN: usize = 4;

/// A running attempt's log lines as they are written, for a caller that sends them on while
/// the attempt runs. Each whole line comes once, in order, already masked; a partial line
/// comes once it ends. The attempt's final log ([`TaskReport::log`](crate::TaskReport))
/// still holds every line.
#[derive(Debug, Clone, Default)]
pub struct LiveLog(Arc<Mutex<Option<LogBuffer>>>);

impl LiveLog {
    /// A live log, to hand to [`Runtime::run_task_live`](crate::Runtime::run_task_live).
    pub fn new() -> LiveLog {
        LiveLog::default()
    }

    /// Watch `buffer` from now on.
    pub(crate) fn attach(&self, buffer: &LogBuffer) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(buffer.clone());
    }

    /// The whole log as it stands, partial lines flushed: for an attempt whose thread died
    /// before it could report (none before the attempt starts).
    pub fn finish(&self) -> Option<TaskLog> {
        let buffer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        buffer.map(|b| b.finish())
    }

    /// The lines written since the last call (none before the attempt starts).
    pub fn take_new_lines(&self) -> Vec<LogLine> {
        let buffer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        buffer.map(|b| b.take_new_lines()).unwrap_or_default()
    }
}

/// The shared buffer an attempt's log is written into.
#[derive(Debug)]
struct Sink {
    started: Instant,
    limit: usize,
    used: usize,
    log: TaskLog,
    partial_stdout: Vec<u8>,
    partial_stderr: Vec<u8>,
    stderr_tail: VecDeque<u8>,
    /// Whether the start of what stderr wrote has left `stderr_tail`.
    stderr_cut: bool,
    /// Secret values to replace with `***` in every line stored from now on.
    masked: Vec<String>,
    /// How many of the log's lines a [`LiveLog`] has taken.
    taken_live: usize,
}

/// The SQL client and the egress proxy write their refusals and caps reached as the
/// task's own lines would be.
impl weft_protocol::log::LogSink for LogBuffer {
    fn write(&self, level: LogLevel, message: &str) {
        LogBuffer::write(self, level, message);
    }
}

/// A handle on an attempt's log, shared by the host's `log` import and the guest's stdio.
#[derive(Debug, Clone)]
pub(crate) struct LogBuffer(Arc<Mutex<Sink>>);

impl LogBuffer {
    /// An empty log that keeps at most `limit` bytes of text.
    pub(crate) fn new(limit: usize) -> LogBuffer {
        LogBuffer(Arc::new(Mutex::new(Sink {
            started: Instant::now(),
            limit,
            used: 0,
            log: TaskLog::default(),
            partial_stdout: Vec::new(),
            partial_stderr: Vec::new(),
            stderr_tail: VecDeque::new(),
            stderr_cut: false,
            masked: Vec::new(),
            taken_live: 0,
        })))
    }

    fn sink(&self) -> MutexGuard<'_, Sink> {
        // A poisoned lock only means a panic elsewhere mid-write; the log is still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Append a line from the `log` import.
    pub(crate) fn write(&self, level: LogLevel, message: &str) {
        self.sink().push(level, LogSource::Task, message);
    }

    /// Masks `value` as `***` in every line stored from now on (Airflow's secrets masker).
    /// Values shorter than [`MIN_MASKED_LEN`] are left alone: masking every `a` or `1` would
    /// destroy the log and hide nothing.
    pub(crate) fn mask(&self, value: &str) {
        if value.len() < MIN_MASKED_LEN {
            return;
        }
        let mut sink = self.sink();
        if !sink.masked.iter().any(|m| m == value) {
            sink.masked.push(value.to_owned());
            // Longest first, so that a value containing another is masked whole.
            sink.masked.sort_by_key(|m| std::cmp::Reverse(m.len()));
        }
    }

    /// Masks every string in `value` (a connection's `extra`, say) as [`mask`](Self::mask)
    /// does: whatever the host hands the task is kept out of its log.
    pub(crate) fn mask_strings(&self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.mask(s),
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.mask_strings(v)),
            serde_json::Value::Object(map) => map.values().for_each(|v| self.mask_strings(v)),
            serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            }
        }
    }

    /// `text` with every masked value replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.sink().redact(text).into_owned()
    }

    /// A stream for the guest's stdout (`stderr == false`) or stderr.
    pub(crate) fn stdio(&self, stderr: bool) -> GuestStdio {
        GuestStdio {
            buffer: self.clone(),
            stderr,
        }
    }

    /// The last few KB the guest wrote to stderr, kept even when the log was full.
    pub(crate) fn stderr_tail(&self) -> String {
        let sink = self.sink();
        let (a, b) = sink.stderr_tail.as_slices();
        let mut bytes = a.to_vec();
        bytes.extend_from_slice(b);
        if !sink.stderr_cut {
            return sink.redact(&String::from_utf8_lossy(&bytes)).into_owned();
        }
        // The window may begin inside a character, or inside a masked value: what it holds
        // of either is left out.
        let first = bytes
            .iter()
            .position(|b| b & 0xC0 != 0x80)
            .unwrap_or(bytes.len());
        let text = sink
            .redact(&String::from_utf8_lossy(&bytes[first..]))
            .into_owned();
        sink.without_masked_suffix(&text).to_owned()
    }

    /// The whole lines written since the last call, in order (masked, as stored).
    fn take_new_lines(&self) -> Vec<LogLine> {
        let mut sink = self.sink();
        let from = sink.taken_live.min(sink.log.lines.len());
        let lines = sink.log.lines[from..].to_vec();
        sink.taken_live = sink.log.lines.len();
        lines
    }

    /// Flush partial lines and take the log.
    pub(crate) fn finish(&self) -> TaskLog {
        let mut sink = self.sink();
        sink.flush_partial(false);
        sink.flush_partial(true);
        // A live log takes nothing more: what it would take is not in the final log.
        sink.taken_live = usize::MAX;
        std::mem::take(&mut sink.log)
    }
}

impl Sink {
    fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut text = std::borrow::Cow::Borrowed(text);
        for value in &self.masked {
            if text.contains(value.as_str()) {
                text = std::borrow::Cow::Owned(text.replace(value.as_str(), "***"));
            }
        }
        text
    }

    fn push(&mut self, level: LogLevel, source: LogSource, message: &str) {
        let message = self.redact(message).into_owned();
        let message = message.as_str();
        // Every line costs its bookkeeping too, so a flood of empty lines is bounded as well.
        let cost = message.len() + LINE_OVERHEAD;
        if self.used + cost > self.limit {
            self.log.dropped_bytes += cost as u64;
            return;
        }
        self.used += cost;
        self.log.lines.push(LogLine {
            offset: self.started.elapsed(),
            level,
            source,
            message: message.to_owned(),
        });
    }

    fn write_stdio(&mut self, stderr: bool, bytes: &[u8]) {
        if stderr {
            self.stderr_tail.extend(bytes.iter().copied());
            let excess = self.stderr_tail.len().saturating_sub(STDERR_TAIL);
            self.stderr_tail.drain(..excess);
            self.stderr_cut |= excess > 0;
        }
        // Once the log is full, stdio is only counted, never buffered.
        if self.used >= self.limit {
            self.log.dropped_bytes += bytes.len() as u64;
            return;
        }
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            self.partial(stderr).extend_from_slice(&rest[..pos]);
            self.flush_partial(stderr);
            rest = &rest[pos + 1..];
        }
        self.partial(stderr).extend_from_slice(rest);
        if self.partial(stderr).len() >= MAX_PARTIAL_LINE {
            self.flush_long_partial(stderr);
        }
    }

    /// Writes out a partial line that reached [`MAX_PARTIAL_LINE`], keeping back what the
    /// next write may complete: the end that could begin a masked value (so that a value
    /// written across the cut is masked whole) and the first bytes of a cut character.
    fn flush_long_partial(&mut self, stderr: bool) {
        let bytes = std::mem::take(self.partial(stderr));
        let whole = bytes.len() - incomplete_char_len(&bytes);
        let text = self
            .redact(&String::from_utf8_lossy(&bytes[..whole]))
            .into_owned();
        let cut = self.masked_prefix_start(&text);
        let mut kept = text.as_bytes()[cut..].to_vec();
        kept.extend_from_slice(&bytes[whole..]);
        self.push_stdio(stderr, &text[..cut]);
        *self.partial(stderr) = kept;
    }

    /// Where the end of `text` that could be the beginning of a masked value starts
    /// (`text.len()` when none could).
    fn masked_prefix_start(&self, text: &str) -> usize {
        let longest = self.masked.first().map_or(0, String::len);
        let from = text.len().saturating_sub(longest.saturating_sub(1));
        (from..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .find(|i| {
                let end = &text.as_bytes()[*i..];
                self.masked
                    .iter()
                    .any(|m| m.len() > end.len() && m.as_bytes().starts_with(end))
            })
            .unwrap_or(text.len())
    }

    /// `text` without its beginning when that could be the end of a masked value: for a
    /// window that was cut out of a longer text.
    fn without_masked_suffix<'a>(&self, text: &'a str) -> &'a str {
        let longest = self.masked.first().map_or(0, String::len);
        let to = longest.saturating_sub(1).min(text.len());
        (1..=to)
            .rev()
            .filter(|i| text.is_char_boundary(*i))
            .find(|i| {
                let start = &text.as_bytes()[..*i];
                self.masked
                    .iter()
                    .any(|m| m.len() > start.len() && m.as_bytes().ends_with(start))
            })
            .map_or(text, |i| &text[i..])
    }

    fn partial(&mut self, stderr: bool) -> &mut Vec<u8> {
        if stderr {
            &mut self.partial_stderr
        } else {
            &mut self.partial_stdout
        }
    }

    fn flush_partial(&mut self, stderr: bool) {
        let line = std::mem::take(self.partial(stderr));
        self.push_stdio(stderr, &String::from_utf8_lossy(&line));
    }

    /// Stores `text` (unless empty) as a line of the guest's stdout or stderr.
    fn push_stdio(&mut self, stderr: bool, text: &str) {
        if text.is_empty() {
            return;
        }
        let (level, source) = if stderr {
            (LogLevel::Warn, LogSource::Stderr)
        } else {
            (LogLevel::Info, LogSource::Stdout)
        };
        self.push(level, source, text.trim_end_matches('\r'));
    }
}

/// How many bytes at the end of `bytes` begin a UTF-8 character that they do not finish.
fn incomplete_char_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0xC0 != 0x80 {
            // The character's first byte: how long the character is.
            let len = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if len > back { back } else { 0 };
        }
    }
    0
}

/// The guest's stdout or stderr, written into the attempt's log. Never blocks and never
/// fails: past the log limit, bytes are counted and dropped.
#[derive(Debug, Clone)]
pub(crate) struct GuestStdio {
    buffer: LogBuffer,
    stderr: bool,
}

/// Largest write a guest is invited to make at once.
const WRITE_BUDGET: usize = 64 << 10;

impl IsTerminal for GuestStdio {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestStdio {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for GuestStdio {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.buffer.sink().write_stdio(self.stderr, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestStdio {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for GuestStdio {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.buffer.sink().write_stdio(self.stderr, buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_stdio_into_lines_and_keeps_partial_ones() {
        let log = LogBuffer::new(1 << 20);
        let mut out = log.stdio(false);
        OutputStream::write(&mut out, Bytes::from_static(b"one\ntw")).ok();
        OutputStream::write(&mut out, Bytes::from_static(b"o\nthree")).ok();
        log.write(LogLevel::Error, "direct");
        let taken = log.finish();
        let texts: Vec<_> = taken.lines.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(texts, ["one", "two", "direct", "three"]);
        assert_eq!(taken.lines[0].source, LogSource::Stdout);
        assert_eq!(taken.lines[2].level, LogLevel::Error);
        assert_eq!(taken.dropped_bytes, 0);
    }

    #[test]
    fn a_live_log_takes_each_whole_line_once_in_order() {
        let live = LiveLog::new();
        assert!(
            live.take_new_lines().is_empty(),
            "nothing before the attempt"
        );
        let log = LogBuffer::new(1 << 20);
        live.attach(&log);
        log.mask("hunter2");
        log.write(LogLevel::Info, "first");
        let mut out = log.stdio(false);
        OutputStream::write(
            &mut out,
            Bytes::from_static(
                b"second hunter2
thi",
            ),
        )
        .ok();
        let texts =
            |lines: Vec<LogLine>| -> Vec<String> { lines.into_iter().map(|l| l.message).collect() };
        assert_eq!(texts(live.take_new_lines()), ["first", "second ***"]);
        assert!(live.take_new_lines().is_empty(), "each line once");
        OutputStream::write(
            &mut out,
            Bytes::from_static(
                b"rd
",
            ),
        )
        .ok();
        assert_eq!(texts(live.take_new_lines()), ["third"]);
        let all = log.finish();
        assert_eq!(all.lines.len(), 3, "the final log keeps every line");
        assert!(live.take_new_lines().is_empty());
    }

    const SECRET: &str = "s3cr3t-token-value";

    /// Writes each of `writes` to the guest's stdout and returns the stored lines.
    fn stdout_lines(log: &LogBuffer, writes: &[&[u8]]) -> Vec<String> {
        let mut out = log.stdio(false);
        for bytes in writes {
            OutputStream::write(&mut out, Bytes::copy_from_slice(bytes)).ok();
        }
        log.finish().lines.into_iter().map(|l| l.message).collect()
    }

    #[test]
    fn a_secret_written_across_the_partial_line_cut_is_masked_whole() {
        let log = LogBuffer::new(1 << 20);
        log.mask(SECRET);
        let mut first = "a".repeat(MAX_PARTIAL_LINE - 5).into_bytes();
        first.extend_from_slice(&SECRET.as_bytes()[..5]);
        let rest = format!("{} end\n", &SECRET[5..]);
        let lines = stdout_lines(&log, &[&first, rest.as_bytes()]);
        assert_eq!(lines.len(), 2, "the long line is still cut");
        assert_eq!(lines[0], "a".repeat(MAX_PARTIAL_LINE - 5));
        assert_eq!(lines[1], "*** end");
        assert!(!lines.concat().contains(&SECRET[..5]));
    }

    #[test]
    fn the_cut_keeps_back_only_what_could_begin_a_masked_value() {
        let log = LogBuffer::new(1 << 20);
        log.mask(SECRET);
        // A whole secret before the cut is masked where it is; the end `s3c` is kept back,
        // and stored as it is once the next write shows it was no secret.
        let head = format!("{SECRET} and ");
        let pad = "b".repeat(MAX_PARTIAL_LINE - head.len() - 3);
        let first = format!("{head}{pad}s3c");
        let lines = stdout_lines(&log, &[first.as_bytes(), b"ret\n"]);
        assert_eq!(lines, [format!("*** and {pad}"), "s3cret".to_owned()]);
    }

    #[test]
    fn a_character_written_across_the_cut_stays_whole() {
        let log = LogBuffer::new(1 << 20);
        let mut first = "a".repeat(MAX_PARTIAL_LINE - 1).into_bytes();
        first.push("é".as_bytes()[0]);
        let second = [&"é".as_bytes()[1..], b"\n"].concat();
        let lines = stdout_lines(&log, &[&first, &second]);
        assert_eq!(lines, ["a".repeat(MAX_PARTIAL_LINE - 1), "é".to_owned()]);
    }

    #[test]
    fn incomplete_characters_are_measured_at_the_end_only() {
        assert_eq!(incomplete_char_len(b"ab"), 0);
        assert_eq!(incomplete_char_len("aé".as_bytes()), 0);
        assert_eq!(incomplete_char_len(&"é".as_bytes()[..1]), 1);
        assert_eq!(incomplete_char_len(&"€".as_bytes()[..2]), 2);
        assert_eq!(incomplete_char_len(&"😀".as_bytes()[..3]), 3);
        assert_eq!(incomplete_char_len("😀".as_bytes()), 0);
        assert_eq!(incomplete_char_len(b""), 0);
    }

    #[test]
    fn the_stderr_tail_leaves_out_a_secret_it_begins_inside() {
        let log = LogBuffer::new(1 << 20);
        log.mask(SECRET);
        let mut err = log.stdio(true);
        let rest = "c".repeat(STDERR_TAIL - 6);
        let text = format!("{SECRET}{rest}");
        OutputStream::write(&mut err, Bytes::from(text.into_bytes())).ok();
        assert_eq!(log.stderr_tail(), rest);
    }

    #[test]
    fn every_string_of_a_json_value_is_masked() {
        let log = LogBuffer::new(1 << 20);
        log.mask_strings(&serde_json::json!({
            "key": "extra-api-key",
            "nested": {"list": ["deep-value", 12345, true]},
            "short": "abc"
        }));
        log.write(LogLevel::Info, "extra-api-key deep-value 12345 abc key");
        let lines = log.finish().lines;
        assert_eq!(lines[0].message, "*** *** 12345 abc key");
    }

    #[test]
    fn drops_past_the_limit_and_counts_what_it_dropped() {
        let log = LogBuffer::new(5 + LINE_OVERHEAD);
        log.write(LogLevel::Info, "12345");
        log.write(LogLevel::Info, "67890");
        let mut err = log.stdio(true);
        OutputStream::write(&mut err, Bytes::from_static(b"panicked at boom\n")).ok();
        let taken = log.finish();
        assert_eq!(taken.lines.len(), 1);
        // The second line is dropped whole; stdio past a full log is counted raw.
        assert_eq!(taken.dropped_bytes, (5 + LINE_OVERHEAD as u64) + 17);
        assert!(log.stderr_tail().contains("panicked at boom"));
    }
}
