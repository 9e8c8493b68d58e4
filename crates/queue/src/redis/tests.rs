//! Unit checks of the Redis backend's pure parts: error classes (unavailable,
//! denied, failed), replies, lease rounding. (The backend against a real server: `tests/redis.rs`.)

use std::io;
use std::time::Duration;

use redis::{RedisError, Value};

use weft_redis::{is_denied, is_retriable};

use super::connection::classify;
use super::millis;
use super::reply::{self, TakeReply};
use crate::error::QueueError;

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

#[test]
fn unreachable_servers_are_retriable_and_script_errors_are_not() {
    let refused = RedisError::from(io::Error::from(io::ErrorKind::ConnectionRefused));
    assert!(is_retriable(&refused));
    let err = classify("push on redis://h/", refused);
    assert!(matches!(err, QueueError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("push on redis://h/"), "{err}");

    let wrong = RedisError::from((redis::ErrorKind::UnexpectedReturnType, "bad"));
    assert!(!is_retriable(&wrong));
    assert!(matches!(
        classify("take", wrong),
        QueueError::Backend { .. }
    ));
}

#[test]
fn refused_credentials_and_permissions_are_denied_not_unavailable() {
    use redis::{ErrorKind, ServerErrorKind};
    let script_refused = RedisError::from((
        ErrorKind::Server(ServerErrorKind::ResponseError),
        "script error",
        "The user executing the script can't access at least one of the keys mentioned in \
         the command arguments script: 0123, on @user_script:1."
            .to_owned(),
    ));
    let refused = [
        RedisError::from((ErrorKind::Server(ServerErrorKind::NoPerm), "no permission")),
        RedisError::from((ErrorKind::AuthenticationFailed, "wrong password")),
        script_refused,
    ];
    for e in refused {
        let shown = e.to_string();
        assert!(is_denied(&e), "{shown}");
        let err = classify("take on redis://w:***@h/", e);
        assert!(matches!(err, QueueError::Denied { .. }), "{err:?}");
        assert!(!err.is_retriable());
        assert!(
            err.to_string().contains("take on redis://w:***@h/"),
            "{err}"
        );
    }
    let other = RedisError::from((
        ErrorKind::Server(ServerErrorKind::ResponseError),
        "script error",
        "user_script:1: attempt to compare nil with number".to_owned(),
    ));
    assert!(!is_denied(&other));
    assert!(matches!(
        classify("take", other),
        QueueError::Backend { .. }
    ));
}

#[test]
fn take_replies_give_deliveries_or_what_to_wait_on() {
    let taken = Value::Array(vec![
        Value::Int(1),
        bulk("q"),
        bulk("-7"),
        Value::BulkString(vec![0, 255]),
        Value::Int(2),
        bulk("3.2@ab"),
    ]);
    let TakeReply::Taken(ds) = reply::take(taken, 1).expect("taken") else {
        panic!("expected deliveries");
    };
    assert_eq!(ds.len(), 1);
    assert_eq!((ds[0].queue.as_str(), ds[0].priority), ("q", -7));
    assert_eq!((&ds[0].payload[..], ds[0].deliveries), (&[0u8, 255][..], 2));
    assert_eq!(ds[0].id.as_str(), "3.2@ab");

    let empty = Value::Array(vec![
        Value::Int(0),
        Value::Int(250),
        bulk("0-0"),
        bulk("5-1"),
    ]);
    match reply::take(empty, 2).expect("empty") {
        TakeReply::Empty {
            next_expiry,
            signals,
        } => {
            assert_eq!(next_expiry, Some(Duration::from_millis(250)));
            assert_eq!(signals, ["0-0", "5-1"]);
        }
        other => panic!("expected nothing taken, got {other:?}"),
    }
    let no_lease = Value::Array(vec![Value::Int(0), Value::Int(-1), bulk("0-0")]);
    assert!(matches!(
        reply::take(no_lease, 1),
        Ok(TakeReply::Empty {
            next_expiry: None,
            ..
        })
    ));
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let bad = [
        Value::Nil,
        Value::Array(vec![]),
        Value::Array(vec![Value::Int(7)]),
        Value::Array(vec![Value::Int(1), bulk("q")]),
        Value::Array(vec![
            Value::Int(1),
            bulk("q"),
            bulk("high"),
            bulk("b"),
            Value::Int(1),
            bulk("id"),
        ]),
        Value::Array(vec![Value::Int(0), Value::Int(-1)]),
    ];
    for value in bad {
        let shown = format!("{value:?}");
        let err = reply::take(value, 1).expect_err(&shown).into_error("take");
        assert!(matches!(err, QueueError::Backend { .. }), "{shown}");
        assert!(err.to_string().contains("unexpected reply"), "{err}");
    }
}

#[test]
fn push_replies_give_the_generation_and_whether_the_push_made_it() {
    let made = Value::Array(vec![bulk("g1"), Value::Int(1)]);
    assert_eq!(reply::pushed(made), Ok(("g1".to_owned(), true)));
    let kept = Value::Array(vec![bulk("g1"), Value::Int(0)]);
    assert_eq!(reply::pushed(kept), Ok(("g1".to_owned(), false)));
    for bad in [
        Value::Int(3),
        Value::Array(vec![bulk("g1")]),
        Value::Array(vec![bulk("g1"), Value::Int(0), Value::Int(0)]),
        Value::Array(vec![Value::Int(0), Value::Int(0)]),
    ] {
        let shown = format!("{bad:?}");
        assert!(reply::pushed(bad).is_err(), "{shown}");
    }
}

#[test]
fn lost_replies_name_the_ids_by_position() {
    let lost = reply::lost(Value::Array(vec![Value::Int(1), Value::Int(3)]), 3);
    assert_eq!(lost.expect("lost"), [0, 2]);
    for position in [0, 4, -1] {
        let reply = Value::Array(vec![Value::Int(position)]);
        assert!(reply::lost(reply, 3).is_err(), "{position}");
    }
}

#[test]
fn scopes_replies_give_the_signal_id_then_the_scopes() {
    let reply = Value::Array(vec![bulk("5-0"), bulk("b"), bulk("a")]);
    let (seen, scopes) = reply::scopes(reply).expect("scopes");
    assert_eq!(seen, "5-0");
    assert_eq!(scopes, ["b", "a"]);
    assert!(reply::scopes(Value::Array(vec![])).is_err());
    assert!(reply::scopes(Value::Array(vec![bulk("0-0"), Value::Int(1)])).is_err());
}

#[test]
fn stats_replies_are_sorted_by_queue() {
    let reply = Value::Array(vec![
        bulk("b"),
        Value::Int(1),
        Value::Int(0),
        bulk("a"),
        Value::Int(0),
        Value::Int(2),
    ]);
    let stats = reply::stats(reply).expect("stats");
    let names: Vec<&str> = stats.iter().map(|s| s.queue.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!((stats[0].ready, stats[0].leased), (0, 2));
    let negative = Value::Array(vec![bulk("a"), Value::Int(-1), Value::Int(0)]);
    assert!(reply::stats(negative).is_err());
}

#[test]
fn leases_round_up_to_whole_milliseconds() {
    assert_eq!(millis(Duration::from_micros(1)), 1);
    assert_eq!(millis(Duration::from_millis(1500)), 1500);
    assert_eq!(millis(Duration::from_micros(1500)), 2);
}
