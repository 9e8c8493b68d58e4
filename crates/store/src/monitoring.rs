//! What the store tells about work in flight, for people watching it: how deep each queue
//! is, and what became of a piece of live log a worker sent.

use jiff::Timestamp;

/// The task instances of one queue that wait for a worker or run on one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// The queue.
    pub queue: String,
    /// Task instances queued: sent to the queue, not yet started by a worker.
    pub queued: u64,
    /// Task instances running.
    pub running: u64,
    /// When the longest-waiting queued task instance was queued.
    pub oldest_queued_at: Option<Timestamp>,
}

/// The task instances of one pool that hold or wait for its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUsage {
    /// The pool.
    pub pool: String,
    /// Slots taken: task instances queued or running in it.
    pub used: u64,
    /// Task instances ready to run that wait for a slot (scheduled).
    pub waiting: u64,
}

/// The end of a try's stored log, from a byte on ([`Store::task_log_tail`](crate::Store::task_log_tail)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The bytes from the one asked for on (none when the log is shorter).
    pub bytes: Vec<u8>,
    /// The whole log's length.
    pub size: u64,
    /// The attempt the log is from (none for logs stored before attempts were recorded).
    pub lease: Option<i64>,
    /// Whether it is the live log of a running attempt, not the final log its result brought.
    pub live: bool,
}

/// What became of lines a running attempt sent for its log
/// ([`Store::append_task_log`](crate::Store::append_task_log)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogAppend {
    /// They were added to the attempt's stored log.
    Appended,
    /// The attempt no longer holds its lease (it ended, or was taken over): nothing stored.
    Stale,
    /// The stored log would pass its limit: nothing stored. The attempt's final log, sent
    /// with its result, still replaces what is stored.
    Full,
}
