//! Clearing and marking task instances by hand (the API's clear and mark), done inside the
//! scheduler's loop so its memory stays the store's mirror: the change is written, then the
//! run is read again and what follows is decided at once.

use std::collections::BTreeSet;

use jiff::Timestamp;
use weft_model::{DagRunState, TaskState};
use weft_store::{RunPk, SetRunState, SetTaskState, TaskInstance, WriteBatch};

use crate::control::ControlError;
use crate::step::Scheduler;

impl Scheduler {
    /// Clear task instances (and their downstream tasks when asked) so they run again. A
    /// mapped task that is cleared expands again; one instance of it, named `task[k]`, runs
    /// again on its own, and its mapped task waits for it again.
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
        // Instances named on their own, with their mapped task's graph index.
        let mut instances = Vec::new();
        for id in task_ids {
            if let Some(&i) = graph.index.get(id) {
                work.push(i);
                continue;
            }
            let (task, index) = weft_model::mapping::split_instance_id(id);
            let ti = tis.iter().find(|t| &t.task_id == id);
            match (graph.index.get(task), index, ti) {
                (Some(&i), Some(_), Some(ti)) => {
                    instances.push((i, ti));
                    if downstream {
                        work.extend(graph.downstream[i].iter().copied());
                    }
                }
                (Some(_), Some(index), None) => {
                    return Err(ControlError::NotFound(format!(
                        "run {} has no instance {index} of task {task:?}",
                        row.run_id
                    )));
                }
                _ => {
                    return Err(ControlError::NotFound(format!(
                        "DAG {:?} has no task {id:?}",
                        row.dag_id
                    )));
                }
            }
        }
        if work.is_empty() && instances.is_empty() {
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
        for (i, ti) in &instances {
            batch
                .set_task
                .push(cleared(ti, dag.tasks()[*i].retries, now));
            // Its mapped task waits for it again (unless cleared whole, below).
            if let Some(parent) = tis.iter().find(|t| t.task_id == graph.ids[*i])
                && parent.state.is_finished()
                && !chosen.contains(i)
            {
                batch.set_task.push(reopened(parent, now));
            }
        }
        for i in &chosen {
            let Some(ti) = tis.iter().find(|t| t.task_id == graph.ids[*i]) else {
                continue;
            };
            batch
                .set_task
                .push(cleared(ti, dag.tasks()[*i].retries, now));
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
        self.read_back(run).await;
        Ok(chosen.len() + instances.len())
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
        // An instance marked by hand reopens its mapped task if that had ended: it sums its
        // instances up again (its state and output).
        if let (task, Some(_)) = weft_model::mapping::split_instance_id(task_id)
            && let Some(parent) = tis.iter().find(|t| t.task_id == task)
            && parent.state.is_finished()
            && parent.map_count.is_some()
        {
            batch.set_task.push(reopened(parent, now));
        }
        // A mapped task marked by hand marks its unfinished instances too (as Airflow marks
        // every map index): none of them runs on after it.
        if ti.map_count.is_some() {
            let prefix = format!("{task_id}[");
            for instance in tis.iter().filter(|t| {
                t.map_index.is_some() && t.task_id.starts_with(&prefix) && !t.state.is_finished()
            }) {
                batch.set_task.push(SetTaskState {
                    ti: instance.id,
                    state,
                    at: now,
                    max_tries: None,
                    bump_lease: true,
                });
            }
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
        // Waits on this task hear of its end.
        self.deferrals.task_ended(&row, task_id, state);
        self.deferrals.written();
        self.read_back(run).await;
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
    /// Read run `run` again after a command wrote to it. The command is written whatever
    /// comes of it: a read that fails leaves the run to be read first thing next step (which
    /// takes no report of it until then).
    async fn read_back(&mut self, run: RunPk) {
        if let Err(e) = self.reload_run(run).await {
            tracing::warn!(run, error = %e, "a run a command changed could not be read back; reading it next step");
            self.outbox.reload(run);
        }
    }

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

/// Task instance `ti` cleared at `at`: it runs again, with its `retries` given back, as
/// Airflow gives a cleared task its retries again.
fn cleared(ti: &TaskInstance, retries: u32, at: Timestamp) -> SetTaskState {
    SetTaskState {
        ti: ti.id,
        state: TaskState::None,
        at,
        max_tries: Some(ti.try_number + retries + 1),
        bump_lease: true,
    }
}

/// A mapped task that had ended, `running` again at `at` under the same lease: it sums
/// its instances up again when they end.
fn reopened(parent: &TaskInstance, at: Timestamp) -> SetTaskState {
    SetTaskState {
        ti: parent.id,
        state: TaskState::Running,
        at,
        max_tries: None,
        bump_lease: false,
    }
}
