//! Scheduled runs: for every unpaused DAG with a schedule, the runs whose data intervals have
//! ended, with Airflow's catchup rules.

use jiff::Timestamp;
use weft_model::{DataInterval, RunType};
use weft_store::{DagRecord, StoreError};

use crate::core::{Scheduler, SchedulerError};
use crate::new_runs::{RunSpec, new_run};

/// Most scheduled runs created for one DAG in one step (catchup creates the rest next step).
const MAX_RUNS_PER_STEP: usize = 16;

/// Create the scheduled runs that are due at `now`.
pub(crate) async fn create_due_runs(
    s: &mut Scheduler,
    now: Timestamp,
) -> Result<(), SchedulerError> {
    let records: Vec<DagRecord> = s
        .dags
        .values()
        .filter(|d| !d.paused && d.spec.schedule.is_some())
        .cloned()
        .collect();
    for record in records {
        let Some((dag, _)) = s.graph(&record.tenant, &record.digest).await? else {
            continue;
        };
        let key = (record.tenant.clone(), record.dag_id.clone());
        let mut last = last_interval(s, &key).await?;
        for _ in 0..MAX_RUNS_PER_STEP {
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
            match s.store.create_run(run).await {
                Ok((row, tis)) => {
                    tracing::info!(dag = %record.dag_id, run = %row.run_id, "scheduled run created");
                    let id = row.id;
                    if let Some((dag, graph)) = s.graph(&row.tenant, &row.digest).await?
                        && let Ok(active) = crate::active_run::ActiveRun::new(row, tis, dag, graph)
                    {
                        s.insert_run(active);
                        s.evaluate_run(id);
                    }
                }
                // Another scheduler created it first: fine, move on.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            last = Some(interval);
        }
        s.last_scheduled.insert(key, last);
    }
    Ok(())
}

/// The next time a scheduled run falls due, over all unpaused scheduled DAGs.
pub(crate) fn next_due(s: &Scheduler, now: Timestamp) -> Option<Timestamp> {
    s.dags
        .values()
        .filter(|d| !d.paused && d.spec.schedule.is_some())
        .filter_map(|d| {
            let (dag, _) = s.graphs.get(&d.digest)?;
            let last = s
                .last_scheduled
                .get(&(d.tenant.clone(), d.dag_id.clone()))
                .copied()
                .flatten();
            dag.next_interval(last, now).map(|iv| iv.run_after())
        })
        .filter(|at| *at > now)
        .min()
}

async fn last_interval(
    s: &mut Scheduler,
    key: &(String, String),
) -> Result<Option<DataInterval>, SchedulerError> {
    if let Some(last) = s.last_scheduled.get(key) {
        return Ok(*last);
    }
    let last = s
        .store
        .latest_scheduled_run(&key.0, &key.1)
        .await?
        .map(|r| DataInterval {
            start: r.data_interval_start,
            end: r.data_interval_end,
        });
    s.last_scheduled.insert(key.clone(), last);
    Ok(last)
}
