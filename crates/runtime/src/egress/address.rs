//! Which addresses a task may reach: public unicast ones, and others only when the operator
//! allows their range. Checked on every address a name resolves to, so that a name pointing
//! at a private or metadata address (169.254.169.254) cannot bypass the allowlist.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Why an address is not public, or none when it is.
pub(crate) fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if ip.is_link_local() {
        "link-local (cloud metadata lives here)"
    } else if ip.is_unspecified() || a == 0 {
        "this-network"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier-grade NAT)"
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        "multicast or reserved"
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        "IETF protocol assignments"
    } else if a == 198 && (b == 18 || b == 19) {
        "benchmarking"
    } else {
        return None;
    })
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return special_v4(v4);
    }
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_unique_local() {
        "private (unique local)"
    } else if ip.is_unicast_link_local() || segments[0] & 0xffc0 == 0xfec0 {
        "link-local"
    } else if ip.is_multicast() {
        "multicast"
    } else {
        return None;
    })
}

/// Whether the task may connect to `ip`: a public address, or one in a range the operator
/// allows explicitly. On refusal, says why.
pub(crate) fn check(ip: IpAddr, allowed: &[IpNet]) -> Result<(), String> {
    if allowed.iter().any(|net| net.contains(&ip)) {
        return Ok(());
    }
    match special_range(ip) {
        None => Ok(()),
        Some(range) => Err(format!(
            "{ip} is a {range} address, which this host's egress policy does not allow"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn private_and_metadata_addresses_are_refused() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(check(ip(text), &[]).is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for text in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(check(ip(text), &[]).is_ok(), "{text} should pass");
        }
    }

    #[test]
    fn an_allowed_range_opens_only_itself() {
        let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("test net")];
        assert!(check(ip("127.0.0.1"), &allowed).is_ok());
        assert!(check(ip("169.254.169.254"), &allowed).is_err());
        assert!(check(ip("10.0.0.1"), &allowed).is_err());
    }

    #[test]
    fn refusals_name_the_range() {
        let err = check(ip("169.254.169.254"), &[]).expect_err("refused");
        assert!(err.contains("link-local"), "{err}");
    }
}
