//! A tenant's sandbox policy: where its tasks may send requests and open connections, and
//! the limits its tasks get when their DAG sets none (defaults) and cannot go past
//! (ceilings).
//!
//! A request of a tenant's task goes out only when the task's own rules, the operator's and
//! the tenant's all allow it; a deploy asking for more than the tenant allows, or for a
//! timeout, memory or CPU budget past a ceiling, is refused. The limits of each attempt are resolved
//! when it is queued: the task's own setting, else the tenant's default, else the worker's,
//! never past the tenant's ceiling (which a ceiling lowered after a deploy still caps). A
//! ceiling only ever lowers a limit: it is not a default.
//!
//! ```
//! use std::time::Duration;
//! use weft_model::tenant_sandbox::TenantSandbox;
//!
//! let sandbox = TenantSandbox {
//!     default_fuel: Some(1_000_000),
//!     max_timeout_ms: Some(60_000),
//!     ..TenantSandbox::default()
//! };
//! assert!(sandbox.check().is_ok());
//! let limits = sandbox.resolve(Some(Duration::from_secs(600)), None, None);
//! assert_eq!(limits.timeout_ms, Some(60_000));
//! assert_eq!(limits.fuel, Some(1_000_000));
//! assert_eq!(limits.memory_bytes, None);
//! // The worker's own timeout (an hour, say) is capped too.
//! assert_eq!(limits.timeout(Duration::from_secs(3600)), Duration::from_secs(60));
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::egress::{EgressRule, not_covered};

/// Most egress rules a tenant may have.
pub const MAX_TENANT_EGRESS_RULES: usize = 256;

/// A tenant's egress rules and the defaults and ceilings of its tasks' limits; each `None`
/// is no default or no ceiling of the tenant's (the worker's own apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantSandbox {
    /// Where the tenant's tasks may send HTTP requests and open TCP connections, as
    /// [egress rules](crate::egress::EgressRule), within what the operator allows. Not set:
    /// the operator's policy alone; empty: nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_allow: Option<Vec<String>>,
    /// Wall-clock limit of an attempt whose task sets none, in milliseconds.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub default_timeout_ms: Option<u64>,
    /// Longest wall-clock limit an attempt may have, in milliseconds.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_timeout_ms: Option<u64>,
    /// Linear memory of an attempt whose task asks for none, in bytes.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub default_memory_bytes: Option<u64>,
    /// Most linear memory an attempt may have, in bytes.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_memory_bytes: Option<u64>,
    /// CPU budget of an attempt whose task sets none, in fuel units (about one per
    /// WebAssembly instruction).
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub default_fuel: Option<u64>,
    /// Largest CPU budget an attempt may have, in fuel units.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_fuel: Option<u64>,
}

/// The limits one attempt of a tenant's task gets, resolved when it is queued: each value
/// (`None` leaves the worker's own) and the ceiling the worker's own is brought down to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptLimits {
    /// Wall-clock limit, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Most linear memory, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// CPU budget, in fuel units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// The tenant's ceiling of the wall-clock limit, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_timeout_ms: Option<u64>,
    /// The tenant's ceiling of memory, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_bytes: Option<u64>,
    /// The tenant's ceiling of the CPU budget, in fuel units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fuel: Option<u64>,
}

impl AttemptLimits {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == AttemptLimits::default()
    }

    /// The attempt's wall-clock limit, given the worker's own.
    pub fn timeout(&self, worker: Duration) -> Duration {
        let value = self.timeout_ms.map_or(worker, Duration::from_millis);
        self.max_timeout_ms
            .map_or(value, |max| value.min(Duration::from_millis(max)))
    }

    /// The attempt's memory, given the worker's own, in bytes.
    pub fn memory_bytes(&self, worker: u64) -> u64 {
        let value = self.memory_bytes.unwrap_or(worker);
        self.max_memory_bytes.map_or(value, |max| value.min(max))
    }

    /// The attempt's CPU budget, given the worker's own (`None`: unlimited).
    pub fn fuel(&self, worker: Option<u64>) -> Option<u64> {
        match (self.fuel.or(worker), self.max_fuel) {
            (Some(value), Some(max)) => Some(value.min(max)),
            (None, max) => max,
            (value, None) => value,
        }
    }
}

impl TenantSandbox {
    /// Checks that each limit set is at least 1, that no default is past its ceiling, and
    /// that every egress rule parses.
    pub fn check(&self) -> Result<(), String> {
        let pairs = [
            ("timeout_ms", self.default_timeout_ms, self.max_timeout_ms),
            (
                "memory_bytes",
                self.default_memory_bytes,
                self.max_memory_bytes,
            ),
            ("fuel", self.default_fuel, self.max_fuel),
        ];
        for (name, default, max) in pairs {
            if default == Some(0) {
                return Err(format!(
                    "default_{name} is at least 1 (leave it out for the worker's own)"
                ));
            }
            if max == Some(0) {
                return Err(format!("max_{name} is at least 1 (leave it out for none)"));
            }
            if let (Some(default), Some(max)) = (default, max)
                && default > max
            {
                return Err(format!("default_{name} {default} is past max_{name} {max}"));
            }
        }
        if let Some(rules) = &self.egress_allow {
            if rules.len() > MAX_TENANT_EGRESS_RULES {
                return Err(format!(
                    "egress_allow has {} rules; at most {MAX_TENANT_EGRESS_RULES}",
                    rules.len()
                ));
            }
            self.egress_rules()?;
        }
        Ok(())
    }

    /// The tenant's egress rules, parsed; `None` when it sets none (the operator's policy
    /// alone).
    pub fn egress_rules(&self) -> Result<Option<Vec<EgressRule>>, String> {
        let Some(rules) = &self.egress_allow else {
            return Ok(None);
        };
        rules
            .iter()
            .map(|r| {
                r.parse::<EgressRule>()
                    .map_err(|e| format!("egress_allow rule {r:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The limits of an attempt of a task that sets `timeout`, `memory_bytes` and `fuel`
    /// (each `None` when it sets none): its own, else the tenant's default, at most the
    /// tenant's ceiling, which is carried along for the worker's own limits.
    pub fn resolve(
        &self,
        timeout: Option<Duration>,
        memory_bytes: Option<u64>,
        fuel: Option<u64>,
    ) -> AttemptLimits {
        let timeout_ms = timeout.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        AttemptLimits {
            timeout_ms: capped(timeout_ms.or(self.default_timeout_ms), self.max_timeout_ms),
            memory_bytes: capped(
                memory_bytes.or(self.default_memory_bytes),
                self.max_memory_bytes,
            ),
            fuel: capped(fuel.or(self.default_fuel), self.max_fuel),
            max_timeout_ms: self.max_timeout_ms,
            max_memory_bytes: self.max_memory_bytes,
            max_fuel: self.max_fuel,
        }
    }

    /// What `dag` asks for past this policy, one line per task and setting
    /// (`task "ID": ...`): a deploy asking for it is refused.
    pub fn outside(&self, dag: &crate::Dag) -> Vec<String> {
        let mut outside = Vec::new();
        let tenant_rules = self.egress_rules().ok().flatten();
        for task in dag.tasks() {
            if let (Some(timeout), Some(max)) = (task.execution_timeout, self.max_timeout_ms)
                && timeout.as_millis() > u128::from(max)
            {
                outside.push(format!(
                    "task {:?}: execution timeout {} ms is past the tenant's max_timeout_ms {max}",
                    task.id,
                    timeout.as_millis()
                ));
            }
            if let (Some(memory), Some(max)) = (task.resources.memory_bytes, self.max_memory_bytes)
                && memory > max
            {
                outside.push(format!(
                    "task {:?}: memory {memory} bytes is past the tenant's max_memory_bytes {max}",
                    task.id
                ));
            }
            if let (Some(fuel), Some(max)) = (task.resources.fuel, self.max_fuel)
                && fuel > max
            {
                outside.push(format!(
                    "task {:?}: fuel {fuel} is past the tenant's max_fuel {max}",
                    task.id
                ));
            }
            if let Some(allowed) = &tenant_rules {
                let asked: Vec<EgressRule> = task
                    .resources
                    .egress_allowlist
                    .iter()
                    .filter_map(|r| r.parse().ok())
                    .collect();
                for rule in not_covered(&asked, allowed) {
                    outside.push(format!(
                        "task {:?}: egress {rule} is not in the tenant's egress_allow",
                        task.id
                    ));
                }
            }
        }
        outside
    }
}

/// `value`, at most `max`.
fn capped(value: Option<u64>, max: Option<u64>) -> Option<u64> {
    match (value, max) {
        (Some(v), Some(max)) => Some(v.min(max)),
        (value, _) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DagSpec, Resources, TaskSettings, TaskSpec};

    fn dag(timeout_ms: Option<u64>, memory: Option<u64>, egress: &[&str]) -> crate::Dag {
        let task = TaskSpec {
            settings: TaskSettings {
                execution_timeout_ms: timeout_ms,
                resources: Some(Resources {
                    memory_bytes: memory,
                    egress_allowlist: egress.iter().map(|r| (*r).to_owned()).collect(),
                    ..Resources::default()
                }),
                ..TaskSettings::default()
            },
            ..TaskSpec::new("load")
        };
        DagSpec {
            tasks: vec![task],
            ..DagSpec::new("d")
        }
        .validate()
        .expect("valid test DAG")
    }

    #[test]
    fn limits_are_at_least_one_and_defaults_within_ceilings() {
        assert_eq!(TenantSandbox::default().check(), Ok(()));
        let zero = TenantSandbox {
            default_fuel: Some(0),
            ..TenantSandbox::default()
        };
        assert!(zero.check().unwrap_err().contains("default_fuel"));
        let zero_max = TenantSandbox {
            max_memory_bytes: Some(0),
            ..TenantSandbox::default()
        };
        assert!(zero_max.check().unwrap_err().contains("max_memory_bytes"));
        let past = TenantSandbox {
            default_timeout_ms: Some(10),
            max_timeout_ms: Some(5),
            ..TenantSandbox::default()
        };
        let error = past.check().unwrap_err();
        assert!(
            error.contains("default_timeout_ms 10 is past max_timeout_ms 5"),
            "{error}"
        );
    }

    #[test]
    fn a_bad_rule_is_named() {
        let sandbox = TenantSandbox {
            egress_allow: Some(vec!["api.example.com".into(), "ftp://x".into()]),
            ..TenantSandbox::default()
        };
        let error = sandbox.check().unwrap_err();
        assert!(error.contains("\"ftp://x\""), "{error}");
        let many = TenantSandbox {
            egress_allow: Some(vec!["a.example".into(); MAX_TENANT_EGRESS_RULES + 1]),
            ..TenantSandbox::default()
        };
        assert!(many.check().unwrap_err().contains("at most"));
    }

    #[test]
    fn resolving_takes_the_task_then_the_default_within_the_ceiling() {
        let sandbox = TenantSandbox {
            default_timeout_ms: Some(1_000),
            max_timeout_ms: Some(5_000),
            max_memory_bytes: Some(64 << 20),
            default_fuel: Some(7),
            ..TenantSandbox::default()
        };
        let ceilings = AttemptLimits {
            max_timeout_ms: Some(5_000),
            max_memory_bytes: Some(64 << 20),
            ..AttemptLimits::default()
        };
        let own = sandbox.resolve(Some(Duration::from_secs(2)), Some(1 << 20), None);
        assert_eq!(
            own,
            AttemptLimits {
                timeout_ms: Some(2_000),
                memory_bytes: Some(1 << 20),
                fuel: Some(7),
                ..ceilings
            }
        );
        let past = sandbox.resolve(Some(Duration::from_secs(60)), Some(1 << 30), Some(9));
        assert_eq!(
            past,
            AttemptLimits {
                timeout_ms: Some(5_000),
                memory_bytes: Some(64 << 20),
                fuel: Some(9),
                ..ceilings
            }
        );
        // Nothing set by the task: the tenant's default, else the worker's within the
        // ceiling. A ceiling never raises the worker's own.
        let none = sandbox.resolve(None, None, None);
        assert_eq!(none.timeout_ms, Some(1_000));
        assert_eq!(none.memory_bytes, None);
        assert_eq!(none.memory_bytes(256 << 20), 64 << 20);
        assert_eq!(none.memory_bytes(1 << 20), 1 << 20);
        assert_eq!(
            none.timeout(Duration::from_secs(3600)),
            Duration::from_secs(1)
        );
        assert!(
            TenantSandbox::default()
                .resolve(None, None, None)
                .is_empty()
        );
        let fuel_cap = TenantSandbox {
            max_fuel: Some(100),
            ..TenantSandbox::default()
        }
        .resolve(None, None, None);
        assert_eq!(fuel_cap.fuel(None), Some(100), "unlimited is brought down");
        assert_eq!(fuel_cap.fuel(Some(50)), Some(50));
        assert_eq!(AttemptLimits::default().fuel(None), None);
    }

    fn dag_with_fuel(fuel: u64) -> crate::Dag {
        let mut spec = DagSpec::new("d");
        spec.tasks.push(TaskSpec::new("burn"));
        spec.tasks[0].settings.resources = Some(Resources {
            fuel: Some(fuel),
            ..Resources::default()
        });
        spec.validate().expect("valid test DAG")
    }

    #[test]
    fn a_task_asking_for_more_fuel_than_the_ceiling_is_named() {
        let sandbox = TenantSandbox {
            max_fuel: Some(1_000),
            ..TenantSandbox::default()
        };
        assert!(sandbox.outside(&dag_with_fuel(1_000)).is_empty());
        assert_eq!(
            sandbox.outside(&dag_with_fuel(1_001)),
            ["task \"burn\": fuel 1001 is past the tenant's max_fuel 1000"]
        );
        assert!(
            TenantSandbox::default()
                .outside(&dag_with_fuel(u64::MAX))
                .is_empty()
        );
        let limits = sandbox.resolve(None, None, Some(5_000));
        assert_eq!(
            limits.fuel,
            Some(1_000),
            "a task's own budget is capped too"
        );
        let limits = TenantSandbox {
            default_fuel: Some(10),
            ..TenantSandbox::default()
        }
        .resolve(None, None, Some(500));
        assert_eq!(
            limits.fuel,
            Some(500),
            "a task's own budget beats the default"
        );
    }

    #[test]
    fn a_dag_past_the_ceilings_or_the_tenants_egress_is_named() {
        let sandbox = TenantSandbox {
            egress_allow: Some(vec!["https://*.example.com".into()]),
            max_timeout_ms: Some(1_000),
            max_memory_bytes: Some(1 << 20),
            ..TenantSandbox::default()
        };
        assert!(sandbox.outside(&dag(None, None, &[])).is_empty());
        assert!(
            sandbox
                .outside(&dag(
                    Some(1_000),
                    Some(1 << 20),
                    &["https://api.example.com"]
                ))
                .is_empty()
        );
        let outside = sandbox.outside(&dag(
            Some(1_001),
            Some(2 << 20),
            &["http://api.example.com"],
        ));
        assert_eq!(outside.len(), 3, "{outside:?}");
        assert!(outside[0].contains("max_timeout_ms 1000"), "{outside:?}");
        assert!(outside[1].contains("max_memory_bytes"), "{outside:?}");
        assert!(outside[2].contains("http://api.example.com"), "{outside:?}");
        let open = TenantSandbox::default();
        assert!(
            open.outside(&dag(Some(1 << 30), None, &["x.example"]))
                .is_empty()
        );
    }
}
