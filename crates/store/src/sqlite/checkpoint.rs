//! Checkpoints off the write path. In WAL mode SQLite copies the log's pages back into the
//! database file (a checkpoint) when a commit finds the log past 1,000 pages, in that commit,
//! and the commit waits for the copy and for the file's `fsync`: every few hundred runs one
//! scheduler step took milliseconds instead of a tenth of one. The store's write connection
//! therefore never checkpoints; a task of the store's own runs a passive checkpoint (one that
//! waits for no reader or writer) on a connection of its own every [`EVERY`], beside the
//! writes. A write never waits for it, and what it copies is durable already: a checkpoint only
//! moves committed pages from the log into the database file.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::task::JoinHandle;

/// How often the log is copied into the database file: often enough that the log holds about
/// a second of writes, seldom enough that few writes meet a copy under way (it runs on a
/// thread of its own, but shares the cores and the disk; every 200 ms left a round trip's p99
/// at 2.5–3.2 ms where once a second leaves it at 1 ms).
pub(super) const EVERY: Duration = Duration::from_secs(1);

/// The largest the log file is left after a checkpoint lets writes start it over, in bytes
/// (`journal_size_limit`): a burst's longer log is cut back to this.
pub(super) const LOG_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// The background checkpoints of one store; they stop when it is dropped or closed.
#[derive(Debug)]
pub(super) struct Checkpoints {
    task: JoinHandle<()>,
    pool: SqlitePool,
}

impl Checkpoints {
    /// Checkpoint through `pool` (one read-write connection to the database) every `every`.
    pub(super) fn start(pool: SqlitePool, every: Duration) -> Checkpoints {
        let task = tokio::spawn(run(pool.clone(), every));
        Checkpoints { task, pool }
    }

    /// Stop checkpointing and close the connection (the last connection to close copies
    /// what is left).
    pub(super) async fn stop(&self) {
        self.task.abort();
        self.pool.close().await;
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(pool: SqlitePool, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        // A passive checkpoint answers (busy, pages in the log, pages copied); it copies what
        // no reader still needs and leaves the rest for the next one.
        let done: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await;
        match done {
            Ok((_, log, copied)) => {
                tracing::trace!(log, copied, "SQLite checkpoint");
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::debug!(error = %e, "SQLite checkpoint failed; the next one copies its pages");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::super::SqliteStore;

    /// Pages SQLite's own automatic checkpoint lets the log hold, at its default page size.
    const AUTOCHECKPOINT_BYTES: u64 = 1000 * 4096;
    /// What [`write_pages`] writes: 3,000 rows of 4,000 random bytes, 12 MB.
    const WRITTEN_BYTES: u64 = 3000 * 4000;

    /// One commit of about 3,000 pages, through the store's write connection.
    async fn write_pages(store: &SqliteStore) {
        let mut conn = store.writer.get().await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE scratch (b BLOB); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
             INSERT INTO scratch SELECT randomblob(4000) FROM n",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    fn log_of(db: &Path) -> std::path::PathBuf {
        db.with_extension("db-wal")
    }

    #[tokio::test]
    async fn a_commit_leaves_the_log_to_the_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("weft.db");
        // No checkpoint of the store's own comes during the test.
        let store = SqliteStore::open_checkpointing(&db, Duration::from_secs(3600))
            .await
            .unwrap();
        let before = size(&db);
        write_pages(&store).await;
        // SQLite's automatic checkpoint would have copied the pages into the database file
        // in the commit, and started the log over.
        assert!(
            size(&log_of(&db)) > WRITTEN_BYTES.max(AUTOCHECKPOINT_BYTES),
            "the log holds the whole commit: {} bytes",
            size(&log_of(&db))
        );
        assert_eq!(size(&db), before, "the database file is as it was");
    }

    #[tokio::test]
    async fn the_checkpoints_copy_the_log_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("weft.db");
        let store = SqliteStore::open_checkpointing(&db, Duration::from_millis(20))
            .await
            .unwrap();
        write_pages(&store).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while size(&db) < WRITTEN_BYTES {
            assert!(
                Instant::now() < deadline,
                "no checkpoint copied the log in 30 s: the file holds {} bytes",
                size(&db)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Writes go on as before, and a read sees them.
        write_more(&store).await;
        let mut conn = store.reader.get().await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM scratch")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(rows, 3001);
        drop(conn);
        store.close().await;
    }

    async fn write_more(store: &SqliteStore) {
        let mut conn = store.writer.get().await.unwrap();
        sqlx::raw_sql("INSERT INTO scratch VALUES (x'00')")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}
