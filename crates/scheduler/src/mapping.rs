//! Expanding mapped tasks, a phase of the step: a mapped task whose upstream tasks let it
//! run gets its items (the DAG's own, or its upstream task's output, a JSON array), and
//! the store writes its instances, one per item, and gives their ids back. The instances
//! are then admitted like any ready task. No items skip the mapped task, as in Airflow;
//! items that cannot be had, or more of them than `max_map_length`, fail it with an error
//! that says why.

use jiff::Timestamp;
use weft_model::mapping::map_items;
use weft_model::{Expand, TaskState};
use weft_store::{ExpandTask, Expansion, RETURN_VALUE, RunPk};

use crate::error::SchedulerError;
use crate::notify;
use crate::step::Scheduler;

/// Mapped tasks decided ready to expand, in the order they were.
#[derive(Debug, Default)]
pub(crate) struct Expansions {
    due: Vec<(RunPk, usize)>,
}

impl Expansions {
    /// Mapped task `i` of run `run` may expand.
    pub(crate) fn push(&mut self, run: RunPk, i: usize) {
        self.due.push((run, i));
    }

    /// Whether any wait to expand.
    pub(crate) fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

impl Scheduler {
    /// Expand every mapped task decided ready so far, and decide what follows each: its
    /// instances ready, or, when it ends without any, its downstream tasks.
    pub(crate) async fn expand_mapped(&mut self, now: Timestamp) -> Result<(), SchedulerError> {
        let due = std::mem::take(&mut self.expansions.due);
        let mut due = due.into_iter();
        while let Some((run, i)) = due.next() {
            if let Err(e) = self.expand_one(run, i, now).await {
                // Nothing of this one was written: it and the rest expand next step.
                self.expansions.due.push((run, i));
                self.expansions.due.extend(due);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Expand mapped task `i` of run `run`, if it still waits to.
    async fn expand_one(
        &mut self,
        run: RunPk,
        i: usize,
        now: Timestamp,
    ) -> Result<(), SchedulerError> {
        let Some(active) = self.runs.get(run) else {
            return Ok(());
        };
        let ti = &active.tis[i];
        let waiting = active.pending.contains(&i)
            && matches!(ti.state, TaskState::None | TaskState::Scheduled)
            && ti.map_count.is_none();
        let Some(expand) = active.dag.tasks()[i].expand.clone().filter(|_| waiting) else {
            return Ok(());
        };
        let (ti, lease, from) = (ti.id, ti.lease, ti.state);
        let into = match self.items(run, &expand).await? {
            Ok(items) if items.is_empty() => Expansion::Empty,
            Ok(items) if items.len() > self.config.max_map_length as usize => {
                Expansion::Failed(format!(
                    "{} items to expand over, more than max_map_length ({})",
                    items.len(),
                    self.config.max_map_length
                ))
            }
            Ok(items) => Expansion::Instances(items),
            Err(why) => Expansion::Failed(why),
        };
        let state = match &into {
            Expansion::Instances(_) => TaskState::Running,
            Expansion::Empty => TaskState::Skipped,
            Expansion::Failed(_) => TaskState::Failed,
        };
        let error = match &into {
            Expansion::Failed(why) => Some(why.clone()),
            _ => None,
        };
        let count = match &into {
            Expansion::Instances(items) => u32::try_from(items.len()).ok(),
            Expansion::Empty => Some(0),
            Expansion::Failed(_) => None,
        };
        let expanded = self
            .store
            .expand(ExpandTask {
                leader: self.config.leader.clone(),
                ti,
                lease,
                from,
                at: now,
                into,
            })
            .await?;
        let Some(instances) = expanded else {
            // Someone else moved it on: read the run again.
            self.outbox.reload(run);
            return Ok(());
        };
        let Some(active) = self.runs.get_mut(run) else {
            return Ok(());
        };
        active.pending.remove(&i);
        let parent = &mut active.tis[i];
        parent.lease += 1;
        parent.map_count = count;
        parent.started_at = Some(now);
        if let Some(why) = &error {
            tracing::warn!(run, task = %parent.task_id, error = %why, "mapped task failed to expand");
            parent.error_class = Some("mapping".to_owned());
            parent.error = Some(why.clone());
        }
        let evaluation = if state == TaskState::Running {
            active.set_state(i, state);
            let Some(slots) = self.runs.add_instances(run, i, instances) else {
                return Ok(());
            };
            let Some(active) = self.runs.get_mut(run) else {
                return Ok(());
            };
            active.evaluate(slots.collect(), now)
        } else {
            parent.ended_at = Some(now);
            active.set_state(i, state);
            let task_id = active.tis[i].task_id.clone();
            self.deferrals.task_ended(&active.run, &task_id, state);
            if let Some(why) = &error {
                let task = &active.dag.tasks()[i];
                self.outbox
                    .notify(notify::of_failed_expansion(task, &active.run, now, why));
            }
            active.evaluate_downstream(i, now)
        };
        self.absorb(run, evaluation, now);
        Ok(())
    }

    /// The items mapped task of run `run` expands over, or why there are none to be had.
    async fn items(
        &self,
        run: RunPk,
        expand: &Expand,
    ) -> Result<Result<Vec<String>, String>, SchedulerError> {
        let upstream = match expand {
            Expand::Items(items) => return Ok(Ok(items.clone())),
            Expand::Upstream(upstream) => upstream,
        };
        let Some(active) = self.runs.get(run) else {
            return Ok(Err(format!("run {run} is no longer held")));
        };
        let Some(&u) = active.graph.index.get(upstream) else {
            return Ok(Err(format!(
                "the DAG has no task {upstream:?} to expand over"
            )));
        };
        let state = active.tis[u].state;
        // Skipped (a trigger rule let the mapped task run anyway): nothing to expand over,
        // so the mapped task is skipped too.
        if state == TaskState::Skipped {
            return Ok(Ok(Vec::new()));
        }
        if state != TaskState::Success {
            return Ok(Err(format!(
                "upstream task {upstream:?} ended {state}: it has no output to expand over"
            )));
        }
        let output = match active.outputs.get(u) {
            Some(known) => known.map(|bytes| bytes.to_vec()),
            None => self.store.xcom(run, upstream, RETURN_VALUE).await?,
        };
        let Some(output) = output else {
            return Ok(Err(format!(
                "upstream task {upstream:?} gave no output to expand over"
            )));
        };
        Ok(map_items(&output).map_err(|e| {
            let reason = std::error::Error::source(&e)
                .map_or_else(|| e.to_string(), |source| format!("{e}: {source}"));
            format!("cannot expand over the output of {upstream:?}: {reason}")
        }))
    }
}
