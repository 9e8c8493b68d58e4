//! A fenced write's check, sent with its `BEGIN` in one message (one round trip for both).
//!
//! `SELECT weft_fence(...); BEGIN` runs the check in the implicit transaction of a simple
//! query, which the `BEGIN` turns into the write's own transaction: the lease row's share
//! lock is held until the write commits, so no takeover commits in the middle of it. When
//! the check fails, PostgreSQL rolls the implicit transaction back and the `BEGIN` never
//! runs, so the connection goes back to the pool idle. (A begin given up half-way closes
//! its connection; see `Conn`.) A simple query takes no bound arguments, so the fence's
//! values are written as escaped literals.

use sqlx::postgres::PgDatabaseError;

use crate::apply::deposed;
use crate::error::StoreError;
use crate::write::LeaderFence;

/// The SQLSTATE `weft_fence` raises when the fence no longer holds.
const NOT_LEADER: &str = "WF001";

/// The statement that checks `fence` and begins the write transaction.
pub(crate) fn begin(fence: &LeaderFence) -> String {
    format!(
        "SELECT weft_fence({}, {}, {}); BEGIN",
        literal(&fence.name),
        literal(&fence.holder),
        fence.epoch
    )
}

/// `text` as an escape-string literal: the same value whatever the server's
/// `standard_conforming_strings`. (Names never hold NUL; validation refuses control
/// characters.)
fn literal(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 3);
    quoted.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("''"),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// The store error for a failed [`begin`]: a refused fence as
/// [`StoreError::Conflict`] naming who leads now, anything else as usual.
pub(crate) fn begin_error(fence: &LeaderFence, error: sqlx::Error) -> StoreError {
    let refused = match &error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<PgDatabaseError>()
            .filter(|pg| pg.code() == NOT_LEADER),
        _ => None,
    };
    let Some(pg) = refused else {
        return StoreError::from(error);
    };
    let holder = pg.message();
    let epoch = pg.detail().and_then(|d| d.parse::<i64>().ok());
    match epoch {
        Some(epoch) if !holder.is_empty() => deposed(fence, Some((holder, epoch))),
        _ => deposed(fence, None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use jiff::Timestamp;

    use super::*;
    use sqlx::PgConnection;

    use crate::backend::Backend;
    use crate::{PostgresStore, Store, WriteBatch};

    const TTL: Duration = Duration::from_secs(10);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap()
    }

    fn fence(holder: &str, epoch: i64) -> LeaderFence {
        LeaderFence {
            name: "scheduler".into(),
            holder: holder.into(),
            epoch,
        }
    }

    /// A fenced batch that changes nothing (a state set on no task instance): checked
    /// against its leadership all the same, in a transaction begun with the check (not a
    /// step, which checks its fence inside its one statement; see `stepper`'s tests).
    fn probe(holder: &str, epoch: i64) -> WriteBatch {
        WriteBatch {
            leader: Some(fence(holder, epoch)),
            set_task: vec![crate::SetTaskState {
                ti: 0,
                state: weft_model::TaskState::Failed,
                at: at(0),
                max_tries: None,
                bump_lease: false,
            }],
            ..WriteBatch::default()
        }
    }

    async fn store(connections: u32) -> (String, PostgresStore) {
        let url = tokio::task::spawn_blocking(|| weft_testkit::postgres().fresh_database())
            .await
            .unwrap();
        let store = PostgresStore::connect_with(&url, connections)
            .await
            .unwrap();
        (url, store)
    }

    #[tokio::test]
    async fn a_refused_fence_leaves_the_connection_idle_for_the_next_write() {
        // One connection: every write below runs on the one a refusal ran on.
        let (_, store) = store(1).await;
        let odd = r"o'brien \ the 2nd";
        assert_eq!(
            store.try_lead("scheduler", odd, at(0), TTL).await.unwrap(),
            Some(1)
        );
        for _ in 0..3 {
            store.write(probe(odd, 1)).await.unwrap();
            let refused = store.write(probe("s2", 1)).await.unwrap_err();
            assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
            let message = refused.to_string();
            assert!(
                message.contains(&format!("s2 is no longer the leader of scheduler (it wrote under epoch 1; {odd} holds it at epoch 1)")),
                "{message}"
            );
        }
        // VACUUM refuses to run inside a transaction block: the connection is idle.
        sqlx::raw_sql("VACUUM leaders")
            .execute(&store.pool)
            .await
            .unwrap();
        let nobody = store
            .write(WriteBatch {
                leader: Some(LeaderFence {
                    name: "backfiller".into(),
                    ..fence(odd, 1)
                }),
                ..WriteBatch::default()
            })
            .await
            .unwrap_err();
        assert!(
            nobody.to_string().contains("nobody has led backfiller"),
            "{nobody}"
        );
        // A takeover after the lease ran out; the old leader is refused, the new one writes.
        assert_eq!(
            store
                .try_lead("scheduler", "s2", at(30), TTL)
                .await
                .unwrap(),
            Some(2)
        );
        let stale = store.write(probe(odd, 1)).await.unwrap_err();
        assert!(
            stale.to_string().contains("s2 holds it at epoch 2"),
            "{stale}"
        );
        store.write(probe("s2", 2)).await.unwrap();
    }

    /// Whether a takeover of the scheduler lease could take its row lock now (within a
    /// short lock timeout), from a connection of its own.
    async fn lease_row_free(url: &str) -> bool {
        let mut other = <PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        sqlx::raw_sql("SET lock_timeout = '200ms'")
            .execute(&mut other)
            .await
            .unwrap();
        match sqlx::query("UPDATE leaders SET epoch = epoch WHERE name = 'scheduler'")
            .execute(&mut other)
            .await
        {
            Ok(_) => true,
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("55P03") => false,
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn a_takeover_waits_for_the_fenced_transaction_to_end() {
        let (url, store) = store(2).await;
        assert_eq!(
            store.try_lead("scheduler", "s1", at(0), TTL).await.unwrap(),
            Some(1)
        );
        let mut writer = store.writer().await.unwrap();
        let tx = PostgresStore::begin_fenced(&mut writer, Some(&fence("s1", 1)))
            .await
            .unwrap();
        assert!(
            !lease_row_free(&url).await,
            "the lease row is share-locked until the fenced transaction ends"
        );
        tx.commit().await.unwrap();
        assert!(lease_row_free(&url).await);
    }

    #[tokio::test]
    async fn a_fenced_write_given_up_while_it_begins_holds_no_lock_after() {
        let (url, store) = store(1).await;
        assert_eq!(
            store.try_lead("scheduler", "s1", at(0), TTL).await.unwrap(),
            Some(1)
        );
        // Someone holds the lease row, so the fenced begin waits on it...
        let mut holder = <PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN; SELECT 1 FROM leaders WHERE name = 'scheduler' FOR UPDATE")
            .execute(&mut holder)
            .await
            .unwrap();
        // ...until the caller gives up on it.
        let given_up =
            tokio::time::timeout(Duration::from_millis(300), store.write(probe("s1", 1))).await;
        assert!(given_up.is_err(), "the write should still be waiting");
        sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
        // The begun transaction did not outlive the write: a takeover gets the row at once,
        // and the store's next writes behave.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !lease_row_free(&url).await {
            assert!(
                std::time::Instant::now() < deadline,
                "a transaction of the abandoned write still holds the lease row"
            );
        }
        store.write(probe("s1", 1)).await.unwrap();
        assert!(matches!(
            store.write(probe("s2", 1)).await,
            Err(StoreError::Conflict(_))
        ));
        store.write(probe("s1", 1)).await.unwrap();
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("s1"), "E's1'");
        assert_eq!(literal(r"it's a \ path"), r"E'it''s a \\ path'");
        assert_eq!(literal(""), "E''");
    }

    #[test]
    fn the_begin_statement_checks_then_begins() {
        let fence = LeaderFence {
            name: "scheduler".into(),
            holder: "o'brien".into(),
            epoch: 7,
        };
        assert_eq!(
            begin(&fence),
            "SELECT weft_fence(E'scheduler', E'o''brien', 7); BEGIN"
        );
    }
}
