//! Scheduled runs: for every unpaused DAG with a schedule, the runs whose data intervals have
//! ended, with Airflow's catchup rules; [`Schedules`] remembers each DAG's latest interval.
//!
//! A `@continuous` DAG gets a new run whenever it has fewer runs queued or running than its
//! `max_active_runs`, which is 1 when it sets none (as Airflow requires of such DAGs): one
//! run per step, so that each covers the time since the one before.

use std::collections::HashMap;

use jiff::Timestamp;
use weft_model::{Dag, DagRunState, DataInterval, RunType};
use weft_store::{DagRecord, StoreError};

use crate::active_runs::ActiveRuns;
use crate::dags::Dags;
use crate::error::SchedulerError;
use crate::new_runs::{RunSpec, new_run};
use crate::run_reads::RunReads;
use crate::step::Scheduler;

/// Most scheduled runs created for one DAG in one step (catchup creates the rest next step).
const MAX_RUNS_PER_STEP: usize = 16;

/// The latest scheduled interval of each scheduled DAG (by tenant and DAG id), once looked
/// up in the store: the next run's interval follows it.
#[derive(Debug, Default)]
pub(crate) struct Schedules {
    /// `None` inside: the DAG has no scheduled run yet.
    last: HashMap<(String, String), Option<DataInterval>>,
}

impl Schedules {
    /// The next time a scheduled run falls due, over all unpaused scheduled DAGs: now for a
    /// `@continuous` DAG with room for a run (after a run of it ended), else later or never.
    pub(crate) fn next_due(
        &self,
        dags: &Dags,
        runs: &ActiveRuns,
        reads: &RunReads,
        now: Timestamp,
    ) -> Option<Timestamp> {
        dags.scheduled()
            .filter_map(|d| {
                let (dag, _) = dags.known_graph(&d.digest)?;
                let last = self
                    .last
                    .get(&(d.tenant.clone(), d.dag_id.clone()))
                    .copied()
                    .flatten();
                let at = dag.next_interval(last, now)?.run_after();
                if dag.is_continuous() {
                    let room = active_of(runs, reads, &d.tenant, &d.dag_id) < continuous_limit(dag);
                    return room.then_some(at.max(now));
                }
                (at > now).then_some(at)
            })
            .min()
    }
}

/// Most runs of `@continuous` DAG `dag` queued or running at once.
fn continuous_limit(dag: &Dag) -> usize {
    dag.max_active_runs().map_or(1, |n| n as usize)
}

/// Runs of DAG `dag_id` of `tenant` in memory that are queued or running, and those being
/// built to be taken up (`run_builds`).
fn active_of(runs: &ActiveRuns, reads: &RunReads, tenant: &str, dag_id: &str) -> usize {
    let in_memory = runs
        .values()
        .filter(|r| {
            r.run.tenant == tenant
                && r.run.dag_id == dag_id
                && matches!(r.run.state, DagRunState::Queued | DagRunState::Running)
        })
        .count();
    in_memory + reads.awaited_of(tenant, dag_id)
}

impl Scheduler {
    /// Create the scheduled runs that are due at `now`.
    pub(crate) async fn create_due_runs(&mut self, now: Timestamp) -> Result<(), SchedulerError> {
        let records: Vec<DagRecord> = self.dags.scheduled().cloned().collect();
        for record in records {
            let Some((dag, _)) = self
                .dags
                .graph(&*self.store, &record.tenant, &record.digest)
                .await?
            else {
                continue;
            };
            let key = (record.tenant.clone(), record.dag_id.clone());
            let mut last = self.last_interval(&key).await?;
            let most = if dag.is_continuous() {
                let active = active_of(&self.runs, &self.reads, &record.tenant, &record.dag_id);
                usize::from(active < continuous_limit(&dag))
            } else {
                MAX_RUNS_PER_STEP
            };
            for _ in 0..most {
                let Some(interval) = dag.next_dagrun_interval(last, now) else {
                    break;
                };
                if last == Some(interval) {
                    break;
                }
                let run = new_run(
                    &record,
                    &dag,
                    RunSpec::for_interval(RunType::Scheduled, interval),
                    now,
                );
                match self.store.create_run(run).await {
                    Ok((row, tis)) => {
                        tracing::info!(dag = %record.dag_id, run = %row.run_id, "scheduled run created");
                        if let Some((dag, graph)) = self
                            .dags
                            .graph(&*self.store, &row.tenant, &row.digest)
                            .await?
                        {
                            self.take_created(row, tis, dag, graph);
                        }
                    }
                    // Another scheduler created it first: fine, move on.
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                last = Some(interval);
            }
            self.schedules.last.insert(key, last);
        }
        Ok(())
    }

    /// The latest scheduled interval of DAG `key`, from memory or else from the store.
    async fn last_interval(
        &mut self,
        key: &(String, String),
    ) -> Result<Option<DataInterval>, SchedulerError> {
        if let Some(last) = self.schedules.last.get(key) {
            return Ok(*last);
        }
        let last = self
            .store
            .latest_scheduled_run(&key.0, &key.1)
            .await?
            .map(|r| DataInterval {
                start: r.data_interval_start,
                end: r.data_interval_end,
            });
        self.schedules.last.insert(key.clone(), last);
        Ok(last)
    }
}
