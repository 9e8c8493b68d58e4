//! The worker registry: registrations and heartbeats replace a worker's row by id.

use weft_store::{Store, StoreError, WorkerRecord};

use super::ts;

/// A worker on `queues`, started at `ts(0)`, last seen at `ts(seen)`.
pub fn worker(id: &str, queues: &[&str], seen: i64) -> WorkerRecord {
    WorkerRecord {
        worker_id: id.into(),
        hostname: format!("host-of-{id}"),
        queues: queues.iter().map(|q| (*q).into()).collect(),
        concurrency: 4,
        running: 0,
        finished: 0,
        failed: 0,
        arch: "x86_64".into(),
        labels: Vec::new(),
        version: "0.1.0".into(),
        started_at: ts(0),
        last_heartbeat: ts(seen),
        stopped_at: None,
        tenants: None,
    }
}

pub async fn workers_are_recorded_and_replaced_by_id(store: &dyn Store) {
    assert_eq!(store.workers().await.unwrap(), []);
    let b = worker("w-b", &["vm3_queue"], 1);
    let a = worker("w-a", &["default", "vm2_queue"], 2);
    store.record_worker(b.clone()).await.unwrap();
    store.record_worker(a.clone()).await.unwrap();
    assert_eq!(store.workers().await.unwrap(), [a.clone(), b.clone()]);

    // A heartbeat replaces every field of the same worker and leaves the others alone.
    // Its counts of attempts ended, up to the largest the store holds.
    let beat = WorkerRecord {
        running: 3,
        finished: i64::MAX as u64,
        failed: 1_234_567,
        concurrency: 8,
        queues: vec!["default".into()],
        labels: vec!["gpu".into(), "ssd".into()],
        hostname: "moved".into(),
        last_heartbeat: ts(40),
        tenants: Some(vec!["analytics".into(), "default".into()]),
        ..a.clone()
    };
    store.record_worker(beat.clone()).await.unwrap();
    assert_eq!(store.workers().await.unwrap(), [beat.clone(), b.clone()]);

    let stopped = WorkerRecord {
        running: 0,
        stopped_at: Some(ts(50)),
        last_heartbeat: ts(50),
        ..beat
    };
    store.record_worker(stopped.clone()).await.unwrap();
    assert_eq!(store.workers().await.unwrap(), [stopped, b]);
}

pub async fn bad_workers_are_invalid_and_not_recorded(store: &dyn Store) {
    let good = worker("w-1", &["default"], 0);
    let cases = [
        (
            WorkerRecord {
                worker_id: String::new(),
                ..good.clone()
            },
            "worker_id",
        ),
        (
            WorkerRecord {
                queues: vec![],
                ..good.clone()
            },
            "no queue",
        ),
        (
            WorkerRecord {
                queues: vec!["default".into(), "bad\nqueue".into()],
                ..good.clone()
            },
            "queue",
        ),
        (
            WorkerRecord {
                hostname: String::new(),
                ..good.clone()
            },
            "hostname",
        ),
        (
            WorkerRecord {
                labels: vec!["gpu".into(), String::new()],
                ..good.clone()
            },
            "label is empty",
        ),
    ];
    for (bad, words) in cases {
        let err = store.record_worker(bad.clone()).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err}");
        assert!(err.to_string().contains(words), "{bad:?}: {err}");
    }
    assert_eq!(store.workers().await.unwrap(), []);
}
