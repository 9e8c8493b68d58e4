//! What an installation lets out: the operator's egress rules (`--egress-allow`) and the
//! address ranges they may reach although those are not public (`--egress-allow-net`).
//! Tasks' HTTP, TCP and SQL connections (in `weft-runtime`) and the notifications Weft sends
//! on a DAG's behalf (in `weft-notify`) pass these same checks, so that a notification can
//! reach nothing a task could not.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{EgressRequest, EgressRule, address};

/// The operator's egress allowance. The default allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedEgress {
    /// Rules the operator allows; a request must match one of these (and, for a task, one of
    /// its DAG's too).
    pub rules: Vec<EgressRule>,
    /// Address ranges that may be reached although they are loopback, private, link-local
    /// or otherwise not public (e.g. `10.0.0.0/8` for services inside the network).
    pub nets: Vec<IpNet>,
}

impl AllowedEgress {
    /// Whether one of the operator's rules allows `request`.
    pub fn allows(&self, request: &EgressRequest<'_>) -> bool {
        self.rules.iter().any(|rule| rule.matches(request))
    }

    /// Whether traffic may go to `ip`: a public address, or one in a range of
    /// [`nets`](Self::nets). On refusal, says why.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), String> {
        address::check(ip, &self.nets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::Scheme;

    #[test]
    fn a_rule_opens_a_destination_and_a_range_opens_its_addresses() {
        let allowed = AllowedEgress {
            rules: vec!["http://127.0.0.1:*".parse().expect("rule")],
            nets: vec!["127.0.0.0/8".parse().expect("net")],
        };
        let request = EgressRequest {
            method: "POST",
            scheme: Scheme::Http,
            host: "127.0.0.1",
            port: 8080,
        };
        assert!(allowed.allows(&request));
        assert!(!allowed.allows(&EgressRequest {
            scheme: Scheme::Tcp,
            ..request
        }));
        assert!(
            allowed
                .check_address("127.0.0.1".parse().expect("ip"))
                .is_ok()
        );
        let err = allowed
            .check_address("10.0.0.1".parse().expect("ip"))
            .expect_err("a private address outside the ranges");
        assert!(err.contains("private"), "{err}");
        let nothing = AllowedEgress::default();
        assert!(!nothing.allows(&request));
        assert!(
            nothing
                .check_address("127.0.0.1".parse().expect("ip"))
                .is_err()
        );
        assert!(
            nothing
                .check_address("93.184.215.14".parse().expect("ip"))
                .is_ok()
        );
    }
}
