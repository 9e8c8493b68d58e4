//! Checkpoints off the write path. In WAL mode SQLite copies the log's pages back into the
//! database file (a checkpoint) when a commit finds the log past 1,000 pages, in that commit,
//! and the commit waits for the copy and for the files' `fsync`s: every few hundred runs one
//! scheduler step took milliseconds instead of a tenth of one. A task of the store's own now
//! runs a passive checkpoint (one that waits for no reader or writer) on a connection of its
//! own every [`EVERY`], beside the writes, and the write connection checkpoints only past
//! [`BACKSTOP_PAGES`].
//!
//! Why a backstop: only a writer starts the log over, and only when its transaction begins
//! with every page of the log copied. Under a steady flow of commits one nearly always lands
//! while a checkpoint beside it runs, so the log would grow for as long as the flow lasts.
//! Past [`BACKSTOP_PAGES`] the writer's own commit copies what the last checkpoint left (a
//! second of writes at most) and the next write starts the log over.
//!
//! Durability: with `synchronous = NORMAL` a commit survives the process dying at once and a
//! power loss once a checkpoint has synced the log. Those syncs now come at least once a
//! second, where before they came with the 1,000th page.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::task::JoinHandle;

/// How often the log is copied into the database file: often enough that the log holds about
/// a second of writes, seldom enough that few writes meet a copy under way (it runs on a
/// thread of its own, but shares the cores and the disk; every 200 ms left a round trip's p99
/// at 2.5–3.2 ms where once a second leaves it at 1 ms).
pub(super) const EVERY: Duration = Duration::from_secs(1);

/// The log's length, in pages, past which the write connection's own commit checkpoints
/// (`wal_autocheckpoint`): about 64 MiB of 4 KiB pages, a few seconds of a busy
/// installation's writes, most of which the checkpoints beside it have copied by then.
pub(super) const BACKSTOP_PAGES: u32 = 16 * 1024;

/// The largest the log file is left when a write starts it over, in bytes
/// (`journal_size_limit`): a burst's longer log is cut back to this.
pub(super) const LOG_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

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

    /// Stop checkpointing and close the connection.
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
    // Said once as a warning, then at debug level until a checkpoint succeeds again.
    let mut failing = false;
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
                failing = false;
                tracing::trace!(log, copied, "SQLite checkpoint");
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) if failing => {
                tracing::debug!(error = %e, "SQLite checkpoint failed again");
            }
            Err(e) => {
                failing = true;
                tracing::warn!(error = %e, "SQLite checkpoint failed; the log grows until one succeeds (the write connection copies it past its backstop)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use super::super::SqliteStore;
    use super::LOG_SIZE_LIMIT;

    /// Pages SQLite's own automatic checkpoint lets the log hold, at its default page size.
    const AUTOCHECKPOINT_BYTES: u64 = 1000 * 4096;
    /// What [`write_pages`] writes: 3,000 rows of 4,000 random bytes, 12 MB.
    const WRITTEN_BYTES: u64 = 3000 * 4000;

    /// A table, then one commit of about 3,000 pages, through the store's write connection.
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

    /// A store in a directory of its own, checkpointing every `every`; the directory and the
    /// database file's path with it.
    async fn store_checkpointing(every: Duration) -> (tempfile::TempDir, PathBuf, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("weft.db");
        let store = SqliteStore::open_checkpointing(&db, every).await.unwrap();
        (dir, db, store)
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    fn log_of(db: &Path) -> PathBuf {
        db.with_extension("db-wal")
    }

    #[tokio::test]
    async fn a_commit_leaves_the_log_to_the_checkpoints() {
        // No checkpoint of the store's own comes during the test.
        let (_dir, db, store) = store_checkpointing(Duration::from_secs(3600)).await;
        let before = size(&db);
        write_pages(&store).await;
        // A commit that checkpointed (SQLite's automatic checkpoint at 1,000 pages) would
        // have copied the pages into the database file.
        assert!(
            size(&log_of(&db)) > WRITTEN_BYTES.max(AUTOCHECKPOINT_BYTES),
            "the log holds the whole commit: {} bytes",
            size(&log_of(&db))
        );
        assert_eq!(size(&db), before, "the database file is as it was");
    }

    #[tokio::test]
    async fn the_checkpoints_copy_the_log_into_the_database_file() {
        let (_dir, db, store) = store_checkpointing(Duration::from_millis(20)).await;
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

    #[tokio::test]
    async fn a_steady_flow_of_commits_keeps_the_log_bounded() {
        // No checkpoint of the store's own: the write connection's backstop alone.
        let (_dir, db, store) = store_checkpointing(Duration::from_secs(3600)).await;
        let mut conn = store.writer.get().await.unwrap();
        sqlx::raw_sql("CREATE TABLE scratch (b BLOB)")
            .execute(&mut *conn)
            .await
            .unwrap();
        // 30,000 commits of a page each: over 300 MB through the log.
        for _ in 0..30_000 {
            sqlx::raw_sql("INSERT INTO scratch SELECT randomblob(4000)")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        drop(conn);
        let bound = LOG_SIZE_LIMIT + 8 * 1024 * 1024;
        assert!(
            size(&log_of(&db)) <= bound,
            "the log is {} bytes, past {bound}",
            size(&log_of(&db))
        );
    }

    async fn write_more(store: &SqliteStore) {
        let mut conn = store.writer.get().await.unwrap();
        sqlx::raw_sql("INSERT INTO scratch VALUES (x'00')")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}
