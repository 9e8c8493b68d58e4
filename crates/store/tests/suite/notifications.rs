//! Notifications: written with the change that causes them, claimed by one server at a time,
//! their attempts recorded under the claim.

use std::collections::HashSet;
use std::time::Duration;

use weft_model::{EmailNotifier, Notifier, TaskState};
use weft_store::{
    DagRun, DeliveryOutcome, DeliveryResult, NewNotification, NotificationEvent, NotificationState,
    Store, WriteBatch,
};

use super::{finish, queue, run_of, ts, write};

const LEASE: Duration = Duration::from_secs(60);

fn notification(
    run: &DagRun,
    task: Option<(&str, i64)>,
    event: NotificationEvent,
) -> NewNotification {
    NewNotification {
        tenant: run.tenant.clone(),
        dag_id: run.dag_id.clone(),
        run_id: run.run_id.clone(),
        run: run.id,
        task_id: task.map(|(id, _)| id.to_owned()),
        try_number: task.map(|_| 1),
        event,
        notifier: Notifier::Email(EmailNotifier {
            conn_id: "smtp".into(),
            to: vec!["ops@example.com".into()],
        }),
        payload: serde_json::json!({"version": 1, "event": event.as_str()}),
        at: ts(30),
        after_finish: task.map(|(_, ti)| ti),
    }
}

/// `count` run notifications of run `r1` of a fresh DAG, written; the run.
async fn written(store: &dyn Store, count: usize) -> DagRun {
    let (run, _) = run_of(store, "etl", &["a"]).await;
    let notify = (0..count)
        .map(|_| notification(&run, None, NotificationEvent::RunFailure))
        .collect();
    write(
        store,
        WriteBatch {
            notify,
            ..WriteBatch::default()
        },
    )
    .await;
    run
}

fn result(id: i64, holder: &str, attempt: u32, outcome: DeliveryOutcome) -> DeliveryResult {
    DeliveryResult {
        id,
        holder: holder.into(),
        attempt,
        at: ts(40),
        outcome,
    }
}

pub async fn a_notification_is_written_only_with_its_finish(store: &dyn Store) {
    let (run, tis) = run_of(store, "etl", &["a", "b"]).await;
    write(
        store,
        WriteBatch {
            queue: tis.iter().map(queue).collect(),
            ..WriteBatch::default()
        },
    )
    .await;
    let (a, b) = (&tis[0], &tis[1]);
    // a's finish applies (lease 1); b's carries a stale lease and is refused.
    let outcome = write(
        store,
        WriteBatch {
            finish: vec![
                finish(a.id, 1, TaskState::Failed),
                finish(b.id, 7, TaskState::Success),
            ],
            notify: vec![
                notification(&run, Some(("a", a.id)), NotificationEvent::TaskFailure),
                notification(&run, Some(("b", b.id)), NotificationEvent::TaskSuccess),
                notification(&run, None, NotificationEvent::RunFailure),
            ],
            ..WriteBatch::default()
        },
    )
    .await;
    assert_eq!(outcome.finished, [true, false]);
    let stored = store.notifications(run.id).await.unwrap();
    let events: Vec<_> = stored
        .iter()
        .map(|n| (n.event, n.task_id.as_deref()))
        .collect();
    assert_eq!(
        events,
        [
            (NotificationEvent::TaskFailure, Some("a")),
            (NotificationEvent::RunFailure, None)
        ]
    );
    let first = &stored[0];
    assert_eq!(
        (
            first.state,
            first.attempts,
            first.try_number,
            first.created_at
        ),
        (NotificationState::Pending, 0, Some(1), ts(30))
    );
    assert_eq!(first.next_attempt_at, ts(30));
    assert_eq!(first.payload["event"], "task_failure");
    assert!(matches!(&first.notifier, Notifier::Email(e) if e.to == ["ops@example.com"]));

    // An all-or-nothing batch whose finish is refused writes no notification either.
    let outcome = write(
        store,
        WriteBatch {
            finish: vec![finish(b.id, 7, TaskState::Success)],
            notify: vec![notification(&run, None, NotificationEvent::RunSuccess)],
            all_finishes: true,
            ..WriteBatch::default()
        },
    )
    .await;
    assert!(outcome.refused);
    assert_eq!(store.notifications(run.id).await.unwrap().len(), 2);
}

pub async fn claims_are_exclusive_and_results_need_the_claim(store: &dyn Store) {
    let run = written(store, 1).await;
    // Not due before its time.
    assert!(
        store
            .claim_notifications("s1", ts(29), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store
        .claim_notifications("s1", ts(30), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let n = &claimed[0];
    assert_eq!((n.attempts, n.claimed_by.as_deref()), (1, Some("s1")));
    // Held: nobody else gets it while the claim lasts.
    assert!(
        store
            .claim_notifications("s2", ts(31), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Only the holder records. The error quotes the far side, NUL and all: it is kept as
    // text the store can hold.
    let retry = DeliveryOutcome::Retry {
        error: "connection refused\0".into(),
        next_attempt_at: ts(100),
    };
    assert!(
        !store
            .record_notification(&result(n.id, "s2", 1, retry.clone()))
            .await
            .unwrap()
    );
    assert!(
        store
            .record_notification(&result(n.id, "s1", 1, retry))
            .await
            .unwrap()
    );
    let now = &store.notifications(run.id).await.unwrap()[0];
    assert_eq!(
        (
            now.state,
            now.attempts,
            now.last_error.as_deref(),
            now.next_attempt_at
        ),
        (
            NotificationState::Pending,
            1,
            Some("connection refused\u{FFFD}"),
            ts(100)
        )
    );
    assert_eq!(now.claimed_by, None);

    // Due again at 100: s2 claims it and dies; once its claim expires s1 takes over, and
    // s2's late result is refused.
    assert!(
        store
            .claim_notifications("s2", ts(99), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let by_s2 = store
        .claim_notifications("s2", ts(100), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(by_s2[0].attempts, 2);
    assert!(
        store
            .claim_notifications("s1", ts(159), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let by_s1 = store
        .claim_notifications("s1", ts(160), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(by_s1[0].attempts, 3);
    assert!(
        !store
            .record_notification(&result(n.id, "s2", 2, DeliveryOutcome::Delivered))
            .await
            .unwrap()
    );
    let failed = DeliveryOutcome::Failed {
        error: "550 no such mailbox".into(),
    };
    assert!(
        store
            .record_notification(&result(n.id, "s1", 3, failed))
            .await
            .unwrap()
    );
    let now = &store.notifications(run.id).await.unwrap()[0];
    assert_eq!(
        (now.state, now.attempts, now.last_error.as_deref()),
        (NotificationState::Failed, 3, Some("550 no such mailbox"))
    );
    // A failed notification is never claimed again.
    assert!(
        store
            .claim_notifications("s1", ts(10_000), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_delivered_notification_is_done(store: &dyn Store) {
    let run = written(store, 1).await;
    let n = store
        .claim_notifications("s1", ts(30), LEASE, 10)
        .await
        .unwrap()
        .remove(0);
    assert!(
        store
            .record_notification(&result(n.id, "s1", 1, DeliveryOutcome::Delivered))
            .await
            .unwrap()
    );
    let now = &store.notifications(run.id).await.unwrap()[0];
    assert_eq!(
        (
            now.state,
            now.attempts,
            now.delivered_at,
            now.last_error.as_deref()
        ),
        (NotificationState::Delivered, 1, Some(ts(40)), None)
    );
    assert!(
        store
            .claim_notifications("s1", ts(10_000), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A second result for the same attempt changes nothing.
    assert!(
        !store
            .record_notification(&result(n.id, "s1", 1, DeliveryOutcome::Delivered))
            .await
            .unwrap()
    );
}

pub async fn racing_servers_claim_each_notification_once(store: &dyn Store) {
    let run = written(store, 40).await;
    let mut seen = HashSet::new();
    loop {
        let (a, b) = tokio::join!(
            store.claim_notifications("s1", ts(30), LEASE, 7),
            store.claim_notifications("s2", ts(30), LEASE, 7),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        if a.is_empty() && b.is_empty() {
            break;
        }
        for n in a.iter().chain(&b) {
            assert!(seen.insert(n.id), "notification {} claimed twice", n.id);
            assert_eq!(n.attempts, 1);
        }
    }
    assert_eq!(seen.len(), 40);
    assert_eq!(store.notifications(run.id).await.unwrap().len(), 40);
}
