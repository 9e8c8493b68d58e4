//! Leader election between schedulers on one store: one leads at a time, a standby takes
//! over when the leader resigns or dies, and each new term has a higher epoch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft_scheduler::{Election, SystemClock};
use weft_store::{SqliteStore, Store};

type Terms = Arc<Mutex<Vec<(String, i64)>>>;

/// Run an election for `holder` that records each term it gets; stop it with the sender.
fn candidate(
    store: &Arc<dyn Store>,
    holder: &str,
    terms: &Terms,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let election = Election::new(
        store.clone(),
        Arc::new(SystemClock),
        holder,
        Duration::from_millis(600),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let terms = terms.clone();
    let holder = holder.to_owned();
    let task = tokio::spawn(async move {
        election
            .run(
                async move {
                    let _ = stopped.await;
                },
                |term| {
                    if let Ok(mut terms) = terms.lock() {
                        terms.push((holder.clone(), term.fence.epoch));
                    }
                    term.lost()
                },
            )
            .await;
    });
    (task, stop)
}

async fn wait_terms(terms: &Terms, n: usize, within: Duration) -> Vec<(String, i64)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let now = terms.lock().map(|t| t.clone()).unwrap_or_default();
        if now.len() >= n {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} term(s) within {within:?}: {now:?}",
            now.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("weft.db"))
        .await
        .expect("store");
    (Arc::new(store), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_at_once_when_the_leader_resigns() {
    let (store, _dir) = store().await;
    let terms: Terms = Arc::default();
    let (first, stop_first) = candidate(&store, "s1", &terms);
    let led = wait_terms(&terms, 1, Duration::from_secs(5)).await;
    assert_eq!(led[0].0, "s1");
    let (second, stop_second) = candidate(&store, "s2", &terms);
    // The standby waits while the leader renews (several lease lengths).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        terms.lock().map(|t| t.len()).unwrap_or(0),
        1,
        "two leaders at once"
    );

    let _ = stop_first.send(());
    first.await.expect("first election ends");
    let after = wait_terms(&terms, 2, Duration::from_secs(2)).await;
    assert_eq!(after[1].0, "s2");
    assert!(after[1].1 > after[0].1, "the epoch grows: {after:?}");
    let _ = stop_second.send(());
    second.await.expect("second election ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_when_the_leader_dies() {
    let (store, _dir) = store().await;
    let terms: Terms = Arc::default();
    let (first, _stop_first) = candidate(&store, "s1", &terms);
    wait_terms(&terms, 1, Duration::from_secs(5)).await;
    let (second, stop_second) = candidate(&store, "s2", &terms);
    // A crash: the leader stops renewing and never resigns.
    first.abort();
    let died = std::time::Instant::now();
    let after = wait_terms(&terms, 2, Duration::from_secs(5)).await;
    assert_eq!(after[1].0, "s2");
    assert!(after[1].1 > after[0].1);
    // Not before the dead leader's lease could have run out.
    assert!(
        died.elapsed() >= Duration::from_millis(300),
        "{:?}",
        died.elapsed()
    );
    let _ = stop_second.send(());
    second.await.expect("election ends");
}
