//! A worker's side of the bus: [`ReportSender`].
//!
//! Reports are handed to a background task that sends everything waiting in one pipeline,
//! one `XADD` per tenant's report stream; a report sent while a batch is on its way joins the
//! next batch. So a lone report goes out at once, and under load the round trips are shared.

use tokio::sync::{mpsc, oneshot};
use weft_protocol::{Envelope, Report};

use std::collections::BTreeMap;

use crate::connection::Bus;
use crate::error::BusError;

/// Most reports sent in one stream entry.
const MAX_BATCH: usize = 512;

/// Reports of one tenant's attempts, and who waits to hear they are on the bus.
type Pending = (String, Vec<Report>, oneshot::Sender<Result<(), String>>);

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

    /// Send reports on attempts of `tenant` (its report stream); returns once they are on
    /// the bus (not yet written by the scheduler).
    pub async fn send(&self, tenant: &str, reports: Vec<Report>) -> Result<(), BusError> {
        if reports.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.tx
            .send((tenant.to_owned(), reports, done))
            .map_err(|_| BusError::Malformed("the report sender has stopped".into()))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(BusError::Malformed(message)),
            Err(_) => Err(BusError::Malformed("the report sender has stopped".into())),
        }
    }
}

async fn send_loop(bus: Bus, mut rx: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut waiting = vec![first];
        while let Ok(more) = rx.try_recv() {
            waiting.push(more);
        }
        // Each tenant's reports on its own stream, in the order they were sent.
        let mut by_tenant: BTreeMap<String, Vec<Report>> = BTreeMap::new();
        let mut done = Vec::with_capacity(waiting.len());
        for (tenant, reports, answer) in waiting {
            done.push(answer);
            by_tenant.entry(tenant).or_default().extend(reports);
        }
        let mut pipe = redis::pipe();
        let mut entries = 0usize;
        for (tenant, mut reports) in by_tenant {
            let key = bus.reports_key(&tenant);
            while !reports.is_empty() {
                let rest = reports.split_off(reports.len().min(MAX_BATCH));
                add(&mut pipe, &key, &reports);
                entries += 1;
                reports = rest;
            }
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
