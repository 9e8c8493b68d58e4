//! The leading scheduler's side of the bus: [`serve`] feeds reports, notices and commands
//! into an [`Inbox`] until told to stop.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use redis::Value;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use weft_protocol::{ControlMessage, Envelope, Reply, Report};

use crate::connection::{Bus, CONTROL, GROUP, REPLY_PREFIX};
use crate::error::BusError;
use crate::follow::{BLOCK, READ_COUNT, connect, field_bytes, pause_after};
use crate::inbox::Inbox;

/// How long replies to commands are kept for their caller.
pub(crate) const REPLY_TTL_SECS: i64 = 60;

/// How reports are taken from the bus.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// This scheduler's name in the consumer group (unique per process).
    pub consumer: String,
    /// Reports read by a scheduler and not written after this long are taken over (from a
    /// scheduler that died, or from a step of this one that failed).
    pub claim_after: Duration,
    /// Where reading notices and commands starts: the control stream's position taken with
    /// [`control_position`] before the scheduler read the store, so that a run created or a
    /// command sent while it was reading is not missed. None: the stream's end when serving
    /// starts.
    pub control_from: Option<String>,
}

/// The control stream's position now (the id of its newest entry), to start serving from
/// once the scheduler has read the store; none when Redis does not answer (serving then
/// starts from the stream's end, as it does after a failure).
pub async fn control_position(bus: &Bus) -> Option<String> {
    match crate::follow::last_id(bus, &bus.key(CONTROL)).await {
        Ok(position) => Some(position),
        Err(e) => {
            tracing::warn!(error = %e, "the control stream's position is unknown; notices and commands are read from its end");
            None
        }
    }
}

/// Feed the bus to `inbox` until `shutdown` resolves: reports through the consumer group
/// (acknowledged and deleted once written), notices, and commands (answered).
pub async fn serve(
    bus: Bus,
    inbox: impl Inbox,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    tokio::select! {
        _ = &mut shutdown => {}
        _ = reports_loop(&bus, &inbox, &config) => {}
        _ = control_loop(&bus, &inbox, config.control_from.clone()) => {}
        _ = crate::ended::publish_loop(&bus, &inbox) => {}
    }
}

async fn reports_loop(bus: &Bus, inbox: &impl Inbox, config: &ServeConfig) {
    let mut tenants = inbox.report_tenants();
    // Claim at once on taking the lead: reports a dead leader read but never wrote come
    // first, before their attempts' leases can run out.
    let mut last_claim: Option<tokio::time::Instant> = None;
    loop {
        let mut conn = connect(bus).await;
        // Every stream read, its consumer group made (again, after a reconnection: Redis may
        // have lost its data).
        let mut keys: Vec<String> = Vec::new();
        loop {
            if keys.is_empty() || tenants.has_changed().unwrap_or(false) {
                let wanted = stream_keys(bus, &tenants.borrow_and_update());
                let new: Vec<String> = wanted
                    .iter()
                    .filter(|k| !keys.contains(k))
                    .cloned()
                    .collect();
                if let Err(e) = ensure_groups(bus, &new).await {
                    pause_after(&e).await;
                    break;
                }
                keys = wanted;
            }
            if keys.is_empty() {
                // No tenant yet: nothing can report until one comes (never, once the
                // scheduler is gone).
                if tenants.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
                continue;
            }
            let due = last_claim.is_none_or(|at| at.elapsed() >= config.claim_after / 2);
            let entries = if due {
                // The first claim of a term takes every pending report: whoever read them
                // before lost the lead, and is fenced off the store.
                let min_idle = if last_claim.is_none() {
                    Duration::ZERO
                } else {
                    config.claim_after
                };
                last_claim = Some(tokio::time::Instant::now());
                claim(bus, &keys, config, min_idle).await
            } else {
                read_group(&mut conn, bus, &keys, &config.consumer).await
            };
            match entries {
                Ok(entries) => feed(bus, inbox, entries),
                Err(e) => {
                    pause_after(&e).await;
                    break;
                }
            }
        }
    }
}

/// The report streams of `tenants`, in order.
fn stream_keys(bus: &Bus, tenants: &BTreeSet<String>) -> Vec<String> {
    tenants.iter().map(|t| bus.reports_key(t)).collect()
}

/// Create the consumer group (and the stream) of each of `keys` where it is missing, e.g.
/// after Redis lost its data. A new group starts at the beginning so nothing already sent
/// is skipped. One round trip.
async fn ensure_groups(bus: &Bus, keys: &[String]) -> Result<(), BusError> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut conn = bus.commands();
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("XGROUP")
            .arg("CREATE")
            .arg(key)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM");
    }
    // Each answer on its own: a group that exists (BUSYGROUP) is what was wanted.
    let answers: Vec<redis::RedisResult<Value>> = pipe
        .ignore_errors()
        .query_async(&mut conn)
        .await
        .map_err(|e| bus.unavailable(&e))?;
    match answers
        .into_iter()
        .find_map(|a| a.err().filter(|e| !busy_group(e)))
    {
        Some(e) => Err(bus.unavailable(&e)),
        None => Ok(()),
    }
}

fn busy_group(e: &redis::RedisError) -> bool {
    e.to_string().contains("BUSYGROUP")
}

/// Entries of any of `keys` not yet delivered to a scheduler, each with its stream's key
/// (at most [`READ_COUNT`] per stream, so a flooded stream holds up no other).
async fn read_group(
    conn: &mut redis::aio::MultiplexedConnection,
    bus: &Bus,
    keys: &[String],
    consumer: &str,
) -> Result<Vec<(String, StreamId)>, BusError> {
    let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(GROUP)
        .arg(consumer)
        .arg("COUNT")
        .arg(READ_COUNT)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(keys)
        .arg(vec![">"; keys.len()])
        .query_async(conn)
        .await;
    match reply {
        Ok(reply) => Ok(reply
            .map(|r| {
                r.keys
                    .into_iter()
                    .flat_map(|k| {
                        let key = k.key;
                        k.ids.into_iter().map(move |id| (key.clone(), id))
                    })
                    .collect()
            })
            .unwrap_or_default()),
        Err(e) if e.to_string().contains("NOGROUP") => {
            ensure_groups(bus, keys).await?;
            Ok(Vec::new())
        }
        Err(e) => Err(bus.unavailable(&e)),
    }
}

/// Take over reports of `keys` that were read but not written for `min_idle`, in one
/// round trip.
async fn claim(
    bus: &Bus,
    keys: &[String],
    config: &ServeConfig,
    min_idle: Duration,
) -> Result<Vec<(String, StreamId)>, BusError> {
    let mut conn = bus.commands();
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("XAUTOCLAIM")
            .arg(key)
            .arg(GROUP)
            .arg(&config.consumer)
            .arg(min_idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(READ_COUNT);
    }
    let reply: Result<Vec<StreamAutoClaimReply>, _> = pipe.query_async(&mut conn).await;
    match reply {
        Ok(replies) => {
            let claimed: Vec<(String, StreamId)> = keys
                .iter()
                .zip(replies)
                .flat_map(|(key, reply)| reply.claimed.into_iter().map(|id| (key.clone(), id)))
                .collect();
            if !claimed.is_empty() {
                tracing::info!(entries = claimed.len(), "took over reports nobody wrote");
            }
            Ok(claimed)
        }
        Err(e) if e.to_string().contains("NOGROUP") => {
            ensure_groups(bus, keys).await?;
            Ok(Vec::new())
        }
        Err(e) => Err(bus.unavailable(&e)),
    }
}

/// Hand the reports of `entries` (each with its stream's key) to the scheduler; acknowledge
/// and delete the entries once they are written. Entries that cannot be read are dropped
/// with a log line.
fn feed(bus: &Bus, inbox: &impl Inbox, entries: Vec<(String, StreamId)>) {
    if entries.is_empty() {
        return;
    }
    let mut reports: Vec<Report> = Vec::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, entry) in entries {
        match decode_reports(&entry) {
            Ok(batch) => reports.extend(batch),
            Err(e) => {
                tracing::error!(id = %entry.id, stream = %key, error = %e, "unreadable report entry dropped")
            }
        }
        ids.entry(key).or_default().push(entry.id);
    }
    let written = inbox.reports(reports);
    let bus = bus.clone();
    tokio::spawn(async move {
        if !written.await {
            // Not written: the entries stay pending and are claimed again later.
            return;
        }
        let mut conn = bus.commands();
        let mut pipe = redis::pipe();
        for (key, ids) in &ids {
            pipe.cmd("XACK").arg(key).arg(GROUP).arg(ids).ignore();
            pipe.cmd("XDEL").arg(key).arg(ids).ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %e, "acknowledging written reports failed; they may be read again (harmless)");
        }
    });
}

fn decode_reports(entry: &StreamId) -> Result<Vec<Report>, BusError> {
    Envelope::decode(field_bytes(entry, "r")?).map_err(|source| BusError::Protocol {
        entry: entry.id.clone(),
        source,
    })
}

async fn control_loop(bus: &Bus, inbox: &impl Inbox, from: Option<String>) {
    // Start where the stream was before the scheduler read the store (or after whatever is
    // there now).
    crate::follow::follow(bus, &bus.key(CONTROL), from, |entry| {
        match field_bytes(&entry, "m").and_then(|bytes| {
            Envelope::decode::<ControlMessage>(bytes).map_err(|source| BusError::Protocol {
                entry: entry.id.clone(),
                source,
            })
        }) {
            Ok(ControlMessage::Notice { notice }) => inbox.notice(notice),
            Ok(ControlMessage::Created(created)) => inbox.run_created(*created),
            Ok(ControlMessage::CreatedFromDag(created)) => inbox.run_created_from_dag(*created),
            Ok(ControlMessage::Command { reply_to, command })
                if reply_to.starts_with(&bus.key(REPLY_PREFIX)) =>
            {
                let (bus, inbox) = (bus.clone(), inbox.clone());
                tokio::spawn(async move {
                    let reply = inbox.command(command).await;
                    answer(&bus, &reply_to, &reply).await;
                });
            }
            Ok(ControlMessage::Command { reply_to, .. }) => {
                tracing::error!(%reply_to, "command with a reply key outside the bus dropped");
            }
            Err(e) => tracing::error!(error = %e, "unreadable control entry dropped"),
        }
    })
    .await;
}

/// Push `reply` to the caller's list, kept for a while in case it asks late.
async fn answer(bus: &Bus, reply_to: &str, reply: &Reply) {
    let json = match Envelope::encode(reply) {
        Ok(json) => json,
        Err(e) => {
            tracing::error!(error = %e, "could not encode an answer to a command");
            return;
        }
    };
    let mut conn = bus.commands();
    let mut pipe = redis::pipe();
    pipe.cmd("LPUSH").arg(reply_to).arg(json).ignore();
    pipe.cmd("EXPIRE")
        .arg(reply_to)
        .arg(REPLY_TTL_SECS)
        .ignore();
    if let Err(e) = pipe.query_async::<()>(&mut conn).await {
        tracing::warn!(error = %e, "could not answer a command");
    }
}
