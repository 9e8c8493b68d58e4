//! Named leadership leases and the batches fenced by them.

use std::time::Duration;

use weft_model::TaskState;
use weft_store::{LeaderFence, Store, StoreError, WriteBatch};

use super::write::queue_batch;
use super::{queue, reload, run_of, ts};

const TTL: Duration = Duration::from_secs(10);
const NAME: &str = "scheduler";

fn fence(holder: &str, epoch: i64) -> Option<LeaderFence> {
    Some(LeaderFence {
        name: NAME.into(),
        holder: holder.into(),
        epoch,
    })
}

pub async fn renewal_keeps_the_epoch_and_others_wait(store: &dyn Store) {
    assert_eq!(
        store.try_lead(NAME, "a", ts(0), TTL).await.unwrap(),
        Some(1)
    );
    assert_eq!(store.try_lead(NAME, "b", ts(1), TTL).await.unwrap(), None);
    // Renewing moves the end of the lease, not the epoch.
    assert_eq!(
        store.try_lead(NAME, "a", ts(8), TTL).await.unwrap(),
        Some(1)
    );
    // The old lease would have ended at 10; the renewed one ends at 18.
    assert_eq!(store.try_lead(NAME, "b", ts(12), TTL).await.unwrap(), None);
    assert_eq!(
        store.try_lead(NAME, "a", ts(17), TTL).await.unwrap(),
        Some(1)
    );
    // Another name is another lease.
    assert_eq!(
        store.try_lead("other", "b", ts(17), TTL).await.unwrap(),
        Some(1)
    );
}

pub async fn expiry_hands_over_with_the_next_epoch(store: &dyn Store) {
    assert_eq!(
        store.try_lead(NAME, "a", ts(0), TTL).await.unwrap(),
        Some(1)
    );
    assert_eq!(store.try_lead(NAME, "b", ts(9), TTL).await.unwrap(), None);
    // At `expires_at` the lease is over.
    assert_eq!(
        store.try_lead(NAME, "b", ts(10), TTL).await.unwrap(),
        Some(2)
    );
    assert_eq!(store.try_lead(NAME, "a", ts(11), TTL).await.unwrap(), None);
    assert_eq!(
        store.try_lead(NAME, "b", ts(15), TTL).await.unwrap(),
        Some(2)
    );
    // a comes back after b's lease ran out: a new holder, a new epoch.
    assert_eq!(
        store.try_lead(NAME, "a", ts(40), TTL).await.unwrap(),
        Some(3)
    );
    // a's lease runs out with nobody waiting, and a leads again: a new term, a new epoch,
    // so that a write of its old term still under way fails the new term's fence.
    assert_eq!(
        store.try_lead(NAME, "a", ts(60), TTL).await.unwrap(),
        Some(4)
    );
}

pub async fn resign_lets_another_take_over_at_once(store: &dyn Store) {
    assert_eq!(
        store.try_lead(NAME, "a", ts(0), TTL).await.unwrap(),
        Some(1)
    );
    // Only the holder can resign.
    store.resign(NAME, "b").await.unwrap();
    assert_eq!(store.try_lead(NAME, "b", ts(1), TTL).await.unwrap(), None);
    store.resign(NAME, "a").await.unwrap();
    assert_eq!(
        store.try_lead(NAME, "b", ts(1), TTL).await.unwrap(),
        Some(2)
    );
    assert_eq!(store.try_lead(NAME, "a", ts(2), TTL).await.unwrap(), None);
    // A holder that resigned and leads again starts a new term.
    store.resign(NAME, "b").await.unwrap();
    assert_eq!(
        store.try_lead(NAME, "b", ts(3), TTL).await.unwrap(),
        Some(3)
    );
    // Resigning a lease nobody ever held is no error.
    store.resign("never", "a").await.unwrap();
}

pub async fn racing_holders_get_one_lease(store: &dyn Store) {
    for round in 0..10_i64 {
        // Every round starts after the previous leader's lease ended.
        let now = ts(100 * round);
        let lead = |holder: String| async move { store.try_lead(NAME, &holder, now, TTL).await };
        let holder = |n: i64| format!("s{round}-{n}");
        let results = tokio::join!(
            lead(holder(1)),
            lead(holder(2)),
            lead(holder(3)),
            lead(holder(4)),
            lead(holder(5)),
            lead(holder(6)),
        );
        let results = [
            results.0, results.1, results.2, results.3, results.4, results.5,
        ];
        let epochs: Vec<i64> = results.into_iter().filter_map(|r| r.unwrap()).collect();
        assert_eq!(
            epochs,
            [round + 1],
            "round {round}: exactly one winner, one epoch later"
        );
    }
}

pub async fn a_deposed_leaders_batch_writes_nothing(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    assert_eq!(
        store.try_lead(NAME, "s1", ts(0), TTL).await.unwrap(),
        Some(1)
    );
    let fenced = |holder: &str, epoch: i64, ti: usize| WriteBatch {
        leader: fence(holder, epoch),
        ..queue_batch(vec![queue(&tis[ti])])
    };
    // The leader writes under its epoch.
    let outcome = store.write(fenced("s1", 1, 0)).await.unwrap();
    assert_eq!(outcome.queued, [true]);

    // s1 stalls past its lease; s2 takes over.
    assert_eq!(
        store.try_lead(NAME, "s2", ts(30), TTL).await.unwrap(),
        Some(2)
    );
    let err = store.write(fenced("s1", 1, 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let message = err.to_string();
    for words in ["s1 is no longer the leader of scheduler", "s2", "epoch 2"] {
        assert!(message.contains(words), "{message}");
    }
    let b = reload(store, run.id, tis[1].id).await;
    assert_eq!((b.state, b.lease, b.try_number), (TaskState::None, 0, 0));
    // A fenced batch with no change still tells a deposed leader so.
    let probe = WriteBatch {
        leader: fence("s1", 1),
        ..WriteBatch::default()
    };
    assert!(matches!(
        store.write(probe).await,
        Err(StoreError::Conflict(_))
    ));
    // The right holder with a stale epoch is refused too.
    assert!(matches!(
        store.write(fenced("s2", 1, 1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(reload(store, run.id, tis[1].id).await.lease, 0);
    // So is a batch that is no usual step (a backend writes those in a transaction, a step
    // perhaps as one statement with its fence inside).
    let not_a_step = WriteBatch {
        set_task: vec![weft_store::SetTaskState {
            ti: tis[0].id,
            state: TaskState::Failed,
            at: ts(31),
            max_tries: None,
            bump_lease: true,
        }],
        ..fenced("s1", 1, 1)
    };
    let err = store.write(not_a_step).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let (a, b) = (
        reload(store, run.id, tis[0].id).await,
        reload(store, run.id, tis[1].id).await,
    );
    assert_eq!((a.state, a.lease), (TaskState::Queued, 1));
    assert_eq!((b.state, b.lease), (TaskState::None, 0));

    // The new leader writes; an unfenced batch is not checked at all.
    let outcome = store.write(fenced("s2", 2, 1)).await.unwrap();
    assert_eq!(outcome.queued, [true]);
    let b = reload(store, run.id, tis[1].id).await;
    assert_eq!((b.state, b.lease), (TaskState::Queued, 1));
}

pub async fn fences_of_unknown_or_bad_leases_are_refused(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a"]).await;
    let batch = |leader| WriteBatch {
        leader,
        ..queue_batch(vec![queue(&tis[0])])
    };
    let err = store.write(batch(fence("s1", 1))).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(
        err.to_string().contains("nobody has led scheduler"),
        "{err}"
    );
    let nameless = Some(LeaderFence {
        name: String::new(),
        holder: "s1".into(),
        epoch: 1,
    });
    let err = store.write(batch(nameless)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(reload(store, run.id, tis[0].id).await.lease, 0);

    for (name, holder) in [("", "s1"), (NAME, ""), (NAME, "bad\u{7}holder")] {
        let err = store.try_lead(name, holder, ts(0), TTL).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(_)),
            "{name:?}/{holder:?}: {err}"
        );
        let err = store.resign(name, holder).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(_)),
            "{name:?}/{holder:?}: {err}"
        );
    }
    // A huge ttl saturates instead of overflowing.
    assert_eq!(
        store
            .try_lead(NAME, "s1", ts(0), Duration::MAX)
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        store
            .try_lead(NAME, "s2", ts(1_000_000), TTL)
            .await
            .unwrap(),
        None
    );
}
