//! DAG `notify`, world `weft:dag@0.3.0`: one task and the run, each with notifiers.
//!
//! - `work` returns `"done"`, or with conf `{"fail": true}` fails (retryably) every try: it
//!   has one retry, so its first try is a retry and its second a failure for good. It
//!   notifies webhook connection `notify_hook` on success, retry and failure.
//! - The run notifies by email through connection `notify_smtp` to `ops@example.com` when it
//!   succeeds or fails, and webhook `notify_hook` too when it fails.

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.3.0 and the `dag-spec` helpers the 0.3.0 guests share.
#[path = "../v3.rs"]
mod v3;

use v3::bindings::Guest;
use v3::bindings::weft::dag::types::{
    DagSpec, EmailNotifier, Notifier, RunNotifications, TaskContext, TaskError, TaskKind,
    TaskNotifications, TriggerRule, UpstreamOutput,
};
use v3::{spec, task};

struct Notify;

fn hook() -> Notifier {
    Notifier::Webhook("notify_hook".into())
}

fn email() -> Notifier {
    Notifier::Email(EmailNotifier {
        conn_id: "notify_smtp".into(),
        to: vec!["ops@example.com".into()],
    })
}

impl Guest for Notify {
    fn describe() -> DagSpec {
        let mut work = task("work", &[], TriggerRule::AllSuccess, TaskKind::Code);
        work.settings.retries = Some(1);
        work.settings.retry_delay_ms = Some(10);
        work.settings.notifications = Some(TaskNotifications {
            on_success: vec![hook()],
            on_failure: vec![hook()],
            on_retry: vec![hook()],
        });
        let mut dag = spec("notify", "a task and a run that notify", vec![work]);
        dag.notifications = RunNotifications {
            on_success: vec![email()],
            on_failure: vec![email(), hook()],
        };
        dag
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let conf: serde_json::Value = serde_json::from_str(&ctx.conf)
            .map_err(|e| TaskError::Permanent(format!("conf: {e}")))?;
        if conf["fail"] == serde_json::json!(true) {
            return Err(TaskError::Retryable(format!(
                "work failed on try {}",
                ctx.try_number
            )));
        }
        Ok(b"\"done\"".to_vec())
    }
}

v3::bindings::export!(Notify with_types_in v3::bindings);

fn main() {}
