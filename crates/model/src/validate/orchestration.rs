//! Checks of what a task is beyond code: branches that have something to pick, waits that
//! name a valid time or DAG, mapped tasks that expand over a direct upstream, and notifiers.

use std::collections::HashMap;

use crate::orchestration::{Expand, Notifier, TaskKind, WaitCondition};
use crate::problem::{OrchestrationIssue, SpecProblem};
use crate::spec::{DagSpec, TaskSettings};
use crate::state::TaskState;
use crate::validate::check_id;

/// Add a problem for each orchestration setting of `spec` that is wrong. `index` maps task
/// ids to declaration indexes, `upstream` holds each declaration's upstream indexes.
pub(super) fn check(
    spec: &DagSpec,
    index: &HashMap<&str, usize>,
    upstream: &[Vec<usize>],
    problems: &mut Vec<SpecProblem>,
) {
    let mut has_downstream = vec![false; spec.tasks.len()];
    for ups in upstream {
        for &u in ups {
            has_downstream[u] = true;
        }
    }
    for (i, task) in spec.tasks.iter().enumerate() {
        if index.get(task.task_id.as_str()) != Some(&i) {
            continue;
        }
        let mut issue = |issue| {
            problems.push(SpecProblem::InvalidOrchestration {
                task: task.task_id.clone(),
                issue,
            });
        };
        match &task.kind {
            TaskKind::Code => {}
            TaskKind::Branch if !has_downstream[i] => {
                issue(OrchestrationIssue::BranchWithoutDownstream)
            }
            TaskKind::Branch => {}
            TaskKind::Wait(condition) => {
                if let Err(problem) = check_wait(condition) {
                    issue(problem);
                }
            }
        }
        if let Some(expand) = &task.expand {
            let kind = match task.kind {
                TaskKind::Code => None,
                TaskKind::Branch => Some("branch"),
                TaskKind::Wait(_) => Some("wait"),
            };
            if let Some(kind) = kind {
                issue(OrchestrationIssue::MappedKind { kind });
            }
            match expand {
                Expand::Upstream(up) if !task.upstream.contains(up) => {
                    issue(OrchestrationIssue::ExpandNotUpstream {
                        upstream: up.clone(),
                    })
                }
                Expand::Upstream(_) => {}
                Expand::Items(items) => {
                    for (index, item) in items.iter().enumerate() {
                        if let Err(e) = serde_json::from_str::<serde_json::Value>(item) {
                            issue(OrchestrationIssue::ExpandItemNotJson {
                                index,
                                reason: e.to_string(),
                            });
                        }
                    }
                }
            }
        }
        check_task_settings(&task.settings, &mut issue);
    }
    check_task_settings(&spec.defaults, &mut |issue| {
        problems.push(SpecProblem::InvalidOrchestration {
            task: "(defaults)".into(),
            issue,
        })
    });
    let run = &spec.notifications;
    for notifier in run.on_success.iter().chain(&run.on_failure) {
        if let Err(issue) = check_notifier(notifier) {
            problems.push(SpecProblem::InvalidRunNotifier { issue });
        }
    }
}

/// Check the orchestration parts of one task's (or the defaults') settings.
fn check_task_settings(s: &TaskSettings, issue: &mut impl FnMut(OrchestrationIssue)) {
    if let Some(n) = &s.notifications {
        for notifier in n.on_success.iter().chain(&n.on_failure).chain(&n.on_retry) {
            if let Err(problem) = check_notifier(notifier) {
                issue(problem);
            }
        }
    }
}

/// Whether a wait condition can ever be judged: a time that parses, ids that can exist, and
/// states that make sense.
pub fn check_wait(condition: &WaitCondition) -> Result<(), OrchestrationIssue> {
    match condition {
        WaitCondition::Until(value) => {
            value
                .parse::<jiff::Timestamp>()
                .map(|_| ())
                .map_err(|e| OrchestrationIssue::BadUntil {
                    value: value.clone(),
                    reason: format!("expected an RFC 3339 time such as 2026-01-01T00:00:00Z ({e})"),
                })
        }
        WaitCondition::AfterDataIntervalEndMs(_) => Ok(()),
        WaitCondition::External(wait) => {
            check_id(&wait.dag_id).map_err(|issue| OrchestrationIssue::BadExternalId {
                what: "DAG",
                id: wait.dag_id.clone(),
                issue,
            })?;
            if let Some(task) = &wait.task_id {
                check_id(task).map_err(|issue| OrchestrationIssue::BadExternalId {
                    what: "task",
                    id: task.clone(),
                    issue,
                })?;
            }
            if let crate::orchestration::RunSelector::RunId(run_id) = &wait.run
                && let Err(issue) = crate::validate::check_run_id(run_id)
            {
                return Err(OrchestrationIssue::BadExternalId {
                    what: "run",
                    id: run_id.clone(),
                    issue,
                });
            }
            for &state in wait.allowed_states.iter().chain(&wait.failed_states) {
                let ended = matches!(
                    state,
                    TaskState::Success
                        | TaskState::Failed
                        | TaskState::Skipped
                        | TaskState::UpstreamFailed
                );
                if !ended {
                    return Err(OrchestrationIssue::BadWaitState {
                        state,
                        problem: "is not a state a run or task ends in",
                    });
                }
                if wait.task_id.is_none()
                    && !matches!(state, TaskState::Success | TaskState::Failed)
                {
                    return Err(OrchestrationIssue::BadWaitState {
                        state,
                        problem: "is not a state a run ends in (success or failed)",
                    });
                }
            }
            if let Some(&state) = wait
                .allowed_states
                .iter()
                .find(|s| wait.failed_states.contains(s))
            {
                return Err(OrchestrationIssue::BadWaitState {
                    state,
                    problem: "is both allowed and failed",
                });
            }
            Ok(())
        }
    }
}

fn check_notifier(notifier: &Notifier) -> Result<(), OrchestrationIssue> {
    let bad = |problem: String| OrchestrationIssue::BadNotifier { problem };
    match notifier {
        Notifier::Webhook(conn_id) => {
            check_id(conn_id).map_err(|e| bad(format!("connection id {conn_id:?} {e}")))
        }
        Notifier::Email(email) => {
            check_id(&email.conn_id)
                .map_err(|e| bad(format!("connection id {:?} {e}", email.conn_id)))?;
            if email.to.is_empty() {
                return Err(bad("an email notifier needs at least one recipient".into()));
            }
            match email.to.iter().find(|to| !plausible_address(to)) {
                Some(to) => Err(bad(format!("recipient {to:?} is not an email address"))),
                None => Ok(()),
            }
        }
    }
}

/// `local@domain` with no spaces or angle brackets: the full check is the mailer's.
fn plausible_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || "<>,;".contains(c))
}
