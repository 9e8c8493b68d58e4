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
