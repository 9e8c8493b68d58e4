//! Following a stream from its end, as a reader that wants only what is added from now on
//! (notices and commands, ended runs): [`follow`].

use std::time::Duration;

use redis::Value;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};

use crate::connection::Bus;
use crate::error::BusError;

/// How long a blocking read waits before it is issued again.
pub(crate) const BLOCK: Duration = Duration::from_secs(1);
/// Most entries read at once.
pub(crate) const READ_COUNT: usize = 256;

/// Hand every entry added to stream `key` after entry `from` (from now on when none) to
/// `each`, in order, forever. After a failure it waits a little, reconnects and carries on
/// from the stream's end then: entries added while it was cut off are missed, so what it
/// serves must not depend on every one (the store is the truth, and the readers have their
/// own timers).
pub(crate) async fn follow(
    bus: &Bus,
    key: &str,
    mut from: Option<String>,
    mut each: impl FnMut(StreamId),
) {
    loop {
        let mut conn = connect(bus).await;
        let start = match from.take() {
            Some(from) => Ok(from),
            None => last_id(bus, key).await,
        };
        let mut last = match start {
            Ok(last) => last,
            Err(e) => {
                pause_after(&e).await;
                continue;
            }
        };
        loop {
            let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(key)
                .arg(&last)
                .query_async(&mut conn)
                .await;
            let entries = match reply {
                Ok(reply) => reply
                    .map(|r| r.keys.into_iter().flat_map(|k| k.ids))
                    .into_iter()
                    .flatten(),
                Err(e) => {
                    pause_after(&bus.unavailable(&e)).await;
                    break;
                }
            };
            for entry in entries {
                last.clone_from(&entry.id);
                each(entry);
            }
        }
    }
}

/// A connection of its own for blocking reads, once one can be made.
pub(crate) async fn connect(bus: &Bus) -> redis::aio::MultiplexedConnection {
    loop {
        match bus.blocking(BLOCK).await {
            Ok(conn) => return conn,
            Err(e) => pause_after(&e).await,
        }
    }
}

/// Log a failed read and wait before the next try.
pub(crate) async fn pause_after(e: &BusError) {
    tracing::warn!(error = %e, "bus read failed; trying again");
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// The id of the newest entry of stream `key` (`0-0` when it is empty).
pub(crate) async fn last_id(bus: &Bus, key: &str) -> Result<String, BusError> {
    let mut conn = bus.commands();
    let newest: Vec<StreamId> = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async::<StreamRangeReply>(&mut conn)
        .await
        .map_err(|e| bus.unavailable(&e))?
        .ids;
    Ok(newest
        .first()
        .map_or_else(|| "0-0".to_owned(), |e| e.id.clone()))
}

/// A field of a stream entry as bytes; an error naming the entry and field otherwise.
pub(crate) fn field_bytes<'a>(entry: &'a StreamId, field: &str) -> Result<&'a [u8], BusError> {
    match entry.map.get(field) {
        Some(Value::BulkString(bytes)) => Ok(bytes),
        Some(other) => Err(BusError::Malformed(format!(
            "entry {} field {field:?} is not a string: {other:?}",
            entry.id
        ))),
        None => Err(BusError::Malformed(format!(
            "entry {} has no field {field:?}",
            entry.id
        ))),
    }
}
