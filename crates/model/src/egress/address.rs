//! Which addresses traffic may reach: globally reachable ones, and others only when the
//! operator allows their range. Checked on every address a name resolves to, so that a name
//! pointing at a private or metadata address (169.254.169.254) cannot bypass the allowlist.
//! Task egress (HTTP, `tcp://`, SQL, in `weft-runtime`) and notifications (in `weft-notify`,
//! through [`AllowedEgress::check_address`](super::AllowedEgress::check_address)) use this
//! one check.
//!
//! The ranges are IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the
//! RFCs each entry names), plus multicast and the deprecated IPv6 forms that still route
//! somewhere local. The most specific range containing an address decides: a range the
//! registry marks globally reachable (e.g. the PCP anycast address inside 192.0.0.0/24) is
//! listed so that the table stays complete, and passes. Addresses that carry an IPv4
//! address (IPv4-mapped, NAT64, 6to4) are judged as that IPv4 address; the deprecated
//! IPv4-compatible form `::a.b.c.d` and Teredo are refused whole.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use Reach::{Global, Local};
use ipnet::IpNet;

/// What a range's addresses are to egress.
#[derive(Clone, Copy)]
enum Reach {
    /// Not globally reachable: refused unless the operator allows the range.
    Local,
    /// Marked globally reachable by the registry: allowed like any public address.
    Global,
    /// Carries an IPv4 address (the function finds it), judged as that address.
    Embeds(fn(Ipv6Addr) -> Ipv4Addr),
}

/// One special-purpose range: its first address as an integer (IPv4 in the low 32 bits),
/// its prefix length, its registry name and RFC, and what its addresses are to egress.
struct Range {
    base: u128,
    prefix: u8,
    name: &'static str,
    rfc: &'static str,
    reach: Reach,
}

const fn v4(
    base: [u8; 4],
    prefix: u8,
    name: &'static str,
    rfc: &'static str,
    reach: Reach,
) -> Range {
    Range {
        base: u32::from_be_bytes(base) as u128,
        prefix,
        name,
        rfc,
        reach,
    }
}

const fn v6(
    base: [u16; 8],
    prefix: u8,
    name: &'static str,
    rfc: &'static str,
    reach: Reach,
) -> Range {
    let mut bits = 0u128;
    let mut i = 0;
    while i < 8 {
        bits = (bits << 16) | base[i] as u128;
        i += 1;
    }
    Range {
        base: bits,
        prefix,
        name,
        rfc,
        reach,
    }
}

/// IANA's IPv4 Special-Purpose Address Registry (as of 2025), and multicast.
#[rustfmt::skip]
const V4: &[Range] = &[
    v4([0, 0, 0, 0], 8, "this-network", "RFC 791", Local),
    v4([0, 0, 0, 0], 32, "this-host", "RFC 1122", Local),
    v4([10, 0, 0, 0], 8, "private", "RFC 1918", Local),
    v4([100, 64, 0, 0], 10, "shared (carrier-grade NAT)", "RFC 6598", Local),
    v4([127, 0, 0, 0], 8, "loopback", "RFC 1122", Local),
    v4([169, 254, 0, 0], 16, "link-local (cloud metadata lives here)", "RFC 3927", Local),
    v4([172, 16, 0, 0], 12, "private", "RFC 1918", Local),
    v4([192, 0, 0, 0], 24, "IETF protocol assignments", "RFC 6890", Local),
    v4([192, 0, 0, 0], 29, "IPv4 service continuity (DS-Lite)", "RFC 7335", Local),
    v4([192, 0, 0, 8], 32, "IPv4 dummy", "RFC 7600", Local),
    v4([192, 0, 0, 9], 32, "PCP anycast", "RFC 7723", Global),
    v4([192, 0, 0, 10], 32, "TURN anycast", "RFC 8155", Global),
    v4([192, 0, 0, 170], 31, "NAT64/DNS64 discovery", "RFC 8880", Local),
    v4([192, 0, 2, 0], 24, "documentation (TEST-NET-1)", "RFC 5737", Local),
    v4([192, 31, 196, 0], 24, "AS112", "RFC 7535", Global),
    v4([192, 52, 193, 0], 24, "AMT", "RFC 7450", Global),
    v4([192, 88, 99, 0], 24, "deprecated 6to4 relay anycast", "RFC 7526", Local),
    v4([192, 168, 0, 0], 16, "private", "RFC 1918", Local),
    v4([192, 175, 48, 0], 24, "AS112 direct delegation", "RFC 7534", Global),
    v4([198, 18, 0, 0], 15, "benchmarking", "RFC 2544", Local),
    v4([198, 51, 100, 0], 24, "documentation (TEST-NET-2)", "RFC 5737", Local),
    v4([203, 0, 113, 0], 24, "documentation (TEST-NET-3)", "RFC 5737", Local),
    // Multicast is in its own registry, not the special-purpose one; never unicast egress.
    v4([224, 0, 0, 0], 4, "multicast", "RFC 5771", Local),
    v4([240, 0, 0, 0], 4, "reserved", "RFC 1112", Local),
    v4([255, 255, 255, 255], 32, "limited broadcast", "RFC 919", Local),
];

/// IANA's IPv6 Special-Purpose Address Registry (as of 2025), multicast, and the deprecated
/// forms that a resolver or a guest can still hand over.
#[rustfmt::skip]
const V6: &[Range] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified", "RFC 4291", Local),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", "RFC 4291", Local),
    // Deprecated; some stacks still send these as IPv4 (`::a.b.c.d`). Nothing public uses them.
    v6([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible", "RFC 4291 §2.5.5.1", Local),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped", "RFC 4291", Reach::Embeds(last_32)),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "NAT64", "RFC 6052", Reach::Embeds(last_32)),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use IPv4/IPv6 translation", "RFC 8215", Local),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", "RFC 6666", Local),
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy IPv6 prefix", "RFC 9780", Local),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments", "RFC 2928", Local),
    // Teredo tunnels to an IPv4 address hidden in the low bits: refused whole.
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo", "RFC 4380", Local),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, "PCP anycast", "RFC 7723", Global),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, "TURN anycast", "RFC 8155", Global),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, "DNS-SD SRP anycast", "RFC 9665", Global),
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking", "RFC 5180", Local),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", "RFC 7450", Global),
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, "AS112", "RFC 7535", Global),
    v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, "deprecated ORCHID", "RFC 4843", Local),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", "RFC 7343", Global),
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, "drone remote ID", "RFC 9374", Global),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation", "RFC 3849", Local),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", "RFC 3056", Reach::Embeds(six_to_four)),
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "AS112 direct delegation", "RFC 7534", Global),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation", "RFC 9637", Local),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing (SRv6) SIDs", "RFC 9602", Local),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "private (unique local)", "RFC 4193", Local),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local", "RFC 4291", Local),
    // Deprecated site-local: some networks still route it internally.
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local", "RFC 3879", Local),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", "RFC 4291", Local),
];

/// The IPv4 address in the last 32 bits (IPv4-mapped, NAT64).
fn last_32(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

/// The IPv4 address of a 6to4 address, in bits 16 to 48.
fn six_to_four(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from(((u128::from(ip) >> 80) & 0xffff_ffff) as u32)
}

/// The most specific range of `table` that holds `bits`, an address `width` bits wide.
fn most_specific(table: &'static [Range], bits: u128, width: u32) -> Option<&'static Range> {
    let prefix_of = |r: &Range| {
        let shift = width.saturating_sub(u32::from(r.prefix));
        bits.checked_shr(shift).unwrap_or(0) == r.base.checked_shr(shift).unwrap_or(0)
    };
    table
        .iter()
        .filter(|r| prefix_of(r))
        .max_by_key(|r| r.prefix)
}

/// Why `ip` is not globally reachable, or none when it is: the range as `a NAME address
/// (PREFIX, RFC)`.
pub(crate) fn special_range(ip: IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            let range = most_specific(V6, u128::from(v6), 128)?;
            let net = format!("{}/{}", Ipv6Addr::from(range.base), range.prefix);
            match range.reach {
                Local => Some(described(range, &net)),
                Global => None,
                Reach::Embeds(inner) => {
                    let v4 = inner(v6);
                    let why = special_v4(v4)?;
                    Some(format!("{} holding {v4}, {why}", described(range, &net)))
                }
            }
        }
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<String> {
    let range = most_specific(V4, u128::from(u32::from(ip)), 32)?;
    let base = u32::try_from(range.base).unwrap_or_default();
    match range.reach {
        Local => Some(described(
            range,
            &format!("{}/{}", Ipv4Addr::from(base), range.prefix),
        )),
        Global | Reach::Embeds(_) => None,
    }
}

/// `a NAME address (NET, RFC)`, with the article the name needs.
fn described(range: &Range, net: &str) -> String {
    let article = match range.name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    };
    format!("{article} {} address ({net}, {})", range.name, range.rfc)
}

/// Whether `ip` may be reached: a globally reachable address, or one in a range the operator
/// allows explicitly. On refusal, says why.
pub fn check(ip: IpAddr, allowed: &[IpNet]) -> Result<(), String> {
    if allowed.iter().any(|net| net.contains(&ip)) {
        return Ok(());
    }
    match special_range(ip) {
        None => Ok(()),
        Some(range) => Err(format!(
            "{ip} is {range}, which this host's egress policy does not allow"
        )),
    }
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
