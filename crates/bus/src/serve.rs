//! The leading scheduler's side of the bus: [`serve`] feeds reports, notices and commands
//! into an [`Inbox`] until told to stop.

use std::future::Future;
use std::time::Duration;

use redis::Value;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use weft_protocol::{ControlMessage, Envelope, Reply, Report};

use crate::connection::{Bus, CONTROL, GROUP, REPLY_PREFIX, REPORTS};
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
        _ = control_loop(&bus, &inbox) => {}
        _ = crate::ended::publish_loop(&bus, &inbox) => {}
    }
}

async fn reports_loop(bus: &Bus, inbox: &impl Inbox, config: &ServeConfig) {
    let key = bus.key(REPORTS);
    // Claim at once on taking the lead: reports a dead leader read but never wrote come
    // first, before their attempts' leases can run out.
    let mut last_claim: Option<tokio::time::Instant> = None;
    loop {
        let mut conn = connect(bus).await;
        if let Err(e) = ensure_group(bus, &key).await {
            pause_after(&e).await;
            continue;
        }
        loop {
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
                claim(bus, &key, config, min_idle).await
            } else {
                read_group(&mut conn, bus, &key, &config.consumer).await
            };
            match entries {
                Ok(entries) => feed(bus, inbox, &key, entries),
                Err(e) => {
                    pause_after(&e).await;
                    break;
                }
            }
        }
    }
}

/// Create the consumer group (and the stream) if they are missing, e.g. after Redis lost
/// its data. A new group starts at the beginning so nothing already sent is skipped.
async fn ensure_group(bus: &Bus, key: &str) -> Result<(), BusError> {
    let mut conn = bus.commands();
    let created: Result<Value, _> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("BUSYGROUP") => Ok(()),
        Err(e) => Err(bus.unavailable(&e)),
    }
}

async fn read_group(
    conn: &mut redis::aio::MultiplexedConnection,
    bus: &Bus,
    key: &str,
    consumer: &str,
) -> Result<Vec<StreamId>, BusError> {
    let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(GROUP)
        .arg(consumer)
        .arg("COUNT")
        .arg(READ_COUNT)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(key)
        .arg(">")
        .query_async(conn)
        .await;
    match reply {
        Ok(reply) => Ok(reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default()),
        Err(e) if e.to_string().contains("NOGROUP") => {
            ensure_group(bus, key).await?;
            Ok(Vec::new())
        }
        Err(e) => Err(bus.unavailable(&e)),
    }
}

/// Take over reports that were read but not written for `claim_after`.
async fn claim(
    bus: &Bus,
    key: &str,
    config: &ServeConfig,
    min_idle: Duration,
) -> Result<Vec<StreamId>, BusError> {
    let mut conn = bus.commands();
    let reply: Result<StreamAutoClaimReply, _> = redis::cmd("XAUTOCLAIM")
        .arg(key)
        .arg(GROUP)
        .arg(&config.consumer)
        .arg(min_idle.as_millis() as u64)
        .arg("0-0")
        .arg("COUNT")
        .arg(READ_COUNT)
        .query_async(&mut conn)
        .await;
    match reply {
        Ok(reply) => {
            if !reply.claimed.is_empty() {
                tracing::info!(
                    entries = reply.claimed.len(),
                    "took over reports nobody wrote"
                );
            }
            Ok(reply.claimed)
        }
        Err(e) if e.to_string().contains("NOGROUP") => {
            ensure_group(bus, key).await?;
            Ok(Vec::new())
        }
        Err(e) => Err(bus.unavailable(&e)),
    }
}

/// Hand the reports of `entries` to the scheduler; acknowledge and delete the entries once
/// they are written. Entries that cannot be read are dropped with a log line.
fn feed(bus: &Bus, inbox: &impl Inbox, key: &str, entries: Vec<StreamId>) {
    if entries.is_empty() {
        return;
    }
    let mut reports: Vec<Report> = Vec::new();
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    for entry in entries {
        match decode_reports(&entry) {
            Ok(batch) => reports.extend(batch),
            Err(e) => {
                tracing::error!(id = %entry.id, error = %e, "unreadable report entry dropped")
            }
        }
    }
    let written = inbox.reports(reports);
    let bus = bus.clone();
    let key = key.to_owned();
    tokio::spawn(async move {
        if !written.await {
            // Not written: the entries stay pending and are claimed again later.
            return;
        }
        let mut conn = bus.commands();
        let mut pipe = redis::pipe();
        pipe.cmd("XACK").arg(&key).arg(GROUP).arg(&ids).ignore();
        pipe.cmd("XDEL").arg(&key).arg(&ids).ignore();
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

async fn control_loop(bus: &Bus, inbox: &impl Inbox) {
    // Start after whatever is there now: the scheduler has just read the store.
    crate::follow::follow(bus, &bus.key(CONTROL), |entry| {
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
