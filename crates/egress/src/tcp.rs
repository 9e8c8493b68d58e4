//! Raw TCP for tasks (`wasi:sockets`) under the egress policy: the check the runtime runs on
//! every socket address a guest uses.
//!
//! Only outgoing TCP connections are ever allowed, and only to an address that is public or
//! in a range the operator allows (the same address checks as HTTP), that a `tcp://` rule of
//! the task admits, and whose host, as that task rule names it, a `tcp://` rule of the
//! operator allows. The check sees an address, not the name the guest resolved: a task rule
//! naming a host admits the addresses that name resolves to now; a task rule
//! `tcp://*.domain:PORT` admits no address (no name to compare), so a task names its hosts
//! or addresses (the operator may use wildcards). Listening, accepting and UDP are refused.
//! A refusal is written `tcp denied: ...` in the attempt's log and counts like a refused
//! request; connections beyond [`EgressLimits::max_tcp_connections`] are refused too.
//! Name lookups are granted with sockets, but only for the hosts the task's `tcp://` rules
//! name ([`AttemptEgress::may_resolve`]; `dns denied: ...` in the log otherwise).
//!
//! [`EgressLimits::max_tcp_connections`]: crate::EgressLimits::max_tcp_connections

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use weft_model::egress::{EgressRequest, EgressRule, HostPattern, Scheme, address};

use crate::Egress;
use crate::attempt::AttemptEgress;
use crate::usage::Usage;

/// What a guest does with a socket address (wasmtime-wasi's `SocketAddrUse`, case by case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketUse {
    /// Binds a TCP socket.
    TcpBind,
    /// Connects a TCP socket out.
    TcpConnect,
    /// Listens on a TCP socket.
    TcpListen,
    /// Accepts a TCP connection.
    TcpAccept,
    /// Binds a UDP socket.
    UdpBind,
    /// Sends a UDP datagram.
    UdpSend,
    /// Receives a UDP datagram.
    UdpReceive,
}

/// The socket check of one attempt, shared by its sockets.
pub struct TcpPolicy {
    egress: Arc<Egress>,
    task_rules: Vec<EgressRule>,
    tenant_rules: Option<Arc<[EgressRule]>>,
    usage: Arc<Usage>,
    deadline: Instant,
}

impl AttemptEgress {
    /// Whether the task declares a `tcp://` rule, and its tenant (when it has rules of its
    /// own) has one too: sockets and name lookup are granted only then.
    pub fn wants_tcp(&self) -> bool {
        self.task_rules.iter().any(is_tcp)
            && self
                .tenant_rules
                .as_deref()
                .is_none_or(|rules| rules.iter().any(is_tcp))
    }

    /// Whether the task may look `name` up (`wasi:sockets/ip-name-lookup`): only a host that
    /// one of its `tcp://` rules names exactly, and that a `tcp://` rule of the operator (and
    /// of the tenant, when it has rules) names too. A wildcard task rule admits no connection
    /// (see the module's notes), so it opens no lookup either. An address written as text
    /// needs no resolver and passes (the connection is checked as always); a name that is
    /// not a host name at all is left to wasmtime-wasi to refuse. On refusal, says why.
    pub fn may_resolve(&self, name: &str) -> Result<(), String> {
        let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
        if bare.unwrap_or(name).parse::<IpAddr>().is_ok() {
            return Ok(());
        }
        // The resolver treats `name.` as `name`, and names without regard to case.
        let host = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        let named = |rules: &[EgressRule], exact: bool| {
            rules.iter().filter(|r| is_tcp(r)).any(|r| match &r.host {
                HostPattern::Name(n) if exact => *n == host,
                _ => !exact && r.host_matches(&host),
            })
        };
        if !named(&self.task_rules, true) {
            return Err(format!(
                "{name:?} is not a host the task's tcp:// egress rules name ({})",
                list(self.task_rules.iter().filter(|r| is_tcp(r)))
            ));
        }
        if !named(&self.egress.allowed.rules, false) {
            return Err(format!(
                "{name:?} is not a host this host's tcp:// egress rules allow"
            ));
        }
        if let Some(tenant) = &self.tenant_rules
            && !named(tenant, false)
        {
            return Err(format!(
                "{name:?} is not a host the tenant's tcp:// egress rules allow"
            ));
        }
        Ok(())
    }

    /// The socket address check of this attempt.
    pub fn socket_check(&self) -> Arc<TcpPolicy> {
        Arc::new(TcpPolicy {
            egress: self.egress.clone(),
            task_rules: self
                .task_rules
                .iter()
                .filter(|r| is_tcp(r))
                .cloned()
                .collect(),
            tenant_rules: self.tenant_rules.clone(),
            usage: self.usage.clone(),
            deadline: self.deadline,
        })
    }
}

fn is_tcp(rule: &EgressRule) -> bool {
    rule.scheme == Some(Scheme::Tcp)
}

impl TcpPolicy {
    /// Whether the guest may use `addr` so; a refusal is written to the attempt's log.
    pub async fn allows(&self, addr: SocketAddr, usage: SocketUse) -> bool {
        match usage {
            SocketUse::TcpConnect => match self.connect(addr).await {
                Ok(()) => {
                    weft_metrics::metrics().egress("socket", true);
                    true
                }
                Err(Refusal::Denied(why)) => {
                    self.usage.deny_tcp(format!("{addr}: {why}"));
                    false
                }
                Err(Refusal::Limit(why)) => {
                    self.usage.note(format!("egress limit: {why}"));
                    false
                }
            },
            // Before a connect, wasmtime-wasi checks the implicit bind to the unspecified
            // address and port 0. Such a bind lets nothing in as long as listening is refused.
            SocketUse::TcpBind if addr.ip().is_unspecified() && addr.port() == 0 => true,
            SocketUse::TcpBind | SocketUse::TcpListen | SocketUse::TcpAccept => {
                self.usage.deny_tcp(format!(
                    "{addr}: tasks may not bind or listen, only connect out"
                ));
                false
            }
            SocketUse::UdpBind | SocketUse::UdpSend | SocketUse::UdpReceive => {
                self.usage
                    .deny_tcp(format!("{addr}: UDP is not allowed, only TCP connections"));
                false
            }
        }
    }

    async fn connect(&self, addr: SocketAddr) -> Result<(), Refusal> {
        let ip = addr.ip().to_canonical();
        let port = addr.port();
        address::check(ip, &self.egress.allow_nets).map_err(Refusal::Denied)?;
        let resolve_by = (Instant::now() + self.usage.limits.connect_timeout).min(self.deadline);
        let hosts = admitted_as(&self.task_rules, ip, port, resolve_by).await;
        if hosts.is_empty() {
            return Err(Refusal::Denied(format!(
                "not in the task's tcp:// egress rules ({})",
                list(self.task_rules.iter())
            )));
        }
        if !operator_allows(&self.egress.allowed.rules, &hosts, port) {
            return Err(Refusal::Denied(format!(
                "not allowed by this host's tcp:// egress rules ({})",
                list(self.egress.allowed.rules.iter().filter(|r| is_tcp(r)))
            )));
        }
        if let Some(tenant) = &self.tenant_rules
            && !operator_allows(tenant, &hosts, port)
        {
            return Err(Refusal::Denied(format!(
                "not in the tenant's tcp:// egress rules ({})",
                list(tenant.iter().filter(|r| is_tcp(r)))
            )));
        }
        let max = self.usage.limits.max_tcp_connections;
        if !crate::usage::count_up_to(&self.usage.tcp_connections, max) {
            return Err(Refusal::Limit(format!(
                "the attempt may open at most {max} TCP connections"
            )));
        }
        Ok(())
    }
}

enum Refusal {
    /// The policy refuses the address.
    Denied(String),
    /// The attempt has used up a limit.
    Limit(String),
}

/// The hosts (names or addresses, as written in `rules`) under which `rules` admit a
/// connection to `ip` port `port`; empty when none does.
async fn admitted_as(
    rules: &[EgressRule],
    ip: IpAddr,
    port: u16,
    resolve_by: Instant,
) -> Vec<String> {
    let mut hosts = Vec::new();
    for rule in rules {
        if let Some(host) = admits(rule, ip, port, resolve_by).await {
            hosts.push(host);
        }
    }
    hosts
}

/// Whether a `tcp://` rule of the operator (or of the tenant) allows one of `hosts` (as the task's rules admitted
/// the connection) at `port`. Matching names, not addresses, lets `tcp://*.domain:PORT`
/// operator rules cover the task's rules as they do at deploy.
fn operator_allows(operator: &[EgressRule], hosts: &[String], port: u16) -> bool {
    hosts.iter().any(|host| {
        let request = EgressRequest {
            method: "",
            scheme: Scheme::Tcp,
            host,
            port,
        };
        operator.iter().any(|r| r.matches(&request))
    })
}

/// The host under which `rule` admits a connection to `ip` port `port`: its address, or its
/// name when that resolves to `ip`.
async fn admits(rule: &EgressRule, ip: IpAddr, port: u16, resolve_by: Instant) -> Option<String> {
    let host = match &rule.host {
        HostPattern::Ip(rule_ip) if rule_ip.to_canonical() == ip => ip.to_string(),
        HostPattern::Name(name) => name.clone(),
        HostPattern::Ip(_) | HostPattern::Subdomains(_) => return None,
    };
    let request = EgressRequest {
        method: "",
        scheme: Scheme::Tcp,
        host: &host,
        port,
    };
    if !rule.matches(&request) {
        return None;
    }
    if let HostPattern::Name(name) = &rule.host
        && !resolves_to(name, port, ip, resolve_by).await
    {
        return None;
    }
    Some(host)
}

/// Whether `name` resolves to `ip` now; a failed or late lookup is a no.
async fn resolves_to(name: &str, port: u16, ip: IpAddr, by: Instant) -> bool {
    let lookup = tokio::net::lookup_host((name, port));
    match tokio::time::timeout_at(tokio::time::Instant::from_std(by), lookup).await {
        Ok(Ok(mut addrs)) => addrs.any(|a| a.ip().to_canonical() == ip),
        Ok(Err(error)) => {
            tracing::debug!(%error, name, "tcp rule: lookup failed");
            false
        }
        Err(_) => false,
    }
}

fn list<'a>(rules: impl Iterator<Item = &'a EgressRule>) -> String {
    let shown: Vec<String> = rules.map(ToString::to_string).collect();
    if shown.is_empty() {
        return "none".into();
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> EgressRule {
        text.parse().expect("test rule")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn soon() -> Instant {
        Instant::now() + std::time::Duration::from_secs(5)
    }

    #[tokio::test]
    async fn address_rules_match_their_address_and_port() {
        let r = rule("tcp://10.0.0.5:5432");
        let admitted = admits(&r, ip("10.0.0.5"), 5432, soon()).await;
        assert_eq!(admitted.as_deref(), Some("10.0.0.5"));
        let mapped = ip("::ffff:10.0.0.5").to_canonical();
        assert!(admits(&r, mapped, 5432, soon()).await.is_some());
        assert!(admits(&r, ip("10.0.0.5"), 5433, soon()).await.is_none());
        assert!(admits(&r, ip("10.0.0.6"), 5432, soon()).await.is_none());
        assert!(
            admits(&rule("tcp://[::1]:*"), ip("::1"), 1, soon())
                .await
                .is_some()
        );
    }

    #[tokio::test]
    async fn http_and_wildcard_rules_admit_no_connection() {
        let http = rule("10.0.0.5:*");
        assert!(admits(&http, ip("10.0.0.5"), 5432, soon()).await.is_none());
        let wildcard = rule("tcp://*.internal:*");
        assert!(
            admits(&wildcard, ip("10.0.0.5"), 5432, soon())
                .await
                .is_none()
        );
    }

    #[tokio::test]
    async fn name_rules_match_what_the_name_resolves_to() {
        let r = rule("tcp://localhost:7000");
        let admitted = admits(&r, ip("127.0.0.1"), 7000, soon()).await;
        assert_eq!(admitted.as_deref(), Some("localhost"));
        assert!(admits(&r, ip("127.0.0.1"), 7001, soon()).await.is_none());
        assert!(admits(&r, ip("10.0.0.1"), 7000, soon()).await.is_none());
    }

    #[test]
    fn operator_rules_match_the_hosts_the_task_rules_named() {
        let operator = vec![rule("tcp://*.internal:*"), rule("db.example.com:*")];
        assert!(operator_allows(&operator, &["db.internal".into()], 5432));
        assert!(!operator_allows(&operator, &["10.0.0.5".into()], 5432));
        assert!(!operator_allows(
            &operator,
            &["db.example.com".into()],
            5432
        ));
    }
}
