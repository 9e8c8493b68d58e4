//! Connections the SQLite store keeps for its whole life instead of taking them from sqlx's
//! pool for each operation: the pool pings every connection handed back (a hand-off to the
//! connection's thread) and a waiting operation gets the connection only after that ping,
//! which cost more than the statements of a short transaction. Each connection sits behind
//! a fair mutex; the pool still opens them (with the store's options) and closes them.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// Up to `slots` connections of `pool`, each opened when first needed.
#[derive(Debug)]
pub(crate) struct Held {
    pool: SqlitePool,
    slots: Vec<Mutex<Option<PoolConnection<Sqlite>>>>,
    /// Where the next look for a free connection starts.
    next: AtomicUsize,
}

/// A held connection, for one operation.
pub(crate) struct HeldConnection<'a>(MappedMutexGuard<'a, PoolConnection<Sqlite>>);

impl Held {
    pub(crate) fn new(pool: SqlitePool, slots: usize) -> Self {
        Self {
            pool,
            slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free connection, or, when all are busy, the next in turn once it is free.
    pub(crate) async fn get(&self) -> Result<HeldConnection<'_>, sqlx::Error> {
        let count = self.slots.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % count;
        let free = (0..count).find_map(|i| self.slots[(first + i) % count].try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => self.slots[first].lock().await,
        };
        if slot.is_none() {
            *slot = Some(self.pool.acquire().await?);
        }
        MutexGuard::try_map(slot, Option::as_mut)
            .map(HeldConnection)
            .map_err(|_| sqlx::Error::PoolClosed)
    }

    /// Hand every connection back and close the pool; later operations fail as the pool is
    /// closed.
    pub(crate) async fn close(&self) {
        // Closed at once (no connection is opened after this), done once all are back.
        let closed = self.pool.close();
        for slot in &self.slots {
            slot.lock().await.take();
        }
        closed.await;
    }
}

impl Deref for HeldConnection<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.0
    }
}

impl DerefMut for HeldConnection<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0
    }
}
