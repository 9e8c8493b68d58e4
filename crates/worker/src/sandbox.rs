//! The sandbox of one attempt: the worker's limits with the task's own settings, then what
//! the attempt's tenant policy resolved when it was queued (carried in its message), and the
//! tenant's egress rules.

use std::sync::Arc;

use weft_model::egress::EgressRule;
use weft_protocol::TaskMessage;
use weft_runtime::Limits;

/// An attempt's limits and its tenant's egress rules.
#[derive(Debug)]
pub(crate) struct AttemptSandbox {
    pub(crate) limits: Limits,
    pub(crate) egress: Option<Arc<[EgressRule]>>,
}

impl AttemptSandbox {
    /// The sandbox of `message`'s attempt of `task`, starting from the worker's `limits`. A
    /// tenant rule that does not parse is refused, never dropped: dropping it would let the
    /// attempt reach less than it should, and a bad rule can only come from a newer peer.
    pub(crate) fn of(
        limits: Limits,
        task: &weft_model::Task,
        message: &TaskMessage,
    ) -> Result<AttemptSandbox, String> {
        let mut limits = limits.for_task(task);
        let tenant = &message.limits;
        limits.timeout = tenant.timeout(limits.timeout);
        limits.memory_bytes = tenant.memory_bytes(limits.memory_bytes);
        limits.fuel = tenant.fuel(limits.fuel);
        let egress = match &message.tenant_egress {
            Some(rules) => Some(
                rules
                    .iter()
                    .map(|r| {
                        r.parse::<EgressRule>().map_err(|e| {
                            format!("tenant {}'s egress rule {r:?}: {e}", message.tenant)
                        })
                    })
                    .collect::<Result<Arc<[EgressRule]>, String>>()?,
            ),
            None => None,
        };
        Ok(AttemptSandbox { limits, egress })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use weft_model::tenant_sandbox::AttemptLimits;
    use weft_model::{DagSpec, TaskSettings, TaskSpec};

    use super::*;

    fn task(timeout_ms: Option<u64>) -> weft_model::Dag {
        DagSpec {
            tasks: vec![TaskSpec {
                settings: TaskSettings {
                    execution_timeout_ms: timeout_ms,
                    ..TaskSettings::default()
                },
                ..TaskSpec::new("t")
            }],
            ..DagSpec::new("d")
        }
        .validate()
        .expect("valid test DAG")
    }

    fn message(limits: AttemptLimits, egress: Option<Vec<String>>) -> TaskMessage {
        let at = jiff::Timestamp::UNIX_EPOCH;
        TaskMessage {
            ti: 1,
            lease: 1,
            attempt_key: None,
            run: 1,
            tenant: "team-a".into(),
            dag_id: "d".into(),
            run_id: "r".into(),
            task_id: "t".into(),
            try_number: 1,
            max_tries: 1,
            digest: "sha256:00".into(),
            queue: "default".into(),
            logical_date: at,
            data_interval_start: at,
            data_interval_end: at,
            conf: serde_json::json!({}),
            upstream: Vec::new(),
            upstream_outputs: None,
            event: None,
            map_index: None,
            map_item: None,
            limits,
            tenant_egress: egress,
        }
    }

    #[test]
    fn the_tenants_resolved_limits_replace_the_workers_and_the_tasks() {
        let dag = task(Some(5_000));
        let t = dag.task("t").expect("task");
        let own = AttemptSandbox::of(
            Limits::default(),
            t,
            &message(AttemptLimits::default(), None),
        )
        .expect("sandbox");
        assert_eq!(own.limits.timeout, Duration::from_secs(5));
        assert_eq!(own.limits.fuel, None);
        assert!(own.egress.is_none());
        let resolved = AttemptLimits {
            timeout_ms: Some(1_000),
            memory_bytes: Some(1 << 20),
            fuel: Some(42),
            ..AttemptLimits::default()
        };
        let tenant = AttemptSandbox::of(
            Limits::default(),
            t,
            &message(resolved, Some(vec!["https://api.example.com".into()])),
        )
        .expect("sandbox");
        assert_eq!(tenant.limits.timeout, Duration::from_secs(1));
        assert_eq!(tenant.limits.memory_bytes, 1 << 20);
        assert_eq!(tenant.limits.fuel, Some(42));
        assert_eq!(tenant.egress.as_deref().map(<[_]>::len), Some(1));
        let nowhere =
            AttemptSandbox::of(Limits::default(), t, &message(resolved, Some(Vec::new())))
                .expect("sandbox");
        assert_eq!(nowhere.egress.as_deref().map(<[_]>::len), Some(0));
        // Ceilings alone bring the worker's own limits down, never up.
        let ceilings = AttemptLimits {
            max_timeout_ms: Some(500),
            max_memory_bytes: Some(u64::MAX),
            max_fuel: Some(9),
            ..AttemptLimits::default()
        };
        let capped =
            AttemptSandbox::of(Limits::default(), t, &message(ceilings, None)).expect("sandbox");
        assert_eq!(capped.limits.timeout, Duration::from_millis(500));
        assert_eq!(capped.limits.memory_bytes, Limits::default().memory_bytes);
        assert_eq!(capped.limits.fuel, Some(9));
    }

    #[test]
    fn a_tasks_own_cpu_budget_holds_unless_the_tenant_resolved_another() {
        let dag = DagSpec {
            tasks: vec![TaskSpec {
                settings: TaskSettings {
                    resources: Some(weft_model::Resources {
                        fuel: Some(1_000),
                        ..weft_model::Resources::default()
                    }),
                    ..TaskSettings::default()
                },
                ..TaskSpec::new("t")
            }],
            ..DagSpec::new("d")
        }
        .validate()
        .expect("valid test DAG");
        let t = dag.task("t").expect("task");
        let worker = Limits {
            fuel: Some(1_000_000),
            ..Limits::default()
        };
        let sandbox = |limits| {
            AttemptSandbox::of(worker, t, &message(limits, None))
                .expect("sandbox")
                .limits
                .fuel
        };
        // No tenant policy: the task's own budget, not the worker's.
        assert_eq!(sandbox(AttemptLimits::default()), Some(1_000));
        // A tenant's ceiling below it caps it.
        let ceiling = AttemptLimits {
            max_fuel: Some(600),
            ..AttemptLimits::default()
        };
        assert_eq!(sandbox(ceiling), Some(600));
        // What the scheduler resolved for the tenant goes first.
        let resolved = AttemptLimits {
            fuel: Some(800),
            max_fuel: Some(900),
            ..AttemptLimits::default()
        };
        assert_eq!(sandbox(resolved), Some(800));
    }

    #[test]
    fn a_bad_tenant_rule_refuses_the_attempt() {
        let dag = task(None);
        let t = dag.task("t").expect("task");
        let error = AttemptSandbox::of(
            Limits::default(),
            t,
            &message(AttemptLimits::default(), Some(vec!["gopher://x".into()])),
        )
        .expect_err("refused");
        assert!(
            error.contains("team-a") && error.contains("gopher://x"),
            "{error}"
        );
    }
}
