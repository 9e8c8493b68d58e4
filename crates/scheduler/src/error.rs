//! Why a scheduler step failed, with the store's or the queue's own error kept as its source,
//! and whether the next step may get through.

use weft_queue::QueueError;
use weft_store::StoreError;

/// Why a scheduler step failed. Nothing is lost: the store is the truth, and the next step
/// (or a restart) carries on from it.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// Reading or writing the metadata store failed; nothing of the step's batch was written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue did not take the step's messages; the store says their attempts are queued,
    /// so the next step queues them again under a new lease.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A task message could not be encoded; nothing of the step's messages was put on the
    /// queue, and the next step queues them again.
    #[error(transparent)]
    Protocol(#[from] weft_protocol::ProtocolError),
    /// The store refused an attempt result memory had taken (the two disagreed): nothing of
    /// the step was written, and its runs are read again.
    #[error("the store refused an attempt result the scheduler took; its runs are read again")]
    OutOfStep,
    /// The task writing a batch left in flight ended without an answer (it panicked or was
    /// cancelled): whether the batch was written is unknown, so its runs are read again.
    #[error("the task writing a step's batch ended without an answer; its runs are read again")]
    WriteLost(#[source] tokio::task::JoinError),
    /// A step beside a batch in flight touched one of that batch's tenants: nothing of it
    /// was written, and its runs are read again once that batch lands.
    #[error(
        "a step beside a batch in flight touched that batch's tenants; its runs are read again"
    )]
    BesideFlight,
}

impl SchedulerError {
    /// Whether a later step may succeed where this one failed: the store or queue was
    /// unreachable or busy, or memory was out of step with the store (the runs involved are
    /// read again first thing next step). A permanent store or queue failure is not.
    pub fn is_retriable(&self) -> bool {
        match self {
            SchedulerError::Store(e) => e.is_retriable(),
            SchedulerError::Queue(e) => e.is_retriable(),
            SchedulerError::OutOfStep
            | SchedulerError::WriteLost(_)
            | SchedulerError::BesideFlight => true,
            SchedulerError::Protocol(_) => false,
        }
    }
}
