//! Tests of the special-purpose table: every registry range refused (or passed, when the
//! registry marks it globally reachable) at both its ends, the addresses just outside, and
//! the IPv6 forms that carry an IPv4 address.

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn refused(text: &str) -> bool {
    check(ip(text), &[]).is_err()
}

/// The first and last address of a range.
fn ends(range: &Range, width: u32) -> (u128, u128) {
    let host_bits = width - u32::from(range.prefix);
    let hosts = 1u128.checked_shl(host_bits).map_or(u128::MAX, |n| n - 1);
    (range.base, range.base | hosts)
}

fn v4_at(bits: u128) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(
        u32::try_from(bits).expect("an IPv4 address"),
    ))
}

#[test]
fn every_range_is_aligned_to_its_prefix() {
    for (table, width) in [(V4, 32), (V6, 128)] {
        for r in table {
            let (first, _) = ends(r, width);
            let host_bits = width - u32::from(r.prefix);
            assert_eq!(
                first
                    .checked_shr(host_bits)
                    .unwrap_or(0)
                    .checked_shl(host_bits)
                    .unwrap_or(0),
                r.base,
                "{} is not aligned to /{}",
                r.name,
                r.prefix
            );
        }
    }
}

#[test]
fn every_local_range_is_refused_at_both_ends_and_global_ones_pass() {
    for r in V4 {
        let (first, last) = ends(r, 32);
        for at in [first, last] {
            // The most specific entry decides (192.0.0.9 passes inside a refused /24).
            let decided = most_specific(V4, at, 32).expect("in its own range");
            let expect_refused = matches!(decided.reach, Local);
            assert_eq!(
                check(v4_at(at), &[]).is_err(),
                expect_refused,
                "{} ({}) at {}",
                r.name,
                r.rfc,
                v4_at(at)
            );
        }
    }
    for r in V6 {
        let (first, last) = ends(r, 128);
        for at in [first, last] {
            let decided = most_specific(V6, at, 128).expect("in its own range");
            let addr = IpAddr::V6(Ipv6Addr::from(at));
            if matches!(decided.reach, Local) {
                assert!(check(addr, &[]).is_err(), "{} at {addr}", r.name);
            } else if matches!(decided.reach, Global) {
                assert!(check(addr, &[]).is_ok(), "{} at {addr}", r.name);
            }
        }
    }
}

#[test]
fn the_documentation_and_benchmark_ranges_are_refused() {
    for text in [
        "192.0.2.0",
        "192.0.2.1",
        "192.0.2.255",
        "198.51.100.1",
        "203.0.113.1",
        "203.0.113.255",
        "198.18.0.1",
        "198.19.255.255",
        "192.88.99.1",
        "2001:db8::1",
        "3fff::1",
        "2001:2::1",
    ] {
        assert!(refused(text), "{text} should be refused");
    }
}

#[test]
fn the_addresses_just_outside_a_range_pass() {
    for text in [
        "192.0.1.255",
        "192.0.3.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "198.17.255.255",
        "198.20.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "223.255.255.255",
        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db9::",
        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert!(!refused(text), "{text} should pass");
    }
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
        "0.1.2.3",
        "100.64.0.1",
        "192.0.0.1",
        "192.0.0.170",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "100::1",
        "64:ff9b:1::1",
        "5f00::1",
    ] {
        assert!(refused(text), "{text} should be refused");
    }
}

#[test]
fn ipv6_forms_carrying_an_ipv4_address_are_judged_by_it() {
    for text in [
        // IPv4-mapped.
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.0.2.1",
        "::ffff:203.0.113.1",
        // IPv4-compatible (deprecated): refused whatever it holds.
        "::c000:201",
        "::127.0.0.1",
        "::8.8.8.8",
        "::10.0.0.1",
        // NAT64.
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::c000:201",
        "64:ff9b::7f00:1",
        // 6to4: 2002:AABB:CCDD:: carries AA.BB.CC.DD.
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "2002:c000:201::1",
        "2002:c0a8:101::1",
        // Teredo, whatever it hides.
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ] {
        assert!(refused(text), "{text} should be refused");
    }
    for text in ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
        assert!(!refused(text), "{text} should pass");
    }
}

#[test]
fn globally_reachable_registry_entries_pass() {
    for text in [
        "192.0.0.9",
        "192.0.0.10",
        "192.31.196.1",
        "192.52.193.1",
        "192.175.48.1",
        "2001:1::1",
        "2001:1::3",
        "2001:3::1",
        "2001:4:112::1",
        "2001:20::1",
        "2620:4f:8000::1",
    ] {
        assert!(!refused(text), "{text} should pass");
    }
    // Their neighbours inside the refused block are refused.
    for text in ["192.0.0.11", "2001:1::4", "2001:4:113::1"] {
        assert!(refused(text), "{text} should be refused");
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
        assert!(!refused(text), "{text} should pass");
    }
}

#[test]
fn an_allowed_range_opens_only_itself() {
    let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("test net")];
    assert!(check(ip("127.0.0.1"), &allowed).is_ok());
    assert!(check(ip("169.254.169.254"), &allowed).is_err());
    assert!(check(ip("10.0.0.1"), &allowed).is_err());
    let docs: Vec<IpNet> = vec!["192.0.2.0/24".parse().expect("test net")];
    assert!(check(ip("192.0.2.1"), &docs).is_ok());
    assert!(check(ip("198.51.100.1"), &docs).is_err());
}

#[test]
fn refusals_name_the_range_and_its_rfc() {
    let err = check(ip("169.254.169.254"), &[]).expect_err("refused");
    assert!(
        err.contains("link-local") && err.contains("RFC 3927"),
        "{err}"
    );
    let err = check(ip("203.0.113.7"), &[]).expect_err("refused");
    assert!(
        err.contains("TEST-NET-3") && err.contains("203.0.113.0/24"),
        "{err}"
    );
    let err = check(ip("::ffff:10.0.0.1"), &[]).expect_err("refused");
    assert!(
        err.contains("an IPv4-mapped address")
            && err.contains("holding 10.0.0.1, a private address"),
        "{err}"
    );
}
