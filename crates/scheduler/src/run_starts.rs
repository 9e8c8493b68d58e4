//! Starting runs: queued runs move to running, oldest first, within each DAG's
//! `max_active_runs` and each tenant's quota of active runs.

use std::collections::HashMap;

use jiff::Timestamp;
use weft_model::{Dag, DagRunState};
use weft_store::RunPk;

use crate::config::SchedulerConfig;
use crate::step::Scheduler;

impl Scheduler {
    /// Move queued runs to running, oldest first, within each DAG's `max_active_runs` and
    /// each tenant's; a paused DAG's runs stay queued.
    pub(crate) fn start_runs(&mut self, now: Timestamp) {
        let mut running: HashMap<(String, String), u32> = HashMap::new();
        let mut tenant_running: HashMap<String, u32> = HashMap::new();
        for r in self
            .runs
            .values()
            .filter(|r| r.run.state == DagRunState::Running)
        {
            *running
                .entry((r.run.tenant.clone(), r.run.dag_id.clone()))
                .or_default() += 1;
            *tenant_running.entry(r.run.tenant.clone()).or_default() += 1;
        }
        let mut queued: Vec<(i64, RunPk)> = self
            .runs
            .values()
            .filter(|r| r.run.state == DagRunState::Queued)
            .map(|r| (r.run.logical_date.as_microsecond(), r.run.id))
            .collect();
        queued.sort();
        // Tenants whose batch is in flight are left to the step after it lands.
        let apart = self.flight.as_ref().map(|f| f.tenants());
        for (_, id) in queued {
            let Some(active) = self.runs.get(id) else {
                continue;
            };
            if apart.is_some_and(|a| a.contains(&active.run.tenant)) {
                continue;
            }
            let key = (active.run.tenant.clone(), active.run.dag_id.clone());
            if self.dags.paused(&key.0, &key.1) {
                continue;
            }
            let tenant_count = tenant_running.entry(key.0.clone()).or_default();
            if self
                .dags
                .quotas(&key.0)
                .max_active_runs
                .is_some_and(|max| *tenant_count >= max)
            {
                continue;
            }
            let limit = max_active_runs(&self.config, &active.dag);
            let count = running.entry(key).or_default();
            if *count >= limit {
                continue;
            }
            *count += 1;
            *tenant_count += 1;
            self.outbox.set_run(id, DagRunState::Running, now);
            if let Some(active) = self.runs.get_mut(id) {
                active.start_running(now);
            }
        }
    }
}

/// A DAG's `max_active_runs`, or the scheduler's default.
fn max_active_runs(config: &SchedulerConfig, dag: &Dag) -> u32 {
    dag.max_active_runs()
        .unwrap_or(config.default_max_active_runs)
}
