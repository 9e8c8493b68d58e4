//! A password in a Redis URL's `?password=` query parameter, as in its user info, shows in
//! none of the bus's messages: its errors (which its log lines print), its `Debug` output and
//! the URL it names. (The bus's roles against a real server: `crates/server/tests/bus.rs`.)

use std::time::Duration;

use weft_protocol::Command;

use crate::{Bus, BusError, CallError, ControlClient};

const SECRET: &str = "s3cret-pass";

/// Asserts that neither `value`'s `Display` nor its `Debug` output shows the password.
fn hidden(what: &str, value: &(impl std::fmt::Display + std::fmt::Debug)) {
    for shown in [value.to_string(), format!("{value:?}")] {
        assert!(!shown.contains(SECRET), "{what}: {shown}");
    }
}

/// `base` with the password given as a query parameter.
fn with_password(base: &str) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}password={SECRET}")
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

#[tokio::test]
async fn a_query_password_is_hidden_in_every_error() {
    let unreachable = with_password(&format!("redis://127.0.0.1:{}/", closed_port()));
    let bad_namespace = Bus::connect(&unreachable, "").await;
    let Err(e @ BusError::BadUrl { .. }) = bad_namespace else {
        panic!("an empty namespace was accepted: {bad_namespace:?}");
    };
    hidden("a bad namespace", &e);

    let bad_url = with_password(&format!("redis://user:{SECRET}@127.0.0.1:notaport/"));
    let unparsed = Bus::connect(&bad_url, "weft").await;
    let Err(e @ BusError::BadUrl { .. }) = unparsed else {
        panic!("a bad port was accepted: {unparsed:?}");
    };
    hidden("a bad URL", &e);

    let down = Bus::connect(&unreachable, "weft").await;
    let Err(e @ BusError::Unavailable { .. }) = down else {
        panic!("nothing listens there: {down:?}");
    };
    hidden("an unreachable server", &e);
    assert!(e.to_string().contains("password=***"), "{e}");
}

#[tokio::test]
async fn a_query_password_is_hidden_by_a_connected_bus() {
    let url = with_password(weft_testkit::redis().url());
    let namespace = weft_testkit::unique_name("bus-redact");
    let bus = Bus::connect(&url, &namespace).await.expect("bus");
    assert!(!bus.url().contains(SECRET), "{}", bus.url());
    assert!(bus.url().contains("password=***"), "{}", bus.url());
    assert!(!format!("{bus:?}").contains(SECRET), "{bus:?}");
    // The error every failed command becomes, and every log line of one prints.
    let failed = redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
    hidden("a failed command", &bus.unavailable(&failed));

    let control = ControlClient::new(bus, Duration::from_millis(100));
    assert!(!format!("{control:?}").contains(SECRET), "{control:?}");
    let answer = control
        .call(Command::Clear {
            tenant: "default".into(),
            run: 1,
            task_ids: Vec::new(),
            downstream: false,
        })
        .await;
    let Err(e @ CallError::NoAnswer { .. }) = answer else {
        panic!("no scheduler serves this namespace: {answer:?}");
    };
    hidden("a command nobody answers", &e);
}
