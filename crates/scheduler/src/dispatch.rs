//! Sending queued attempts to workers: once the store says an attempt is queued, memory
//! records it and its message (with the run's details and the upstream outputs the scheduler
//! knows) goes on the task's queue, keyed by task instance.

use weft_model::Expand;
use weft_queue::{Message, scope};
use weft_store::{QueueTask, StoreError};

use crate::active_run::ActiveRun;
use crate::error::SchedulerError;
use crate::outputs::Outputs;
use crate::step::Scheduler;
use weft_protocol::TaskMessage;

impl Scheduler {
    /// Record queued attempts in memory and put their messages on the queues.
    pub(crate) async fn dispatch(&mut self, queued: &[QueueTask]) -> Result<(), SchedulerError> {
        if queued.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.load_unknown_tenants(queued).await {
            // Without its tenant's sandbox policy no attempt goes out: all are queued again
            // (new lease) on the next step.
            for q in queued {
                self.outbox.requeue(q.ti, q.lease + 1, q.try_number, q.at);
            }
            return Err(e.into());
        }
        let mut messages = Vec::with_capacity(queued.len());
        // For each message, the queued attempt it carries.
        let mut carried = Vec::with_capacity(queued.len());
        let mut encoding = Ok(());
        for q in queued {
            let Some((run, i)) = self.runs.locate(q.ti) else {
                continue;
            };
            let Some(active) = self.runs.get_mut(run) else {
                continue;
            };
            // Upstream tasks only: what this attempt's queuing changes is not among them. An
            // instance of a mapped task runs the mapped task, with its upstream tasks but the
            // one it is mapped over: it gets its item, not that whole output.
            let task = active.task_of(i);
            let (limits, tenant_egress) = match self.dags.sandbox(&active.run.tenant) {
                Some(sandbox) => {
                    let spec = &active.dag.tasks()[task];
                    (
                        sandbox.resolve(
                            spec.execution_timeout,
                            spec.resources.memory_bytes,
                            spec.resources.fuel,
                        ),
                        sandbox.egress_allow.clone(),
                    )
                }
                None => Default::default(),
            };
            let upstream = upstream_of(active, i);
            let upstream_outputs = Outputs::of(active, &upstream);
            active.record_queued(i, q);
            let ti = &active.tis[i];
            let message = TaskMessage {
                ti: ti.id,
                lease: ti.lease,
                attempt_key: self
                    .config
                    .attempt_keys
                    .as_ref()
                    .map(|keys| keys.issue(ti.id, ti.lease)),
                run,
                tenant: active.run.tenant.clone(),
                dag_id: active.run.dag_id.clone(),
                run_id: active.run.run_id.clone(),
                task_id: active.graph.ids[task].clone(),
                try_number: ti.try_number,
                max_tries: ti.max_tries,
                digest: active.run.digest.clone(),
                queue: ti.queue.clone(),
                logical_date: active.run.logical_date,
                data_interval_start: active.run.data_interval_start,
                data_interval_end: active.run.data_interval_end,
                conf: active.run.conf.clone(),
                upstream: upstream
                    .iter()
                    .map(|&u| active.graph.ids[u].clone())
                    .collect(),
                upstream_outputs,
                event: ti.deferral.as_ref().and_then(|d| d.event.clone()),
                map_index: ti.map_index,
                map_item: ti.map_item.clone(),
                limits,
                tenant_egress,
            };
            match message.encode() {
                Ok(payload) => {
                    carried.push(q);
                    messages.push(
                        // On the tenant's own queue (a worker serves named tenants), keyed by task
                        // instance: a new attempt's message replaces any stale one.
                        Message::new(scope::scoped(&active.run.tenant, &ti.queue), payload)
                            .with_priority(ti.priority_weight)
                            .with_key(message_key(ti.id)),
                    );
                }
                Err(e) => {
                    encoding = Err(e);
                    break;
                }
            }
        }
        if let Err(e) = encoding {
            // Nothing went out: queue them all again (new lease) on the next step.
            for q in queued {
                self.outbox.requeue(q.ti, q.lease + 1, q.try_number, q.at);
            }
            return Err(e.into());
        }
        let count = messages.len();
        if let Err(e) = self.queue.push(messages).await {
            // The store says queued but these messages did not go out: queue them again (new
            // lease) on the next step, so nothing is left stuck in queued. Only those: when
            // one tenant's queues fail, the others' attempts keep the messages they were sent.
            for i in e.not_pushed(count) {
                if let Some(q) = carried.get(i) {
                    self.outbox.requeue(q.ti, q.lease + 1, q.try_number, q.at);
                }
            }
            return Err(e.into());
        }
        Ok(())
    }
}

impl Scheduler {
    /// Read the tenants of `queued` the scheduler has not read yet (made since its last
    /// reload): an attempt never goes out without its tenant's sandbox policy.
    async fn load_unknown_tenants(&mut self, queued: &[QueueTask]) -> Result<(), StoreError> {
        let mut unknown = std::collections::BTreeSet::new();
        for q in queued {
            if let Some((run, _)) = self.runs.locate(q.ti)
                && let Some(active) = self.runs.get(run)
                && self.dags.sandbox(&active.run.tenant).is_none()
            {
                unknown.insert(active.run.tenant.clone());
            }
        }
        for name in unknown {
            if let Some(tenant) = self.store.tenant(&name).await? {
                self.dags.set_tenant(&tenant);
            }
            // Read or not, its attempts go out: its reports are to be read.
            self.dags.reporting(&name);
            self.resync.settings_read(&name);
        }
        Ok(())
    }
}

/// The key of task instance `ti`'s message on its queue: a new attempt's message replaces
/// the old one.
pub(crate) fn message_key(ti: weft_store::TiPk) -> String {
    format!("ti:{ti}")
}

/// The upstream tasks an attempt of slot `i` gets the outputs of: its task's, but for an
/// instance of a mapped task not the one it is mapped over.
fn upstream_of(active: &ActiveRun, i: usize) -> Vec<usize> {
    let task = active.task_of(i);
    let all = &active.graph.upstream[task];
    match &active.dag.tasks()[task].expand {
        Some(Expand::Upstream(over)) if active.is_instance(i) => all
            .iter()
            .copied()
            .filter(|&u| active.graph.ids[u] != *over)
            .collect(),
        _ => all.clone(),
    }
}
