//! The store suite on SQLite (a temp file per test), and what only SQLite has: reopening
//! the file.

// The suite's helpers are plain functions, not #[test]s: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

mod suite;

use std::ops::Deref;

use tempfile::TempDir;
use weft_model::TaskState;
use weft_store::{
    DEFAULT_TENANT, RETURN_VALUE, SqliteStore, Store, StoreError, Variable, WriteBatch,
};

/// A store in a fresh temp dir, kept as long as the store.
struct Fresh {
    store: SqliteStore,
    _dir: TempDir,
}

impl Deref for Fresh {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        &self.store
    }
}

async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("weft.db")).await.unwrap();
    Fresh { store, _dir: dir }
}

all_tests!(crate::fresh);
credentials_tests!(crate::fresh);

impl Fresh {
    /// The same store, shared.
    fn shared(&self) -> std::sync::Arc<dyn Store> {
        std::sync::Arc::new(self.store.clone())
    }
}

#[tokio::test]
async fn open_creates_the_file_and_its_directories() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/weft.db");
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(path.is_file());
    assert_eq!(store.path(), path);
    // Opening an existing store again applies no migration twice.
    store.close().await;
    SqliteStore::open(&path).await.unwrap();
}

#[tokio::test]
async fn the_file_and_its_logs_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("home/weft.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let var = Variable {
        key: "k".into(),
        value: "v".into(),
        description: String::new(),
        updated_at: suite::ts(0),
    };
    store.set_variable(DEFAULT_TENANT, var).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("home")), 0o700);
    assert_eq!(mode(&dir.path().join("home/weft.db-wal")), 0o600);
    assert_eq!(mode(&dir.path().join("home/weft.db-shm")), 0o600);
    store.close().await;
    // A store made readable by others (by an older version, say) is made private again.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    SqliteStore::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test]
async fn open_fails_cleanly_where_no_file_can_be() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let err = SqliteStore::open(blocker.join("weft.db"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("file"), "{err}");
    let not_sqlite = dir.path().join("garbage.db");
    std::fs::write(&not_sqlite, vec![b'x'; 8192]).unwrap();
    let err = SqliteStore::open(&not_sqlite).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Driver {
                retriable: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("database error: opening "),
        "{err}"
    );
    assert!(
        std::error::Error::source(&err).is_some(),
        "the driver's error is kept"
    );
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let (run, tis) = suite::run_of(&store, "etl", &["a", "b"]).await;
    let batch = WriteBatch {
        queue: tis.iter().map(suite::queue).collect(),
        ..WriteBatch::default()
    };
    store.write(batch).await.unwrap();
    let done = suite::finish(tis[0].id, 1, TaskState::Success);
    store
        .write(WriteBatch {
            finish: vec![done],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    let var = Variable {
        key: "k".into(),
        value: "v".into(),
        description: String::new(),
        updated_at: suite::ts(0),
    };
    store
        .set_variable(DEFAULT_TENANT, var.clone())
        .await
        .unwrap();
    let before = store.run(run.id).await.unwrap().unwrap();
    store.close().await;
    drop(store);

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.run(run.id).await.unwrap().unwrap(), before);
    assert_eq!(store.dags(DEFAULT_TENANT).await.unwrap().len(), 1);
    assert_eq!(
        store.variable(DEFAULT_TENANT, "k").await.unwrap(),
        Some(var)
    );
    assert!(
        store
            .xcom(run.id, "a", RETURN_VALUE)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.task_log(tis[0].id, 1).await.unwrap().is_some());
    assert_eq!(store.active_runs().await.unwrap().len(), 1);
    // Fencing carries on across the restart: a result under the old lease is rejected, the
    // current attempt's is accepted.
    let stale = suite::finish(tis[1].id, 0, TaskState::Success);
    let current = suite::finish(tis[1].id, 1, TaskState::Success);
    let outcome = store
        .write(WriteBatch {
            finish: vec![stale, current],
            ..WriteBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(outcome.finished, [false, true]);
    // New rows get new ids.
    let digest = store
        .dag(DEFAULT_TENANT, "etl")
        .await
        .unwrap()
        .unwrap()
        .digest;
    let (second, _) = store
        .create_run(suite::new_run(DEFAULT_TENANT, "etl", "r2", &digest, &["a"]))
        .await
        .unwrap();
    assert!(second.id > run.id);
}

#[tokio::test]
async fn bad_rows_are_database_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let (run, tis) = suite::run_of(&store, "etl", &["a"]).await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE task_instances SET state = 'exploded' WHERE id = $1")
        .bind(tis[0].id)
        .execute(&raw)
        .await
        .unwrap();
    suite::runs::check_bad_task_state(&store, run.id, tis[0].id).await;
    sqlx::query("UPDATE dag_runs SET run_type = 'cron', conf = 'not json' WHERE id = $1")
        .bind(run.id)
        .execute(&raw)
        .await
        .unwrap();
    suite::runs::check_bad_run(&store, run.id).await;
}

#[tokio::test]
async fn a_closed_store_refuses_reads_and_writes_at_once() {
    let Fresh { store, _dir } = fresh().await;
    let (run, tis) = suite::run_of(&store, "etl", &["a"]).await;
    // Every held connection has been used before the close.
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        reads.spawn(async move { store.run(run.id).await });
    }
    while let Some(read) = reads.join_next().await {
        assert!(read.unwrap().unwrap().is_some());
    }
    let closing = tokio::time::timeout(std::time::Duration::from_secs(5), store.close());
    closing.await.expect("close waits for no one");
    let read = store.run(run.id).await.unwrap_err();
    assert!(read.is_retriable(), "{read}");
    let write = store
        .write(WriteBatch {
            queue: vec![suite::queue(&tis[0])],
            ..WriteBatch::default()
        })
        .await
        .unwrap_err();
    assert!(write.is_retriable(), "{write}");
}

#[tokio::test]
async fn the_database_file_holds_no_plaintext_credential() {
    let fresh = fresh().await;
    let store = fresh.shared();
    let key = weft_vault::SecretKey::generate();
    let credentials =
        weft_store::Credentials::new(store.clone(), Some(weft_vault::Keyring::new(key, vec![])));
    credentials.check_keys(suite::ts(0)).await.unwrap();
    suite::credentials::store_both(&credentials).await;
    drop(credentials);
    drop(store);
    fresh.store.close().await;
    let mut host_seen = false;
    for entry in std::fs::read_dir(fresh._dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        host_seen |= bytes.windows(11).any(|w| w == b"db.internal");
        for needle in [
            suite::credentials::PASSWORD,
            suite::credentials::SECRET,
            suite::credentials::EXTRA_TOKEN,
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in the database files"
            );
        }
    }
    // The connection's other fields are there to be found: the scan does see the data.
    assert!(host_seen, "the scan did not see the stored rows");
}
