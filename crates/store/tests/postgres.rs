//! The store suite on PostgreSQL (a fresh database per test on a real server from
//! weft-testkit), and what only PostgreSQL has: URLs and connections.

// The suite's helpers are plain functions, not #[test]s: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

mod suite;

use std::ops::Deref;

use weft_store::{PostgresStore, Store, StoreError};

/// A store on a fresh database.
struct Fresh {
    store: PostgresStore,
}

impl Deref for Fresh {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        &self.store
    }
}

async fn fresh_url() -> String {
    tokio::task::spawn_blocking(|| weft_testkit::postgres().fresh_database())
        .await
        .unwrap()
}

async fn fresh() -> Fresh {
    Fresh {
        store: PostgresStore::connect(&fresh_url().await).await.unwrap(),
    }
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
async fn connecting_twice_migrates_once() {
    let url = fresh_url().await;
    let first = PostgresStore::connect(&url).await.unwrap();
    let digest = suite::deployed(&first, weft_store::DEFAULT_TENANT, "etl", &["a"]).await;
    let second = PostgresStore::connect_with(&url, 2).await.unwrap();
    assert_eq!(
        second
            .dag(weft_store::DEFAULT_TENANT, "etl")
            .await
            .unwrap()
            .unwrap()
            .digest,
        digest
    );
}

#[tokio::test]
async fn bad_urls_and_dead_servers_are_reported() {
    let err = PostgresStore::connect("mysql://nope").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // Nothing listens on a port we just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = PostgresStore::connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .await
        .unwrap_err();
    assert!(
        err.is_retriable(),
        "an unreachable server is worth retrying: {err}"
    );
}

#[tokio::test]
async fn bad_rows_are_database_errors() {
    let url = fresh_url().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    let (run, tis) = suite::run_of(&store, "etl", &["a"]).await;
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
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
async fn components_are_stored_compressed_with_lz4() {
    let url = fresh_url().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    // A component large enough to be compressed, and compressible.
    let label = "weft component ".repeat(4096);
    let (bytes, digest) = suite::component(&label);
    let mut deploy = suite::deploy_of(
        weft_store::DEFAULT_TENANT,
        "big",
        &["a"],
        "v1",
        suite::ts(0),
    );
    (deploy.bytes, deploy.digest) = (bytes.clone(), digest);
    store.deploy(deploy).await.unwrap();
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    let (method, stored): (Option<String>, i32) = sqlx::query_as(
        "SELECT pg_column_compression(bytes), pg_column_size(bytes) FROM component_bytes",
    )
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(method.as_deref(), Some("lz4"));
    assert!(
        (stored as usize) < bytes.len() / 4,
        "{stored} of {}",
        bytes.len()
    );
}

/// `pg_dump` on PATH, or from PostgreSQL's versioned directories.
fn pg_dump() -> std::path::PathBuf {
    let mut candidates = vec![std::path::PathBuf::from("pg_dump")];
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        candidates.extend(dirs.flatten().map(|d| d.path().join("bin/pg_dump")));
    }
    candidates
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("pg_dump is needed for this test")
}

#[tokio::test]
async fn a_dump_of_the_database_holds_no_plaintext_credential() {
    let url = fresh_url().await;
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(PostgresStore::connect(&url).await.unwrap());
    let key = weft_vault::SecretKey::generate();
    let credentials =
        weft_store::Credentials::new(store.clone(), Some(weft_vault::Keyring::new(key, vec![])));
    credentials.check_keys(suite::ts(0)).await.unwrap();
    suite::credentials::store_both(&credentials).await;
    let dump = std::process::Command::new(pg_dump())
        .args(["--no-owner", "--format=plain", &url])
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let bytes = dump.stdout;
    assert!(
        bytes.windows(11).any(|w| w == b"db.internal"),
        "the dump holds the rows"
    );
    for needle in [
        suite::credentials::PASSWORD,
        suite::credentials::SECRET,
        suite::credentials::EXTRA_TOKEN,
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in pg_dump's output"
        );
    }
}
