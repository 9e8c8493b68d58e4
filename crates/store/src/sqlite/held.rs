//! Connections the SQLite store keeps for its whole life instead of taking them from sqlx's
//! pool for each operation: the pool pings every connection handed back (a hand-off to the
//! connection's thread) and a waiting operation gets the connection only after that ping,
//! which cost more than the statements of a short transaction. The pool opens them (with
//! the store's options); they are then detached from it, so dropping one needs no runtime.
//!
//! A connection is checked before it is handed out when it is still in a transaction (an
//! operation given up half-way leaves its rollback queued on the connection's thread) or
//! has not been checked for [`CHECK_EVERY`]; one that fails the check is replaced. So is one
//! whose last script may have left the transaction it began open (see
//! [`HeldConnection::script_begins`]).

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use sqlx::{Connection as _, SqliteConnection, SqlitePool};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, Semaphore, SemaphorePermit};

/// How often a connection in use is checked (a ping on its thread) before it is handed out.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long an operation waits for a free connection before failing as unavailable.
const WAIT_AT_MOST: Duration = Duration::from_secs(30);

/// Up to `slots` connections opened by `pool`, each when first needed.
#[derive(Debug)]
pub(crate) struct Held {
    pool: SqlitePool,
    slots: Vec<Mutex<Slot>>,
    /// One permit per slot: an operation with a permit finds a free slot.
    free: Semaphore,
}

#[derive(Debug)]
struct Slot {
    conn: Option<Live>,
    checked: Instant,
}

/// An open connection.
#[derive(Debug)]
struct Live {
    conn: SqliteConnection,
    /// A script that begins a transaction of its own (which sqlx does not know of) was sent
    /// and has not been seen to end it.
    script_open: bool,
}

/// A held connection, for one operation.
pub(crate) struct HeldConnection<'a> {
    live: MappedMutexGuard<'a, Live>,
    _permit: SemaphorePermit<'a>,
}

impl HeldConnection<'_> {
    /// A script that begins a transaction of its own is about to be sent: until
    /// [`script_ended`](Self::script_ended), the connection counts as possibly inside it,
    /// and is replaced rather than handed out again (closing it rolls the transaction back).
    pub(crate) fn script_begins(&mut self) {
        self.live.script_open = true;
    }

    /// The script's transaction is over: committed, rolled back, or never begun.
    pub(crate) fn script_ended(&mut self) {
        self.live.script_open = false;
    }

    /// After a script that begins its own transaction failed: roll back what it left open.
    /// Once that worked, or no transaction was open, the script counts as ended; otherwise
    /// the connection is replaced before its next use.
    pub(crate) async fn roll_back_script(&mut self) {
        match sqlx::raw_sql("ROLLBACK").execute(&mut self.live.conn).await {
            Ok(_) => self.script_ended(),
            // The script failed before its transaction began.
            Err(e) if e.to_string().contains("no transaction is active") => self.script_ended(),
            Err(e) => tracing::warn!(
                error = %e,
                "rolling a failed SQLite script back failed; the connection will be replaced"
            ),
        }
    }
}

impl Held {
    pub(crate) fn new(pool: SqlitePool, slots: usize) -> Self {
        let slots = slots.max(1);
        Self {
            pool,
            slots: (0..slots)
                .map(|_| {
                    Mutex::new(Slot {
                        conn: None,
                        checked: Instant::now(),
                    })
                })
                .collect(),
            free: Semaphore::new(slots),
        }
    }

    /// A free connection; operations wait their turn in order when all are busy.
    pub(crate) async fn get(&self) -> Result<HeldConnection<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(WAIT_AT_MOST, self.free.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        // With a permit, some slot is free (every holder of a slot holds a permit).
        let mut slot = self
            .slots
            .iter()
            .find_map(|slot| slot.try_lock().ok())
            .ok_or(sqlx::Error::PoolTimedOut)?;
        self.check(&mut slot).await;
        if slot.conn.is_none() {
            slot.conn = Some(Live {
                conn: self.pool.acquire().await?.detach(),
                script_open: false,
            });
            slot.checked = Instant::now();
        }
        let live = MutexGuard::try_map(slot, |slot| slot.conn.as_mut())
            .map_err(|_| sqlx::Error::PoolClosed)?;
        Ok(HeldConnection {
            live,
            _permit: permit,
        })
    }

    /// Replace the slot's connection if it is still in a transaction after its queued
    /// commands ran, or its thread does not answer.
    async fn check(&self, slot: &mut Slot) {
        let Some(live) = slot.conn.as_mut() else {
            return;
        };
        if live.script_open {
            tracing::warn!(
                "a SQLite script was given up inside its transaction; opening another connection"
            );
            slot.conn = None;
            return;
        }
        let conn = &mut live.conn;
        if !conn.is_in_transaction() && slot.checked.elapsed() < CHECK_EVERY {
            return;
        }
        match conn.ping().await {
            Ok(()) if !conn.is_in_transaction() => slot.checked = Instant::now(),
            outcome => {
                tracing::warn!(
                    ping = ?outcome.err(),
                    "a SQLite connection was left unusable; opening another"
                );
                slot.conn = None;
            }
        }
    }

    /// Close every connection and the pool; later operations fail as the pool is closed.
    pub(crate) async fn close(&self) {
        // Closed at once (no connection is opened after this), then the held ones.
        self.free.close();
        let closed = self.pool.close();
        for slot in &self.slots {
            if let Some(live) = slot.lock().await.conn.take() {
                let _ = live.conn.close().await;
            }
        }
        closed.await;
    }
}

impl Deref for HeldConnection<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.live.conn
    }
}

impl DerefMut for HeldConnection<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.live.conn
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use std::sync::Arc;

    use super::*;

    async fn held(dir: &tempfile::TempDir, slots: usize) -> Held {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("held.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_millis(200));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::raw_sql("CREATE TABLE t (v INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        Held::new(pool, slots)
    }

    #[tokio::test]
    async fn a_connection_left_in_a_transaction_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let held = held(&dir, 1).await;
        {
            let mut conn = held.get().await.unwrap();
            let tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
            // Lost without its rollback: the connection stays in the transaction, holding
            // the write lock.
            std::mem::forget(tx);
            assert!(conn.is_in_transaction());
        }
        let mut conn = held.get().await.unwrap();
        assert!(!conn.is_in_transaction());
        // The write lock went with the old connection.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("INSERT INTO t (v) VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_connection_a_script_left_in_its_own_transaction_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let held = held(&dir, 1).await;
        {
            let mut conn = held.get().await.unwrap();
            conn.script_begins();
            // The script's end (its COMMIT) never ran: sqlx does not know of the transaction.
            sqlx::raw_sql("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (1)")
                .execute(&mut *conn)
                .await
                .unwrap();
            assert!(!conn.is_in_transaction());
        }
        let mut conn = held.get().await.unwrap();
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(rows, 0, "the given-up script's insert was rolled back");
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn operations_wait_their_turn_for_the_connections() {
        let dir = tempfile::tempdir().unwrap();
        let held = Arc::new(held(&dir, 2).await);
        let first = held.get().await.unwrap();
        let second = held.get().await.unwrap();
        let third = tokio::spawn({
            let held = held.clone();
            async move {
                let mut conn = held.get().await.unwrap();
                sqlx::query_scalar::<_, i64>("SELECT 7")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!third.is_finished(), "both connections are taken");
        drop(second);
        assert_eq!(third.await.unwrap(), 7);
        drop(first);
        held.close().await;
        assert!(matches!(held.get().await, Err(sqlx::Error::PoolClosed)));
    }
}
