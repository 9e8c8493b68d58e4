//! Notifications a step writes: an attempt's retry, a task's failure for good and a run's end
//! each become a notification per notifier, in the batch that records them; tasks and DAGs
//! without notifiers get none.

#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use support::{bench, failure, success};
use weft_model::{
    DagSpec, EmailNotifier, Notifier, RunNotifications, TaskNotifications, TaskSettings, TaskSpec,
};
use weft_scheduler::SchedulerConfig;
use weft_store::{NotificationEvent, NotificationState};

const T0: &str = "2024-03-01T00:00:00Z";

fn notifying() -> DagSpec {
    let hook = Notifier::Webhook("hook".into());
    let mut spec = DagSpec::new("notifying");
    let mut flaky = TaskSpec::new("flaky");
    flaky.settings = TaskSettings {
        retries: Some(1),
        retry_delay_ms: Some(1000),
        notifications: Some(TaskNotifications {
            on_retry: vec![hook.clone()],
            on_failure: vec![hook.clone()],
            ..TaskNotifications::default()
        }),
        ..TaskSettings::default()
    };
    // `quiet` has no notifier: its success notifies nobody.
    spec.tasks = vec![flaky, TaskSpec::new("quiet")];
    spec.notifications = RunNotifications {
        on_success: vec![],
        on_failure: vec![
            hook,
            Notifier::Email(EmailNotifier {
                conn_id: "smtp".into(),
                to: vec!["ops@example.com".into()],
            }),
        ],
    };
    spec
}

#[tokio::test]
async fn retries_failures_and_run_ends_are_written_with_their_step() {
    let b = bench(T0, SchedulerConfig::default()).await;
    b.deploy(notifying()).await;
    let run = b.trigger("notifying").await;
    let mut s = b.scheduler();
    s.start().await.unwrap();
    let messages = b.take().await;
    assert_eq!(messages.len(), 2);
    let mut reports = Vec::new();
    for m in &messages {
        let outcome = if m.task_id == "flaky" {
            failure(true)
        } else {
            success()
        };
        reports.push(b.finished(m, outcome));
    }
    s.step(reports).await.unwrap();
    let written = b.store.notifications(run.id).await.unwrap();
    assert_eq!(written.len(), 1, "{written:#?}");
    let retry = &written[0];
    assert_eq!(retry.event, NotificationEvent::TaskRetry);
    assert_eq!(
        (retry.task_id.as_deref(), retry.try_number),
        (Some("flaky"), Some(1))
    );
    assert_eq!(retry.state, NotificationState::Pending);
    assert_eq!(retry.payload["event"], "task_retry");
    assert_eq!(retry.payload["state"], "up_for_retry");
    assert_eq!(retry.payload["dag_id"], "notifying");
    assert_eq!(retry.payload["run_id"], run.run_id.as_str());
    assert_eq!(retry.payload["try_number"], 1);
    assert_eq!(retry.payload["version"], 1);

    // The retry is due a second later; its failure ends the task and the run.
    b.clock.advance(Duration::from_secs(2));
    s.step(Vec::new()).await.unwrap();
    let messages = b.take().await;
    assert_eq!(messages.len(), 1);
    s.step(vec![b.finished(&messages[0], failure(true))])
        .await
        .unwrap();
    assert_eq!(b.run(run.id).await.0.state, weft_model::DagRunState::Failed);
    let written = b.store.notifications(run.id).await.unwrap();
    let events: Vec<_> = written
        .iter()
        .map(|n| {
            (
                n.event,
                n.try_number,
                matches!(n.notifier, Notifier::Email(_)),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (NotificationEvent::TaskRetry, Some(1), false),
            (NotificationEvent::TaskFailure, Some(2), false),
            (NotificationEvent::RunFailure, None, false),
            (NotificationEvent::RunFailure, None, true),
        ]
    );
    let run_failure = &written[2];
    assert_eq!(run_failure.payload["task_id"], serde_json::Value::Null);
    assert_eq!(run_failure.payload["state"], "failed");
}
