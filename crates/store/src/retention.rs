//! Retention: removing what is old enough to go — ended runs with their task instances,
//! XCom values, logs and notifications, asset events nothing waits for — and the components
//! nothing needs any more ([`Store::clean`](crate::Store::clean)).

use jiff::Timestamp;

/// What to clean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clean {
    /// Runs that ended before this, and asset events made before it, go.
    pub before: Timestamp,
    /// Most runs (or events) removed in one transaction; each is short, so the scheduler's
    /// writes go on between them.
    pub batch: u32,
    /// Count only; remove nothing.
    pub dry_run: bool,
    /// Also remove DAG versions that are neither current nor used by a run left, and the
    /// components nothing refers to any more.
    pub components: bool,
}

/// What a clean removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Runs, with their XCom values and notifications.
    pub runs: u64,
    /// Their task instances, with their logs.
    pub task_instances: u64,
    /// Asset events.
    pub asset_events: u64,
    /// DAG versions no DAG or run uses.
    pub versions: u64,
    /// Components nothing refers to.
    pub components: u64,
    /// Transactions it took.
    pub batches: u64,
}

/// Runs removed per transaction unless asked otherwise.
pub const DEFAULT_BATCH: u32 = 1000;
