//! Clearing and marking task instances by hand (the API's clear and mark), done inside the
//! scheduler's loop so its memory stays the store's mirror: the change is written, then the
//! run is read again and what follows is decided at once.

use std::collections::BTreeSet;

use weft_model::{DagRunState, TaskState};
use weft_store::{RunPk, SetRunState, SetTaskState, WriteBatch};

use crate::control::ControlError;
use crate::step::Scheduler;

impl Scheduler {
    /// Clear task instances (and their downstream tasks when asked) so they run again.
    pub async fn clear(
        &mut self,
        tenant: &str,
        run: RunPk,
        task_ids: &[String],
        downstream: bool,
    ) -> Result<usize, ControlError> {
        let (row, tis) = self.load_for_command(tenant, run).await?;
        let (dag, graph) = self
            .dags
            .graph(&*self.store, &row.tenant, &row.digest)
            .await?
            .ok_or_else(|| {
                ControlError::NotFound(format!(
                    "component {} of run {} is gone",
                    row.digest, row.run_id
                ))
            })?;
        let mut chosen = BTreeSet::new();
        let mut work = Vec::new();
        for id in task_ids {
            let i = *graph.index.get(id).ok_or_else(|| {
                ControlError::NotFound(format!("DAG {:?} has no task {id:?}", row.dag_id))
            })?;
            work.push(i);
        }
        if work.is_empty() {
            return Err(ControlError::Invalid(
                "name at least one task to clear".into(),
            ));
        }
        while let Some(i) = work.pop() {
            if chosen.insert(i) && downstream {
                work.extend(graph.downstream[i].iter().copied());
            }
        }
        let now = self.clock.now();
        let mut batch = WriteBatch::default();
        for i in &chosen {
            let Some(ti) = tis.iter().find(|t| t.task_id == graph.ids[*i]) else {
                continue;
            };
            batch.set_task.push(SetTaskState {
                ti: ti.id,
                state: TaskState::None,
                at: now,
                // Airflow gives a cleared task its retries again.
                max_tries: Some(ti.try_number + dag.tasks()[*i].retries + 1),
                bump_lease: true,
            });
        }
        if row.state.is_finished() {
            batch.set_run.push(SetRunState {
                run,
                state: DagRunState::Queued,
                at: now,
            });
        }
        batch.leader = self.config.leader.clone();
        self.store.write(batch).await?;
        self.reload_run(run).await?;
        Ok(chosen.len())
    }

    /// Mark a task instance `success`, `failed` or `skipped` by hand.
    pub async fn mark(
        &mut self,
        tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError> {
        if !matches!(
            state,
            TaskState::Success | TaskState::Failed | TaskState::Skipped
        ) {
            return Err(ControlError::Invalid(format!(
                "a task can be marked success, failed or skipped, not {}",
                state.as_str()
            )));
        }
        let (row, tis) = self.load_for_command(tenant, run).await?;
        let ti = tis.iter().find(|t| t.task_id == task_id).ok_or_else(|| {
            ControlError::NotFound(format!("run {} has no task {task_id:?}", row.run_id))
        })?;
        let now = self.clock.now();
        let mut batch = WriteBatch::default();
        batch.set_task.push(SetTaskState {
            ti: ti.id,
            state,
            at: now,
            max_tries: None,
            bump_lease: true,
        });
        if row.state.is_finished() {
            batch.set_run.push(SetRunState {
                run,
                state: DagRunState::Queued,
                at: now,
            });
        }
        batch.leader = self.config.leader.clone();
        self.store.write(batch).await?;
        // Waits on this task hear of its end.
        self.deferrals.task_ended(&row, task_id, state);
        self.deferrals.written();
        self.reload_run(run).await?;
        // Marking may finish the run or free its downstream tasks: decide at once.
        if let Some(active) = self.runs.get_mut(run)
            && let Some(&i) = active.graph.index.get(task_id)
        {
            let evaluation = active.evaluate_downstream(i, now);
            self.absorb(run, evaluation, now);
        }
        Ok(())
    }

    /// Run `run` with its task instances, as the store holds it, if it is `tenant`'s.
    async fn load_for_command(
        &self,
        tenant: &str,
        run: RunPk,
    ) -> Result<(weft_store::DagRun, Vec<weft_store::TaskInstance>), ControlError> {
        match self.store.run(run).await? {
            Some((row, tis)) if row.tenant == tenant => Ok((row, tis)),
            _ => Err(ControlError::NotFound(format!("no run {run}"))),
        }
    }
}
