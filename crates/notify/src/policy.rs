//! Which addresses a notification may be delivered to. Weft resolves the destination's host
//! itself, asks the [`AddressPolicy`] about every address the name resolves to, refuses the
//! delivery when any of them is refused, and then connects to one of the checked addresses
//! (never resolving again), so a name that later points somewhere else (a DNS rebind)
//! cannot reach an address the policy would refuse.

use std::net::{IpAddr, SocketAddr};

use crate::error::DeliveryError;

/// Judges the addresses a notification may be delivered to. [`delivery`](crate::delivery)
/// plugs in the same rules as task egress (the operator's rules and the tenant's, public
/// addresses, plus ranges the operator allows).
pub trait AddressPolicy: Send + Sync {
    /// Whether `host` port `port` may be a destination at all, asked before the name is
    /// resolved: a destination no rule allows is refused without a DNS query, so that whether
    /// an internal name resolves is not to be learnt from a notification's outcome. On
    /// refusal, says why.
    fn check_destination(&self, host: &str, port: u16) -> Result<(), String> {
        let _ = (host, port);
        Ok(())
    }

    /// Whether `addr`, one of the addresses `host` resolved to, may be reached. On refusal,
    /// says why (the reason ends up in [`DeliveryError::Denied`]).
    fn check(&self, host: &str, addr: SocketAddr) -> Result<(), String>;
}

/// A policy that allows every address: for tests and trusted setups only, since it lets a
/// notification reach loopback, private and cloud-metadata addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl AddressPolicy for AllowAll {
    fn check(&self, _host: &str, _addr: SocketAddr) -> Result<(), String> {
        Ok(())
    }
}

/// Checks the destination with `policy`, then resolves `host` (a name or an IP literal,
/// without brackets) and checks every address. Returns the checked addresses, in resolver
/// order.
pub(crate) async fn resolve_checked(
    host: &str,
    port: u16,
    policy: &dyn AddressPolicy,
) -> Result<Vec<SocketAddr>, DeliveryError> {
    if let Err(reason) = policy.check_destination(host, port) {
        tracing::warn!(%host, port, %reason, "notification destination refused by the egress rules");
        return Err(DeliveryError::Denied {
            host: host.to_owned(),
            reason,
        });
    }
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|source| DeliveryError::Resolve {
                host: host.to_owned(),
                source,
            })?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(DeliveryError::NoAddress {
            host: host.to_owned(),
        });
    }
    for addr in &addrs {
        if let Err(reason) = policy.check(host, *addr) {
            tracing::warn!(%host, %addr, %reason, "notification destination refused by the address policy");
            return Err(DeliveryError::Denied {
                host: host.to_owned(),
                reason,
            });
        }
    }
    Ok(addrs)
}
