//! The gate every store's batches pass (feature `testing`): it holds back the batches a test
//! picks until the test lets them go, to see what goes on while a write is still under way,
//! and what follows when it fails. A test reaches it through
//! [`Store::held_writes`](crate::Store::held_writes).

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Notify, oneshot};

use crate::error::{StoreError, StoreResult};
use crate::write::WriteBatch;

/// Which batches a [`HeldWrites`] holds back.
type Pick = Box<dyn Fn(&WriteBatch) -> bool + Send + Sync>;

/// What becomes of the batches held when they are let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Written, as if never held.
    Write,
    /// Not written: the write fails as when the database cannot be reached.
    Fail,
}

/// Holds back the batches its pick chooses (none until [`hold`](HeldWrites::hold) gives one)
/// until [`release`](HeldWrites::release).
#[derive(Default)]
pub struct HeldWrites {
    pick: Mutex<Option<Pick>>,
    held: Mutex<Vec<oneshot::Sender<Release>>>,
    changed: Notify,
}

impl HeldWrites {
    /// From now on, hold back every batch `pick` chooses (none: hold nothing more).
    pub fn hold(&self, pick: Option<Pick>) {
        *self.pick.lock().unwrap_or_else(PoisonError::into_inner) = pick;
    }

    /// How many batches are held now.
    pub fn held(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Wait until at least `n` batches are held.
    pub async fn until_held(&self, n: usize) {
        loop {
            let changed = self.changed.notified();
            if self.held() >= n {
                return;
            }
            changed.await;
        }
    }

    /// Let every batch held go, written or failed as `how` says; how many there were.
    pub fn release(&self, how: Release) -> usize {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(PoisonError::into_inner));
        let count = held.len();
        for batch in held {
            // A writer that gave up waiting has nothing to be told.
            let _ = batch.send(how);
        }
        count
    }

    /// Whether the pick chooses `batch`.
    fn picks(&self, batch: &WriteBatch) -> bool {
        self.pick
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|pick| pick(batch))
    }

    /// Let `batch` through now, or once released when the pick chooses it: an error when it
    /// is let go as failed.
    pub(crate) async fn pass(&self, batch: &WriteBatch) -> StoreResult<()> {
        if self.picks(batch) {
            let (release, released) = oneshot::channel();
            self.held
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(release);
            self.changed.notify_waiters();
            match released.await {
                Ok(Release::Write) => {}
                Ok(Release::Fail) | Err(_) => {
                    return Err(StoreError::Unavailable(
                        "a held write was let go as failed".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for HeldWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldWrites")
            .field("held", &self.held())
            .finish_non_exhaustive()
    }
}
