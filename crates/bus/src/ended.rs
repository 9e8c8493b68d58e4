//! Runs that ended, from the leading scheduler to every API server, so that requests waiting
//! for a run to end are answered at once instead of polling the store.
//!
//! The scheduler appends each ended run's key to a capped stream ([`publish_loop`]); each
//! API server follows it ([`Ended`]) and re-broadcasts in process. Losing an entry only
//! delays a waiter until its next look at the store.

use std::sync::OnceLock;

use tokio::sync::broadcast;
use weft_protocol::RunPk;

use crate::connection::{Bus, ENDED};
use crate::follow::{field_bytes, follow};
use crate::inbox::Inbox;

/// Entries the stream keeps (about; Redis trims whole nodes).
const STREAM_LENGTH: usize = 10_000;
/// Ended runs kept in process for a subscriber that lags behind.
const BACKLOG: usize = 4096;
/// Most ended runs appended in one round trip.
const BATCH: usize = 512;

/// Append every run the scheduler ends to the stream, until the scheduler stops.
pub(crate) async fn publish_loop(bus: &Bus, inbox: &impl Inbox) {
    let Some(mut ended) = inbox.subscribe_ended() else {
        return std::future::pending().await;
    };
    let key = bus.key(ENDED);
    loop {
        let mut runs = Vec::new();
        match ended.recv().await {
            Ok(run) => runs.push(run),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "ended runs not announced; waiters will read the store"
                );
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
        while runs.len() < BATCH {
            match ended.try_recv() {
                Ok(run) => runs.push(run),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        for run in &runs {
            pipe.cmd("XADD")
                .arg(&key)
                .arg("MAXLEN")
                .arg("~")
                .arg(STREAM_LENGTH)
                .arg("*")
                .arg("r")
                .arg(run.to_string())
                .ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut bus.commands()).await {
            tracing::warn!(error = %bus.unavailable(&e), runs = runs.len(), "ended runs not announced; waiters will read the store");
        }
    }
}

/// An API server's view of the ended runs: the stream, followed in the background from the
/// first subscription on.
pub(crate) struct Ended {
    bus: Bus,
    sender: OnceLock<broadcast::Sender<RunPk>>,
}

impl Ended {
    pub(crate) fn new(bus: Bus) -> Ended {
        Ended {
            bus,
            sender: OnceLock::new(),
        }
    }

    /// Hear of runs that end from now on. Must be called within a Tokio runtime (the first
    /// call starts following the stream).
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<RunPk> {
        self.sender
            .get_or_init(|| {
                let (sender, _) = broadcast::channel(BACKLOG);
                tokio::spawn(follow_into(self.bus.clone(), sender.clone()));
                sender
            })
            .subscribe()
    }
}

async fn follow_into(bus: Bus, sender: broadcast::Sender<RunPk>) {
    let key = bus.key(ENDED);
    follow(&bus, &key, None, |entry| {
        let run = field_bytes(&entry, "r").and_then(|bytes| {
            std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| text.parse::<RunPk>().ok())
                .ok_or_else(|| {
                    crate::BusError::Malformed(format!("entry {} is not a run key", entry.id))
                })
        });
        match run {
            // Nobody waiting is fine.
            Ok(run) => drop(sender.send(run)),
            Err(e) => tracing::error!(error = %e, "unreadable ended-run entry dropped"),
        }
    })
    .await;
}
