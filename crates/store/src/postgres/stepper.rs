//! The connection a scheduler's steps are written on (see [`step`](super::step)), held by
//! the store instead of taken from the pool for each step: sqlx's pool pings every
//! connection handed back (a `Sync` and its answer), which doubled the messages of a step and
//! woke PostgreSQL and a runtime thread once more for each.
//!
//! The connection goes back to its slot only after a statement that ended cleanly (with rows
//! or with the step's own refusals); one given up half-way, or that failed any other way, is
//! dropped, and the next step opens another. (A statement given up half-way may still be
//! carried out by PostgreSQL, which has it whole; the leader fence keeps that from mattering:
//! a scheduler that gave up a step because it lost the lead leads again only under a new
//! epoch.) One idle for longer than [`PING_IF_IDLE_FOR`] is pinged first, as the pool's are.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgDatabaseError, PgSeverity};
use sqlx::{Connection as _, PgConnection, PgPool};
use tokio::sync::{Mutex, MutexGuard};

use super::PING_IF_IDLE_FOR;

/// How long the ping of an idle step connection may take before another is opened.
const PING_AT_MOST: Duration = Duration::from_secs(5);

/// The step connection's slot: empty until the first step, or after a failure.
#[derive(Debug, Default)]
pub(super) struct Stepper {
    slot: Mutex<Option<Idle>>,
}

/// The held connection and when it was last used.
#[derive(Debug)]
struct Idle {
    conn: PgConnection,
    since: Instant,
}

/// The step connection, taken for one statement.
pub(super) struct Held<'a> {
    slot: MutexGuard<'a, Option<Idle>>,
    conn: PgConnection,
}

impl Stepper {
    /// The step connection, or `None` while another step holds it or the pool is closed
    /// (the caller then takes a connection from the pool).
    pub(super) async fn take<'a>(&'a self, pool: &PgPool) -> Option<Result<Held<'a>, sqlx::Error>> {
        if pool.is_closed() {
            return None;
        }
        let mut slot = self.slot.try_lock().ok()?;
        let kept = match slot.take() {
            Some(idle) if idle.since.elapsed() <= PING_IF_IDLE_FOR => Some(idle.conn),
            Some(mut idle) => match tokio::time::timeout(PING_AT_MOST, idle.conn.ping()).await {
                Ok(Ok(())) => Some(idle.conn),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "the step connection did not answer; opening another");
                    None
                }
                Err(_) => {
                    tracing::debug!("the step connection did not answer in time; opening another");
                    None
                }
            },
            None => None,
        };
        let conn = match kept {
            Some(conn) => conn,
            // Detached, it is closed when dropped and never handed back to the pool.
            None => match pool.acquire().await {
                Ok(conn) => conn.detach(),
                Err(e) => return Some(Err(e)),
            },
        };
        Some(Ok(Held { slot, conn }))
    }
}

impl Stepper {
    /// Close the held connection (once any step on it ends).
    pub(super) async fn close(&self) {
        if let Some(idle) = self.slot.lock().await.take() {
            let _ = idle.conn.close().await;
        }
    }
}

impl Held<'_> {
    /// The connection.
    pub(super) fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Put the connection back when `result` leaves it ready for the next statement (rows,
    /// or an error PostgreSQL answered and went on from); otherwise it is closed.
    pub(super) fn done<T>(self, result: &Result<T, sqlx::Error>) {
        let Held { mut slot, conn } = self;
        if ready_after(result) {
            *slot = Some(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// Whether the connection is kept after `result`: after rows, or after the step's own
/// refusals (the fence's, `WF001`, and a finish's, `WF002`), which PostgreSQL answers and goes
/// on from. After anything else it is closed: a failure of the connection itself, PostgreSQL's
/// `FATAL` errors (a backend terminated by an administrator, or shutting down, says so before
/// it closes the connection), and errors that may stick to one server or session (a server
/// that became read-only), which a new connection may not meet.
fn ready_after<T>(result: &Result<T, sqlx::Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(sqlx::Error::Database(db)) => {
            db.try_downcast_ref::<PgDatabaseError>().is_some_and(|pg| {
                pg.severity() == PgSeverity::Error && matches!(pg.code(), "WF001" | "WF002")
            })
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use jiff::Timestamp;

    use crate::{LeaderFence, PostgresStore, Store, StoreError, WriteBatch};

    /// A fenced batch with no change: written as a step, on the step connection.
    fn probe(holder: &str) -> WriteBatch {
        WriteBatch {
            leader: Some(LeaderFence {
                name: "scheduler".into(),
                holder: holder.into(),
                epoch: 1,
            }),
            ..WriteBatch::default()
        }
    }

    async fn led_store() -> (String, PostgresStore) {
        let url = tokio::task::spawn_blocking(|| weft_testkit::postgres().fresh_database())
            .await
            .unwrap();
        let store = PostgresStore::connect_with(&url, 2).await.unwrap();
        let at = Timestamp::from_second(1_700_000_000).unwrap();
        let ttl = Duration::from_secs(3600);
        assert_eq!(
            store.try_lead("scheduler", "s1", at, ttl).await.unwrap(),
            Some(1)
        );
        (url, store)
    }

    /// The backends whose last statement was a step.
    async fn stepping(url: &str) -> Vec<i32> {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND query LIKE 'WITH f AS (UPDATE task_instances%' ORDER BY pid",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn steps_go_on_one_connection_and_one_that_died_is_replaced() {
        let (url, store) = led_store().await;
        for _ in 0..5 {
            store.write(probe("s1")).await.unwrap();
        }
        let first = stepping(&url).await;
        assert_eq!(first.len(), 1, "{first:?}");
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(first[0])
            .execute(&mut admin)
            .await
            .unwrap();
        // The step that meets the dead connection fails (as a pooled one would: PostgreSQL
        // said it was terminating it); the next opens another and writes.
        let mut failures = 0;
        while let Err(e) = store.write(probe("s1")).await {
            assert!(!matches!(e, StoreError::Conflict(_)), "{e}");
            failures += 1;
            assert!(failures < 2, "{e}");
        }
        let now = stepping(&url).await;
        assert_eq!(now.len(), 1, "{now:?}");
        assert_ne!(now, first);
        // The guard still holds on the new connection.
        assert!(matches!(
            store.write(probe("s2")).await,
            Err(StoreError::Conflict(_))
        ));
        store.close().await;
        assert!(store.write(probe("s1")).await.is_err(), "closed");
    }

    #[tokio::test]
    async fn a_step_given_up_half_way_leaves_the_next_a_working_connection() {
        let (url, store) = led_store().await;
        store.write(probe("s1")).await.unwrap();
        // The lease row is locked, so the step's guard waits on it...
        let mut holder = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN; SELECT 1 FROM leaders WHERE name = 'scheduler' FOR UPDATE")
            .execute(&mut holder)
            .await
            .unwrap();
        // ...until the caller gives up on it.
        let given_up =
            tokio::time::timeout(Duration::from_millis(300), store.write(probe("s1"))).await;
        assert!(given_up.is_err(), "the step should still be waiting");
        sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
        store.write(probe("s1")).await.unwrap();
        assert!(matches!(
            store.write(probe("s2")).await,
            Err(StoreError::Conflict(_))
        ));
        store.write(probe("s1")).await.unwrap();
    }
}
