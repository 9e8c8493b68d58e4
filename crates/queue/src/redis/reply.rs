//! Reading the scripts' replies: flat arrays, checked element by element, so that a reply of
//! another shape is an error naming what was wrong rather than a panic.

use std::time::Duration;

use bytes::Bytes;
use redis::Value;

use crate::error::QueueError;
use crate::message::{Delivery, DeliveryId, QueueStats};

/// What a take script found.
#[derive(Debug)]
pub(super) enum TakeReply {
    /// Deliveries, best first.
    Taken(Vec<Delivery>),
    /// Nothing ready: what to wait on.
    Empty {
        /// Time to the next lease expiry, if any lease is live.
        next_expiry: Option<Duration>,
        /// Per queue, the id of the last entry of its signal stream.
        signals: Vec<String>,
    },
}

/// A reply that is not what the script returns.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unexpected(String);

impl Unexpected {
    /// The queue error of `operation` getting this reply.
    pub(super) fn into_error(self, operation: &str) -> QueueError {
        QueueError::Backend {
            message: format!("{operation}: unexpected reply from the server: {}", self.0),
            source: None,
        }
    }
}

type Parsed<T> = Result<T, Unexpected>;

/// A take script's reply, for a take of `queues` distinct queues.
pub(super) fn take(value: Value, queues: usize) -> Parsed<TakeReply> {
    let mut items = array(value)?.into_iter();
    match items.next().map(int).transpose()? {
        Some(1) => {
            let items: Vec<Value> = items.collect();
            if !items.len().is_multiple_of(5) {
                return Err(Unexpected(format!(
                    "{} delivery fields, not a multiple of 5",
                    items.len()
                )));
            }
            let mut deliveries = Vec::with_capacity(items.len() / 5);
            let mut items = items.into_iter();
            while let (Some(q), Some(p), Some(b), Some(d), Some(id)) = (
                items.next(),
                items.next(),
                items.next(),
                items.next(),
                items.next(),
            ) {
                let priority = text(p)?;
                let deliveries_so_far = int(d)?;
                deliveries.push(Delivery {
                    id: DeliveryId::new(text(id)?),
                    queue: text(q)?,
                    priority: priority
                        .parse()
                        .map_err(|_| Unexpected(format!("priority {priority:?}")))?,
                    payload: Bytes::from(bulk(b)?),
                    deliveries: u32::try_from(deliveries_so_far)
                        .map_err(|_| Unexpected(format!("delivery count {deliveries_so_far}")))?,
                });
            }
            Ok(TakeReply::Taken(deliveries))
        }
        Some(0) => {
            let expiry = items
                .next()
                .map(int)
                .transpose()?
                .ok_or_else(|| Unexpected("no next expiry".into()))?;
            let next_expiry = u64::try_from(expiry).ok().map(Duration::from_millis);
            let signals = items.map(text).collect::<Parsed<Vec<String>>>()?;
            if signals.len() != queues {
                return Err(Unexpected(format!(
                    "{} signal ids for {queues} queues",
                    signals.len()
                )));
            }
            Ok(TakeReply::Empty {
                next_expiry,
                signals,
            })
        }
        other => Err(Unexpected(format!("take status {other:?}"))),
    }
}

/// An ack, extend or release script's reply (positions from 1 of the lost ones among the
/// `ids` ids it was given): the positions, from 0, of the lost ids.
pub(super) fn lost(value: Value, ids: usize) -> Parsed<Vec<usize>> {
    array(value)?
        .into_iter()
        .map(|v| {
            let position = int(v)?;
            usize::try_from(position)
                .ok()
                .and_then(|p| p.checked_sub(1))
                .filter(|&i| i < ids)
                .ok_or_else(|| Unexpected(format!("lost position {position} of {ids}")))
        })
        .collect()
}

/// A scopes script's reply: the id of the last new-scope signal, and the scopes.
pub(super) fn scopes(value: Value) -> Parsed<(String, Vec<String>)> {
    let mut items = array(value)?.into_iter();
    let seen = items
        .next()
        .map(text)
        .transpose()?
        .ok_or_else(|| Unexpected("no new-scope signal id".into()))?;
    let scopes = items.map(text).collect::<Parsed<Vec<String>>>()?;
    Ok((seen, scopes))
}

/// A stats script's reply (name, ready, leased per queue), sorted by queue name.
pub(super) fn stats(value: Value) -> Parsed<Vec<QueueStats>> {
    let items = array(value)?;
    if !items.len().is_multiple_of(3) {
        return Err(Unexpected(format!(
            "{} stats fields, not a multiple of 3",
            items.len()
        )));
    }
    let mut stats = Vec::with_capacity(items.len() / 3);
    let mut items = items.into_iter();
    while let (Some(q), Some(r), Some(l)) = (items.next(), items.next(), items.next()) {
        stats.push(QueueStats {
            queue: text(q)?,
            ready: count(r)?,
            leased: count(l)?,
        });
    }
    stats.sort_unstable_by(|a, b| a.queue.cmp(&b.queue));
    Ok(stats)
}

/// A push script's reply: the scope's generation, and whether the push made it.
pub(super) fn pushed(value: Value) -> Parsed<(String, bool)> {
    let mut items = array(value)?.into_iter();
    match (items.next(), items.next(), items.next()) {
        (Some(generation), Some(made), None) => Ok((text(generation)?, int(made)? == 1)),
        _ => Err(Unexpected("a push reply of other than two items".into())),
    }
}

/// A text reply.
pub(super) fn text(value: Value) -> Parsed<String> {
    String::from_utf8(bulk(value)?).map_err(|_| Unexpected("text that is not UTF-8".into()))
}

fn array(value: Value) -> Parsed<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(Unexpected(format!("{other:?} where an array was expected"))),
    }
}

fn int(value: Value) -> Parsed<i64> {
    match value {
        Value::Int(n) => Ok(n),
        other => Err(Unexpected(format!(
            "{other:?} where an integer was expected"
        ))),
    }
}

fn count(value: Value) -> Parsed<u64> {
    let n = int(value)?;
    u64::try_from(n).map_err(|_| Unexpected(format!("negative count {n}")))
}

fn bulk(value: Value) -> Parsed<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        other => Err(Unexpected(format!("{other:?} where a string was expected"))),
    }
}
