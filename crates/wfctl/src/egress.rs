//! The egress policy flags shared by every command that runs tasks or takes deploys.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use weft_runtime::EgressPolicy;

use crate::exit::Failure;

/// Where tasks may send HTTP requests. Nothing is allowed unless listed here; a task also
/// needs the host in its own DAG's egress allowlist.
#[derive(Debug, Clone, Default, ClapArgs)]
pub struct EgressArgs {
    /// A host tasks may reach: `[METHODS ][SCHEME://]HOST[:PORT]`, e.g. `*.example.com`,
    /// `GET https://api.example.com`, `http://10.0.0.5:*`. Repeat the flag for more; in
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
}

impl EgressArgs {
    /// The policy these flags describe; errors name the flag and value at fault.
    pub fn policy(&self) -> Result<EgressPolicy, Failure> {
        let mut policy = EgressPolicy::default();
        for rule in self.allow.iter().filter(|r| !r.trim().is_empty()) {
            let parsed = rule
                .parse()
                .map_err(|e| Failure::usage(format!("--egress-allow: {e}")))?;
            policy.allow.push(parsed);
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
            policy.allow_nets.push(parsed);
        }
        if let Some(path) = &self.ca_file {
            policy
                .trust_pem_file(path)
                .map_err(|e| Failure::usage(format!("--egress-ca-file: {e}")))?;
        }
        Ok(policy)
    }
}
