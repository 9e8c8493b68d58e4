//! A worker's side of the bus: [`ReportSender`].
//!
//! Reports are handed to a background task that sends everything waiting in one pipelined
//! `XADD` per batch; a report sent while a batch is on its way joins the next batch. So a
//! lone report goes out at once, and under load the round trips are shared.

use tokio::sync::{mpsc, oneshot};
use weft_protocol::{Envelope, Report};

use crate::connection::{Bus, REPORTS};
use crate::error::BusError;

/// Most reports sent in one stream entry.
const MAX_BATCH: usize = 512;

type Pending = (Vec<Report>, oneshot::Sender<Result<(), String>>);

/// Sends reports to the leading scheduler. Cheap to clone.
#[derive(Clone)]
pub struct ReportSender {
    tx: mpsc::UnboundedSender<Pending>,
}

impl ReportSender {
    /// A sender on `bus`; its background task ends when the last clone is dropped.
    pub fn new(bus: Bus) -> ReportSender {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(send_loop(bus, rx));
        ReportSender { tx }
    }

    /// Send reports; returns once they are on the bus (not yet written by the scheduler).
    pub async fn send(&self, reports: Vec<Report>) -> Result<(), BusError> {
        if reports.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.tx
            .send((reports, done))
            .map_err(|_| BusError::Malformed("the report sender has stopped".into()))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(BusError::Malformed(message)),
            Err(_) => Err(BusError::Malformed("the report sender has stopped".into())),
        }
    }
}

async fn send_loop(bus: Bus, mut rx: mpsc::UnboundedReceiver<Pending>) {
    let key = bus.key(REPORTS);
    while let Some(first) = rx.recv().await {
        let mut waiting = vec![first];
        while let Ok(more) = rx.try_recv() {
            waiting.push(more);
        }
        let mut pipe = redis::pipe();
        let mut entries = 0usize;
        let mut done = Vec::with_capacity(waiting.len());
        let mut entry: Vec<Report> = Vec::new();
        for (reports, answer) in waiting {
            done.push(answer);
            for report in reports {
                entry.push(report);
                if entry.len() == MAX_BATCH {
                    add(&mut pipe, &key, &std::mem::take(&mut entry));
                    entries += 1;
                }
            }
        }
        if !entry.is_empty() {
            add(&mut pipe, &key, &entry);
            entries += 1;
        }
        let mut conn = bus.commands();
        let sent: Result<(), String> = pipe
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| bus.unavailable(&e).to_string());
        if let Err(e) = &sent {
            tracing::warn!(error = %e, entries, "sending reports failed");
        }
        for answer in done {
            let _ = answer.send(sent.clone());
        }
    }
}

fn add(pipe: &mut redis::Pipeline, key: &str, reports: &Vec<Report>) {
    match Envelope::encode(reports) {
        Ok(json) => {
            pipe.cmd("XADD")
                .arg(key)
                .arg("*")
                .arg("r")
                .arg(json)
                .ignore();
        }
        // Reports are ids, times and byte strings: this cannot happen, and if it did the
        // attempts' leases would run out and they would be retried.
        Err(e) => tracing::error!(error = %e, reports = reports.len(), "reports not sent"),
    }
}
