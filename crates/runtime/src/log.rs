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
    /// Secret values to replace with `***` in every line stored from now on.
    masked: Vec<String>,
    /// How many of the log's lines a [`LiveLog`] has taken.
    taken_live: usize,
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

    /// A stream for the guest's stdout (`stderr == false`) or stderr.
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

    /// `text` with every masked value replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.sink().redact(text).into_owned()
    }

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
        sink.redact(&String::from_utf8_lossy(&bytes)).into_owned()
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
            self.flush_partial(stderr);
        }
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
        if line.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&line);
        let (level, source) = if stderr {
            (LogLevel::Warn, LogSource::Stderr)
        } else {
            (LogLevel::Info, LogSource::Stdout)
        };
        self.push(level, source, text.trim_end_matches('\r'));
    }
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
