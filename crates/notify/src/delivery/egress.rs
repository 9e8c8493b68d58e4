//! The egress policy tasks live under, applied to notifications: a destination must be
//! allowed by one of the operator's rules (`--egress-allow`) and, when the DAG's tenant has
//! rules of its own, by one of those, and every address it resolves to must be public or in
//! a range the operator allows (`--egress-allow-net`).

use std::net::SocketAddr;

use weft_model::egress::{AllowedEgress, EgressRequest, EgressRule, Scheme};

use crate::AddressPolicy;

/// The operator's egress policy for one kind of delivery: a webhook's POST over `http` or
/// `https`, or an email's SMTP connection (a `tcp` rule).
pub(crate) struct EgressCheck<'a> {
    pub(crate) policy: &'a AllowedEgress,
    pub(crate) scheme: Scheme,
    pub(crate) method: &'a str,
    /// The rules of the notification's tenant, when it has its own.
    pub(crate) tenant: Option<&'a [EgressRule]>,
}

impl AddressPolicy for EgressCheck<'_> {
    fn check_destination(&self, host: &str, port: u16) -> Result<(), String> {
        let host = host.to_ascii_lowercase();
        let request = EgressRequest {
            method: self.method,
            scheme: self.scheme,
            host: &host,
            port,
        };
        if !self.policy.allows(&request) {
            let method = if self.method.is_empty() {
                String::new()
            } else {
                format!("{} ", self.method)
            };
            return Err(format!(
                "{method}{}://{host}:{port} is not allowed by this installation's egress policy",
                self.scheme.as_str(),
            ));
        }
        if let Some(rules) = self.tenant
            && !rules.iter().any(|r| r.matches(&request))
        {
            return Err(format!(
                "{}://{host}:{port} is not in the tenant's egress rules",
                self.scheme.as_str(),
            ));
        }
        Ok(())
    }

    fn check(&self, host: &str, addr: SocketAddr) -> Result<(), String> {
        self.check_destination(host, addr.port())?;
        self.policy.check_address(addr.ip())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &[&str], nets: &[&str]) -> AllowedEgress {
        AllowedEgress {
            rules: rules.iter().map(|r| r.parse().expect("rule")).collect(),
            nets: nets.iter().map(|n| n.parse().expect("net")).collect(),
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    #[test]
    fn a_destination_needs_a_rule_and_an_allowed_address() {
        let open = policy(
            &["http://127.0.0.1:*", "tcp://127.0.0.1:*"],
            &["127.0.0.0/8"],
        );
        let webhook = EgressCheck {
            policy: &open,
            scheme: Scheme::Http,
            method: "POST",
            tenant: None,
        };
        assert!(webhook.check("127.0.0.1", addr("127.0.0.1:8080")).is_ok());
        let err = webhook
            .check("10.0.0.1", addr("10.0.0.1:80"))
            .expect_err("no rule");
        assert!(err.contains("egress policy"), "{err}");

        // A rule without the range: a loopback address is still refused.
        let no_net = policy(&["http://127.0.0.1:*"], &[]);
        let webhook = EgressCheck {
            policy: &no_net,
            scheme: Scheme::Http,
            method: "POST",
            tenant: None,
        };
        let err = webhook
            .check("127.0.0.1", addr("127.0.0.1:8080"))
            .expect_err("loopback");
        assert!(err.contains("loopback"), "{err}");

        // An HTTP rule does not open SMTP.
        let http_only = policy(&["http://127.0.0.1:*"], &["127.0.0.0/8"]);
        let smtp = EgressCheck {
            policy: &http_only,
            scheme: Scheme::Tcp,
            method: "",
            tenant: None,
        };
        assert!(smtp.check("127.0.0.1", addr("127.0.0.1:25")).is_err());

        // Nothing is allowed by default.
        let none = AllowedEgress::default();
        let webhook = EgressCheck {
            policy: &none,
            scheme: Scheme::Https,
            method: "POST",
            tenant: None,
        };
        assert!(
            webhook
                .check("hooks.example.com", addr("93.184.215.14:443"))
                .is_err()
        );
    }

    #[test]
    fn a_tenants_rules_narrow_the_operators() {
        let open = policy(&["http://127.0.0.1:*"], &["127.0.0.0/8"]);
        let tenant: Vec<EgressRule> = vec!["http://127.0.0.1:9000".parse().expect("rule")];
        let webhook = EgressCheck {
            policy: &open,
            scheme: Scheme::Http,
            method: "POST",
            tenant: Some(&tenant),
        };
        assert!(webhook.check("127.0.0.1", addr("127.0.0.1:9000")).is_ok());
        let err = webhook
            .check("127.0.0.1", addr("127.0.0.1:8080"))
            .expect_err("outside the tenant's rules");
        assert!(err.contains("tenant's egress rules"), "{err}");
        let nowhere = EgressCheck {
            tenant: Some(&[]),
            ..webhook
        };
        assert!(nowhere.check("127.0.0.1", addr("127.0.0.1:9000")).is_err());
    }
}
