use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn durations_parse() {
    let cases = [
        ("250ms", ms(250)),
        ("30s", Duration::from_secs(30)),
        ("5m", Duration::from_secs(300)),
        ("1h30m", Duration::from_secs(5_400)),
        ("1h 30m", Duration::from_secs(5_400)),
        ("2d", Duration::from_secs(172_800)),
        ("1.5h", Duration::from_secs(5_400)),
        ("1.25s", ms(1_250)),
        ("0.5ms", Duration::from_micros(500)),
        ("10us", Duration::from_micros(10)),
        ("10µs", Duration::from_micros(10)),
        ("7ns", Duration::from_nanos(7)),
        ("  3M 5S ", Duration::from_secs(185)),
        ("1d2h3m4s5ms", Duration::new(93_784, 5_000_000)),
        ("0", Duration::ZERO),
        ("0s", Duration::ZERO),
        ("5 m", Duration::from_secs(300)),
    ];
    for (text, want) in cases {
        assert_eq!(parse_duration(text), Ok(want), "{text}");
    }
}

#[test]
fn bad_durations_name_the_input() {
    let err = |s: &str| parse_duration(s).expect_err(s).to_string();
    assert_eq!(err(""), "invalid duration \"\": it is empty");
    assert_eq!(
        err("250"),
        "invalid duration \"250\": missing unit after 250 (expected ns, us, ms, s, m, h or d)"
    );
    assert_eq!(
        err("5x"),
        "invalid duration \"5x\": unknown unit \"x\" (expected ns, us, ms, s, m, h or d)"
    );
    assert_eq!(
        err("5 years"),
        "invalid duration \"5 years\": unknown unit \"years\" (expected ns, us, ms, s, m, h or d)"
    );
    assert_eq!(
        err("h"),
        "invalid duration \"h\": expected a number at \"h\""
    );
    assert_eq!(
        err("-5s"),
        "invalid duration \"-5s\": expected a number at \"-5s\""
    );
    assert_eq!(
        err("1h?"),
        "invalid duration \"1h?\": expected a number at \"?\""
    );
    assert_eq!(
        err(".s"),
        "invalid duration \".s\": expected a number at \".s\""
    );
    assert_eq!(
        err("99999999999999999999999d"),
        "invalid duration \"99999999999999999999999d\": it is too large"
    );
    assert!(parse_duration("300000000000000d").is_err());
}

#[test]
fn durations_format() {
    let cases = [
        (Duration::ZERO, "0s"),
        (Duration::from_nanos(7), "7ns"),
        (Duration::from_nanos(1_500), "1.5us"),
        (ms(250), "250ms"),
        (Duration::from_micros(1_250), "1.25ms"),
        (ms(1_000), "1s"),
        (ms(1_250), "1.25s"),
        (ms(1_256), "1.25s"),
        (ms(59_999), "59.99s"),
        (Duration::from_secs(60), "1m"),
        (Duration::from_secs(185), "3m 5s"),
        (ms(185_900), "3m 5s"),
        (Duration::from_secs(5_400), "1h 30m"),
        (Duration::from_secs(3_605), "1h 5s"),
        (Duration::from_secs(187_200), "2d 4h"),
    ];
    for (d, want) in cases {
        assert_eq!(format_duration(d), want, "{d:?}");
    }
}

#[test]
fn formatted_durations_parse_back() {
    for d in [
        ms(250),
        ms(1_250),
        Duration::from_secs(185),
        Duration::from_secs(93_784),
        Duration::from_nanos(1_500),
    ] {
        assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{d:?}");
    }
}

#[test]
fn sizes_parse() {
    let cases = [
        ("1048576", 1_048_576),
        ("512k", 512 * 1024),
        ("512K", 512 * 1024),
        ("256MiB", 256 << 20),
        ("256mib", 256 << 20),
        ("256Mi", 256 << 20),
        ("1G", 1 << 30),
        ("1GiB", 1 << 30),
        ("1.5GiB", 3 << 29),
        ("0.5k", 512),
        ("100MB", 100_000_000),
        ("1kB", 1_000),
        ("64 kb", 64_000),
        ("1TB", 1_000_000_000_000),
        ("2TiB", 2 << 40),
        ("10B", 10),
        ("1.3k", 1_331),
        ("15EiB", 15 << 60),
        (" 7 ", 7),
    ];
    for (text, want) in cases {
        assert_eq!(parse_size(text), Ok(want), "{text}");
    }
}

#[test]
fn bad_sizes_name_the_input() {
    let err = |s: &str| parse_size(s).expect_err(s).to_string();
    assert_eq!(err(""), "invalid size \"\": it is empty");
    assert_eq!(err("MiB"), "invalid size \"MiB\": expected a number first");
    assert_eq!(err("-1k"), "invalid size \"-1k\": expected a number first");
    assert!(
        err("5 mebibytes").starts_with("invalid size \"5 mebibytes\": unknown unit \"mebibytes\"")
    );
    assert!(err("5µ").contains("unknown unit \"µ\""));
    assert!(err("5kx").contains("unknown unit \"kx\""));
    assert_eq!(err("16EiB"), "invalid size \"16EiB\": it is too large");
    assert_eq!(
        err("99999999999999999999999999999999999999999"),
        "invalid size \"99999999999999999999999999999999999999999\": it is too large"
    );
}

#[test]
fn sizes_format_and_parse_back() {
    let cases = [
        (0, "0B"),
        (512, "512B"),
        (1023, "1023B"),
        (1024, "1KiB"),
        (1536, "1.5KiB"),
        (256 << 20, "256MiB"),
        (3 << 29, "1.5GiB"),
        (u64::MAX, "15.99EiB"),
    ];
    for (bytes, want) in cases {
        assert_eq!(format_size(bytes), want, "{bytes}");
    }
    for bytes in [0, 512, 1024, 1536, 256 << 20, 3 << 29, 5 << 40] {
        assert_eq!(parse_size(&format_size(bytes)), Ok(bytes), "{bytes}");
    }
}
