//! The operator's egress policy: which hosts and address ranges tasks may reach, the CA
//! certificates trusted besides the public roots, and per-attempt limits on HTTP and TCP
//! (the egress proxy's) and on SQL (the SQL client's).

use std::sync::Arc;

use weft_egress::EgressLimits;
use weft_model::egress::{AllowedEgress, EgressRule};

/// The installation's egress policy. The default allows nothing: a task reaches a host
/// only when both its DAG and this policy allow it.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    /// The rules the operator allows (a request must match one of these and one of the
    /// task's) and the non-public address ranges they may reach; notifications go out under
    /// the same.
    pub allowed: AllowedEgress,
    /// What HTTPS trusts: the public web roots, and the operator's CA files.
    pub trust: weft_tls::Trust,
    /// Per-attempt limits.
    pub limits: EgressLimits,
    /// Per-attempt limits on SQL through the host (`sql`), and its pools.
    pub sql: weft_sql::SqlLimits,
}

/// Why an egress policy could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EgressPolicyError {
    /// A CA file, or the TLS settings built from the trusted roots, cannot be used.
    #[error(transparent)]
    Tls(#[from] weft_tls::TlsError),
}

impl EgressPolicy {
    /// The egress rules of `dag`'s tasks that this policy does not cover, as
    /// `task "ID": RULE`: a deploy asking for them is refused, so that a task never fails
    /// at run time on what the operator could have said at deploy time.
    pub fn outside(&self, dag: &weft_model::Dag) -> Vec<String> {
        let mut outside = Vec::new();
        for task in dag.tasks() {
            let asked: Vec<EgressRule> = task
                .resources
                .egress_allowlist
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect();
            for rule in weft_model::egress::not_covered(&asked, &self.allowed.rules) {
                outside.push(format!("task {:?}: {rule}", task.id));
            }
        }
        outside
    }

    /// Trusts the PEM certificates of `path` for HTTPS too.
    pub fn trust_pem_file(&mut self, path: &std::path::Path) -> Result<(), EgressPolicyError> {
        Ok(self.trust.add_ca_file(path)?)
    }

    /// The TLS client settings of this policy: the public web roots plus the extra ones.
    pub(crate) fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, EgressPolicyError> {
        Ok(self.trust.client_config()?)
    }
}

#[cfg(test)]
mod tests {
    use weft_model::{DagSpec, Resources, TaskSettings, TaskSpec};

    use super::*;

    fn rules(texts: &[&str]) -> Vec<EgressRule> {
        texts
            .iter()
            .map(|r| r.parse().expect("test rule"))
            .collect()
    }

    fn dag(egress: &[&str]) -> weft_model::Dag {
        let resources = Resources {
            egress_allowlist: egress.iter().map(|r| (*r).to_owned()).collect(),
            ..Resources::default()
        };
        let task = TaskSpec {
            settings: TaskSettings {
                resources: Some(resources),
                ..TaskSettings::default()
            },
            ..TaskSpec::new("load")
        };
        DagSpec {
            tasks: vec![task],
            ..DagSpec::new("etl")
        }
        .validate()
        .expect("valid spec")
    }

    #[test]
    fn a_deploy_asking_for_tcp_needs_a_tcp_rule_of_the_operator() {
        let dag = dag(&["tcp://db.internal:5432", "https://api.example.com"]);
        let http_only = EgressPolicy {
            allowed: AllowedEgress {
                rules: rules(&["db.internal:*", "https://api.example.com"]),
                ..AllowedEgress::default()
            },
            ..EgressPolicy::default()
        };
        assert_eq!(
            http_only.outside(&dag),
            ["task \"load\": tcp://db.internal:5432"]
        );
        let other_port = EgressPolicy {
            allowed: AllowedEgress {
                rules: rules(&["tcp://db.internal:5433", "api.example.com"]),
                ..AllowedEgress::default()
            },
            ..EgressPolicy::default()
        };
        assert_eq!(
            other_port.outside(&dag),
            ["task \"load\": tcp://db.internal:5432"]
        );
        let with_tcp = EgressPolicy {
            allowed: AllowedEgress {
                rules: rules(&["tcp://*.internal:*", "api.example.com"]),
                ..AllowedEgress::default()
            },
            ..EgressPolicy::default()
        };
        assert!(with_tcp.outside(&dag).is_empty());
    }
}
