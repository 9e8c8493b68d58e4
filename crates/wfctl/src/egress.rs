//! The egress policy flags shared by every command that runs tasks or takes deploys.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args as ClapArgs;
use weft_model::units::{parse_duration, parse_size};
use weft_runtime::EgressPolicy;

use crate::exit::Failure;

/// Where tasks may send HTTP requests and open raw TCP connections. Nothing is allowed unless
/// listed here; a task also needs the host in its own DAG's egress allowlist.
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct EgressArgs {
    /// A host tasks may reach: `[METHODS ][SCHEME://]HOST[:PORT]`, e.g. `*.example.com`,
    /// `GET https://api.example.com`, `http://10.0.0.5:*`, `tcp://db.internal:5432` (raw
    /// TCP, never implied by an HTTP rule). Repeat the flag for more; in
    /// the environment, separate rules with `;`. A deploy whose DAG asks for more is refused.
    #[arg(
        long = "egress-allow",
        value_name = "RULE",
        env = "WEFT_EGRESS_ALLOW",
        value_delimiter = ';'
    )]
    allow: Vec<String>,
    /// An address range tasks may reach although it is loopback, private or link-local
    /// (e.g. `10.0.0.0/8`); such addresses are refused otherwise, whatever the name says.
    #[arg(
        long = "egress-allow-net",
        value_name = "CIDR",
        env = "WEFT_EGRESS_ALLOW_NETS",
        value_delimiter = ','
    )]
    allow_nets: Vec<String>,
    /// PEM file of CA certificates trusted for tasks' HTTPS besides the public web roots.
    #[arg(
        long = "egress-ca-file",
        value_name = "PATH",
        env = "WEFT_EGRESS_CA_FILE"
    )]
    ca_file: Option<PathBuf>,
    /// Most HTTP requests one attempt may send (default 10000).
    #[arg(
        long = "egress-max-requests",
        value_name = "N",
        env = "WEFT_EGRESS_MAX_REQUESTS"
    )]
    max_requests: Option<u32>,
    /// Most raw TCP connections one attempt may open (default 100).
    #[arg(
        long = "egress-max-tcp-connections",
        value_name = "N",
        env = "WEFT_EGRESS_MAX_TCP_CONNECTIONS"
    )]
    max_tcp_connections: Option<u32>,
    /// Most request-body bytes one attempt may send, e.g. `100MiB` (default 1GiB).
    #[arg(
        long = "egress-max-sent",
        value_name = "SIZE",
        env = "WEFT_EGRESS_MAX_SENT"
    )]
    max_sent: Option<String>,
    /// Most response-body bytes one attempt may receive, e.g. `2GiB` (default 1GiB).
    #[arg(
        long = "egress-max-received",
        value_name = "SIZE",
        env = "WEFT_EGRESS_MAX_RECEIVED"
    )]
    max_received: Option<String>,
    /// Longest wait for a connection, TCP and TLS, e.g. `5s` (default 10s).
    #[arg(
        long = "egress-connect-timeout",
        value_name = "DURATION",
        env = "WEFT_EGRESS_CONNECT_TIMEOUT"
    )]
    connect_timeout: Option<String>,
    /// Longest wait for a response's first byte, and between two chunks of its body
    /// (default 60s).
    #[arg(
        long = "egress-read-timeout",
        value_name = "DURATION",
        env = "WEFT_EGRESS_READ_TIMEOUT"
    )]
    read_timeout: Option<String>,
    /// The caps on tasks' SQL.
    #[command(flatten)]
    sql: crate::sql_limits::SqlLimitArgs,
}

impl EgressArgs {
    /// The policy these flags describe; errors name the flag and value at fault.
    pub fn policy(&self) -> Result<EgressPolicy, Failure> {
        let mut policy = EgressPolicy::default();
        for rule in self.allow.iter().filter(|r| !r.trim().is_empty()) {
            let parsed = rule
                .parse()
                .map_err(|e| Failure::usage(format!("--egress-allow: {e}")))?;
            policy.allowed.rules.push(parsed);
        }
        for net in self.allow_nets.iter().filter(|n| !n.trim().is_empty()) {
            let net = net.trim();
            let parsed = net
                .parse()
                .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            let parsed = parsed.map_err(|_| {
                Failure::usage(format!(
                    "--egress-allow-net: {net:?} is not an address range such as 10.0.0.0/8 or an address"
                ))
            })?;
            policy.allowed.nets.push(parsed);
        }
        let limits = &mut policy.limits;
        if let Some(n) = self.max_requests {
            limits.max_requests = n;
        }
        if let Some(n) = self.max_tcp_connections {
            limits.max_tcp_connections = n;
        }
        if let Some(text) = &self.max_sent {
            limits.max_sent_bytes = size(text, "--egress-max-sent")?;
        }
        if let Some(text) = &self.max_received {
            limits.max_received_bytes = size(text, "--egress-max-received")?;
        }
        if let Some(text) = &self.connect_timeout {
            limits.connect_timeout = duration(text, "--egress-connect-timeout")?;
        }
        if let Some(text) = &self.read_timeout {
            let timeout = duration(text, "--egress-read-timeout")?;
            limits.first_byte_timeout = timeout;
            limits.between_bytes_timeout = timeout;
        }
        self.sql.apply(&mut policy.sql)?;
        if let Some(path) = &self.ca_file {
            policy
                .trust_pem_file(path)
                .map_err(|e| Failure::usage(format!("--egress-ca-file: {e}")))?;
        }
        Ok(policy)
    }
}

pub(crate) fn size(text: &str, flag: &str) -> Result<u64, Failure> {
    parse_size(text).map_err(|e| Failure::usage(format!("invalid {flag}: {e}")))
}

pub(crate) fn duration(text: &str, flag: &str) -> Result<Duration, Failure> {
    match parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(Failure::usage(format!(
            "invalid {flag}: it must be more than 0"
        ))),
        Err(e) => Err(Failure::usage(format!("invalid {flag}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        egress: EgressArgs,
    }

    fn policy(args: &[&str]) -> Result<EgressPolicy, Failure> {
        let command = Command::try_parse_from(std::iter::once("wfctl").chain(args.iter().copied()))
            .expect("the flags parse");
        command.egress.policy()
    }

    fn usage(result: Result<EgressPolicy, Failure>) -> String {
        match result {
            Err(Failure::Usage(message)) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn limits_come_from_the_flags_and_default_otherwise() {
        let defaults = policy(&[]).expect("valid").limits;
        assert_eq!(defaults, weft_runtime::EgressLimits::default());
        let set = policy(&[
            "--egress-max-requests",
            "3",
            "--egress-max-tcp-connections",
            "4",
            "--egress-max-sent",
            "1MiB",
            "--egress-max-received",
            "2GiB",
            "--egress-connect-timeout",
            "2s",
            "--egress-read-timeout",
            "90s",
        ])
        .expect("valid")
        .limits;
        assert_eq!(set.max_requests, 3);
        assert_eq!(set.max_tcp_connections, 4);
        assert_eq!(set.max_sent_bytes, 1 << 20);
        assert_eq!(set.max_received_bytes, 2 << 30);
        assert_eq!(set.connect_timeout, Duration::from_secs(2));
        assert_eq!(set.first_byte_timeout, Duration::from_secs(90));
        assert_eq!(set.between_bytes_timeout, Duration::from_secs(90));
    }

    #[test]
    fn bad_values_name_their_flag() {
        let message = usage(policy(&["--egress-max-received", "lots"]));
        assert!(message.contains("--egress-max-received"), "{message}");
        let message = usage(policy(&["--egress-connect-timeout", "0s"]));
        assert!(
            message.contains("--egress-connect-timeout") && message.contains("more than 0"),
            "{message}"
        );
        let message = usage(policy(&["--egress-allow", "GET ftp://x"]));
        assert!(message.contains("--egress-allow"), "{message}");
        let message = usage(policy(&["--egress-allow-net", "10.0.0.0/33"]));
        assert!(message.contains("10.0.0.0/33"), "{message}");
    }
}
