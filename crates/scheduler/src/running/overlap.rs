//! The loop while a step's batch is in flight (see [`flight`](crate::flight)): what arrives
//! of tenants the batch does not touch goes in an overlapped step beside it; the rest waits
//! for it to land, in the order it came.

use weft_protocol::Report;

use super::{Input, SchedulerService, Ticked};
use crate::error::SchedulerError;
use crate::express::{self, Pace};
use crate::step::Scheduler;

impl SchedulerService {
    /// Until the batch in flight (if any) lands: take what arrives, step beside the batch
    /// with what may go ahead of it, and keep the rest for the next pass. The batch's
    /// landing is this pass's outcome; an overlapped step that fails is logged, and what
    /// arrives after it waits.
    pub(super) async fn overlap(&mut self) -> Result<(), SchedulerError> {
        // Once an input that cannot go beside the batch (a command, a notice, a run read)
        // is kept, nothing after it goes ahead of it.
        let mut in_order = true;
        loop {
            let Some(write) = self.scheduler.flight_write() else {
                return Ok(());
            };
            let mut arrived = Vec::new();
            tokio::select! {
                biased;
                joined = write => return self.scheduler.landed(joined).await,
                input = self.rx.recv() => match input {
                    Some(input) => arrived.push(input),
                    // Every handle is gone: the loop ends once the batch lands.
                    None => return self.scheduler.land().await,
                },
                Some(read) = self.reads.1.recv() => arrived.push(Input::Read(Box::new(read))),
            }
            while let Ok(more) = self.rx.try_recv() {
                arrived.push(more);
            }
            let beside = self.beside_flight(arrived, &mut in_order);
            if beside.is_empty() {
                continue;
            }
            tracing::debug!(
                inputs = beside.len(),
                "overlapped step: beside the batch in flight"
            );
            // An overlapped step is a pass of its own, which cannot recurse into this one.
            let step = Box::pin(self.handle(beside, Ticked::default(), Pace::Overlapped));
            if let Err(e) = step.await {
                tracing::error!(error = %e, "an overlapped step failed; the rest waits for the batch in flight");
                in_order = false;
                // A report batch split with it was not all written: its sender must not hear
                // that it was.
                for input in &mut self.arrived {
                    if let Input::Reports(_, written) = input {
                        *written = None;
                    }
                }
            }
        }
    }

    /// Split what `arrived` into what may go beside the batch in flight, returned, and the
    /// rest, kept in `arrived` for the next pass. Reports go beside it when their tasks are
    /// in memory and of tenants it does not touch; a new run when its tenant is not one of
    /// those and the loop loads it at once. What is kept for its tenant keeps that tenant's
    /// order (all it sends is kept); anything else kept (a command, a notice, a run read, a
    /// big run) is kept with everything after it (`in_order` turns false).
    fn beside_flight(&mut self, arrived: Vec<Input>, in_order: &mut bool) -> Vec<Input> {
        let mut beside = Vec::new();
        for input in arrived {
            if !*in_order {
                self.arrived.push(input);
                continue;
            }
            match input {
                Input::Reports(reports, written) => {
                    let (go, stay): (Vec<Report>, Vec<Report>) = reports
                        .into_iter()
                        .partition(|r| may_go_beside(&self.scheduler, r));
                    match (go.is_empty(), stay.is_empty()) {
                        (true, _) => self.arrived.push(Input::Reports(stay, written)),
                        (false, true) => beside.push(Input::Reports(go, written)),
                        // The batch's sender hears once all of it is written: with the part
                        // kept, which a later step writes.
                        (false, false) => {
                            beside.push(Input::Reports(go, None));
                            self.arrived.push(Input::Reports(stay, written));
                        }
                    }
                }
                input @ (Input::Created(..) | Input::CreatedFromDag(_)) => {
                    match new_run_tenant(&input) {
                        // Whatever comes after it of its tenant is kept too.
                        Some(tenant) if flight_touches(&self.scheduler, tenant) => {
                            self.arrived.push(input);
                        }
                        _ if express::loaded_at_once(&self.scheduler, &input) => {
                            beside.push(input);
                        }
                        // A run built or read away from the loop: the runs of its DAG after
                        // it stay after it.
                        _ => {
                            *in_order = false;
                            self.arrived.push(input);
                        }
                    }
                }
                other => {
                    *in_order = false;
                    self.arrived.push(other);
                }
            }
        }
        beside
    }
}

/// Whether `report` is about a task in memory of a tenant the batch in flight does not
/// touch, of a run not waiting to be read again (which a full step does first).
fn may_go_beside(scheduler: &Scheduler, report: &Report) -> bool {
    scheduler
        .runs
        .task(report.attempt().ti)
        .is_some_and(|(active, _)| {
            !flight_touches(scheduler, &active.run.tenant)
                && !scheduler.outbox.reloading(active.run.id)
        })
}

/// The tenant of `input`'s new run, if it brings one.
fn new_run_tenant(input: &Input) -> Option<&str> {
    match input {
        Input::Created(run, _) => Some(&run.tenant),
        Input::CreatedFromDag(created) => Some(&created.run.tenant),
        _ => None,
    }
}

/// Whether the batch in flight touches `tenant`'s runs (true when no batch is in flight:
/// then nothing goes beside it).
fn flight_touches(scheduler: &Scheduler, tenant: &str) -> bool {
    scheduler
        .flight
        .as_ref()
        .is_none_or(|f| f.tenants().contains(tenant))
}
