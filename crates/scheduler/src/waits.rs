//! Waits the scheduler resolves by itself, holding no worker slot (Airflow's deferrable
//! operators and its triggerer): a wait task starts waiting when it becomes ready, a task
//! that defers waits after its attempt; each ends when its time comes, when the run or
//! task it waits for ends, or at its timeout. Then it succeeds or fails as the event says,
//! or, for a task that asked to resume, is queued again with the event.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use weft_model::{
    Awaited, AwaitedRun, Deferral, Task, TaskKind, TaskState, WaitEnd, WaitEvent, format_duration,
};
use weft_store::{DagRun, DeferTask, ResolveDeferral, RunPk, StoreError, TaskInstance, TiPk};

use crate::deferrals::{EndedWhat, names};
use crate::error::SchedulerError;
use crate::step::Scheduler;

/// When a task waiting since `first` times out, by its sensor settings; none: never.
pub(crate) fn deadline(task: &Task, first: Timestamp) -> Option<Timestamp> {
    let timeout = SignedDuration::try_from(task.sensor.timeout()?).ok()?;
    first.checked_add(timeout).ok()
}

/// When the scheduler looks at a wait by itself: its time, or its deadline, whichever
/// comes first; none for a wait on another run without a timeout.
pub(crate) fn next_look(deferral: &Deferral, deadline: Option<Timestamp>) -> Option<Timestamp> {
    match (deferral.wait.until(), deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// How a wait ends.
enum Ending {
    /// What it waited for happened (or ended in a failed state).
    Event(WaitEnd),
    /// Its timeout passed first.
    TimedOut,
}

/// What the store holds of an awaited run: its id and state, and its tasks' states when a
/// wait is on one of them. Looked up once per step and awaited run.
struct Found {
    run_id: String,
    state: weft_model::DagRunState,
    tasks: HashMap<String, TaskState>,
}

impl Found {
    fn of(run: DagRun, tis: Option<Vec<TaskInstance>>) -> Found {
        Found {
            run_id: run.run_id,
            state: run.state,
            tasks: tis
                .unwrap_or_default()
                .into_iter()
                .map(|ti| (ti.task_id, ti.state))
                .collect(),
        }
    }
}

impl Scheduler {
    /// Wait tasks admission found ready in running runs of unpaused DAGs start waiting
    /// (they take no slot).
    pub(crate) fn start_waits(&mut self, waits: Vec<(RunPk, usize)>, now: Timestamp) {
        for (run, i) in waits {
            self.start_wait(run, i, now);
        }
    }

    /// Wait task `i` of `run` starts waiting: its condition made concrete for the run,
    /// written fenced as queuing is, and watched.
    fn start_wait(&mut self, run: RunPk, i: usize, now: Timestamp) {
        let Some(active) = self.runs.get_mut(run) else {
            return;
        };
        active.pending.remove(&i);
        let dag = active.dag.clone();
        let task = &dag.tasks()[i];
        let TaskKind::Wait(condition) = &task.kind else {
            return;
        };
        let ti = &active.tis[i];
        if !matches!(ti.state, TaskState::None | TaskState::Scheduled) {
            return;
        }
        let wait = match condition.resolve(active.run.logical_date, active.run.data_interval_end) {
            Ok(wait) => wait,
            Err(message) => {
                // Deploying checks the condition; only a date out of range gets here.
                tracing::warn!(task = %task.id, run = %active.run.run_id, error = %message, "wait cannot start; failing the task");
                self.outbox.end_task_fenced(ti.id, TaskState::Failed, now);
                active.set_state(i, TaskState::Failed);
                let evaluation = active.evaluate_downstream(i, now);
                self.deferrals
                    .task_ended(&active.run, &task.id, TaskState::Failed);
                self.absorb(run, evaluation, now);
                return;
            }
        };
        let deferral = Deferral {
            wait,
            resume: false,
            event: None,
        };
        let next_at = next_look(&deferral, deadline(task, now));
        let defer = DeferTask {
            ti: ti.id,
            lease: ti.lease,
            from: ti.state,
            try_number: ti.try_number + 1,
            deferral: deferral.clone(),
            next_at,
            at: now,
        };
        let ti = &mut active.tis[i];
        ti.lease += 1;
        ti.try_number = defer.try_number;
        ti.queued_at = None;
        ti.started_at = Some(now);
        ti.ended_at = None;
        ti.duration_ms = None;
        ti.sensor_started_at = Some(now);
        ti.pokes = 0;
        ti.next_retry_at = next_at;
        ti.deferral = Some(deferral);
        active.set_state(i, TaskState::Deferred);
        self.outbox.defer(defer);
        if let Some(at) = next_at {
            self.wake.no_later_than(at);
        }
        self.watch_wait(run, i);
    }

    /// Index task instance `i` of `run` if it is deferred on another run (it deferred, or
    /// its run was loaded), to be checked against the store at the next step.
    pub(crate) fn watch_wait(&mut self, run: RunPk, i: usize) {
        let Some(active) = self.runs.get(run) else {
            return;
        };
        let ti = &active.tis[i];
        if ti.state != TaskState::Deferred {
            return;
        }
        if let Some(Deferral {
            wait: Awaited::External(external),
            ..
        }) = &ti.deferral
        {
            self.deferrals.watch(
                &active.run.tenant,
                &external.wait.dag_id,
                &external.run,
                external.wait.task_id.as_deref(),
                ti.id,
            );
        }
    }

    /// Stop watching what the deferred task instances of `run` wait for (the run leaves
    /// memory; loaded again, it is watched again).
    pub(crate) fn unwatch_waits(&mut self, run: &DagRun, tis: &[TaskInstance]) {
        for ti in tis {
            if let Some(Deferral {
                wait: Awaited::External(external),
                ..
            }) = &ti.deferral
            {
                self.deferrals.unwatch(
                    &run.tenant,
                    &external.wait.dag_id,
                    &external.run,
                    external.wait.task_id.as_deref(),
                    ti.id,
                );
            }
        }
    }

    /// Deferred task `i` of `run` whose time to look again came: its time came, or its
    /// timeout passed.
    pub(crate) fn wait_due(&mut self, run: RunPk, i: usize, now: Timestamp) {
        let Some(active) = self.runs.get(run) else {
            return;
        };
        let ti = &active.tis[i];
        let Some(deferral) = &ti.deferral else {
            return;
        };
        let task = active.task(i);
        if let Some(end) = deferral.wait.at_time(now) {
            self.end_wait(run, i, Ending::Event(end), now);
        } else if ti
            .sensor_started_at
            .and_then(|first| deadline(task, first))
            .is_some_and(|d| d <= now)
        {
            self.end_wait(run, i, Ending::TimedOut, now);
        } else if let Some(at) = ti.next_retry_at {
            self.wake.no_later_than(at);
        }
    }

    /// Match the run and task ends the last step wrote against the waits on them, and
    /// check new waits against the store (what they wait for may have ended before).
    pub(crate) async fn resolve_waits(&mut self, now: Timestamp) -> Result<(), SchedulerError> {
        for ended in self.deferrals.take_written() {
            for ti in self.deferrals.waiting_for(&ended) {
                let Some((run, i, tenant, external)) = self.external_wait(ti) else {
                    // No longer waiting (cleared, marked, its run gone): forget the entry.
                    self.deferrals.forget(&ended, ti);
                    continue;
                };
                if tenant != ended.tenant
                    || external.wait.dag_id != ended.dag_id
                    || !names(&external.run, &ended)
                {
                    continue;
                }
                let end = match &ended.what {
                    EndedWhat::Run(state) => external.on_run_end(&ended.run_id, *state),
                    EndedWhat::Task(task_id, state) => {
                        external.on_task_end(&ended.run_id, task_id, *state)
                    }
                };
                if let Some(end) = end {
                    self.end_wait(run, i, Ending::Event(end), now);
                }
            }
        }
        let unchecked = self.deferrals.take_unchecked();
        let mut lookups: HashMap<(String, String, AwaitedRun, bool), Option<Arc<Found>>> =
            HashMap::new();
        for (n, &ti) in unchecked.iter().enumerate() {
            let Some((run, i, tenant, external)) = self.external_wait(ti) else {
                continue;
            };
            let wants_tasks = external.wait.task_id.is_some();
            let key = (
                tenant,
                external.wait.dag_id.clone(),
                external.run.clone(),
                wants_tasks,
            );
            let found = match lookups.get(&key) {
                Some(found) => found.clone(),
                None => match self.look_up(&key.0, &key.1, &key.2, wants_tasks).await {
                    Ok(found) => {
                        let found = found.map(Arc::new);
                        lookups.insert(key, found.clone());
                        found
                    }
                    Err(e) => {
                        self.deferrals.recheck(unchecked[n..].iter().copied());
                        return Err(e.into());
                    }
                },
            };
            let Some(found) = found else {
                continue;
            };
            let end = match &external.wait.task_id {
                None => external.on_run_end(&found.run_id, found.state),
                Some(task_id) => found
                    .tasks
                    .get(task_id)
                    .and_then(|&state| external.on_task_end(&found.run_id, task_id, state)),
            };
            if let Some(end) = end {
                self.end_wait(run, i, Ending::Event(end), now);
            }
        }
        Ok(())
    }

    /// The awaited run (and its tasks' states, when `tasks`) as the store holds it.
    async fn look_up(
        &self,
        tenant: &str,
        dag_id: &str,
        run: &AwaitedRun,
        tasks: bool,
    ) -> Result<Option<Found>, StoreError> {
        let found = match run {
            AwaitedRun::RunId(id) => self.store.run_by_id(tenant, dag_id, id).await?,
            AwaitedRun::LogicalDate(at) => {
                self.store.run_by_logical_date(tenant, dag_id, *at).await?
            }
        };
        let Some(found) = found else {
            return Ok(None);
        };
        if !tasks {
            return Ok(Some(Found::of(found, None)));
        }
        Ok(self
            .store
            .run(found.id)
            .await?
            .map(|(run, tis)| Found::of(run, Some(tis))))
    }

    /// Where task instance `ti` is and what it waits for, if it is deferred on another run.
    fn external_wait(
        &self,
        ti: TiPk,
    ) -> Option<(RunPk, usize, String, weft_model::AwaitedExternal)> {
        let (run, i) = self.runs.locate(ti)?;
        let active = self.runs.get(run)?;
        let ti = &active.tis[i];
        match (&ti.state, &ti.deferral) {
            (
                TaskState::Deferred,
                Some(Deferral {
                    wait: Awaited::External(external),
                    ..
                }),
            ) => Some((run, i, active.run.tenant.clone(), external.clone())),
            _ => None,
        }
    }

    /// Deferred task `i` of `run` stops waiting as `ending` says: it succeeds (a wait task's
    /// output is the event), fails or is skipped (`soft_fail`), or, when it asked to resume,
    /// is scheduled to run again with the event.
    fn end_wait(&mut self, run: RunPk, i: usize, ending: Ending, now: Timestamp) {
        let Some(active) = self.runs.get_mut(run) else {
            return;
        };
        let ti = &active.tis[i];
        let Some(mut deferral) = ti.deferral.clone() else {
            return;
        };
        if ti.state != TaskState::Deferred {
            return;
        }
        if let Awaited::External(external) = &deferral.wait {
            self.deferrals.unwatch(
                &active.run.tenant,
                &external.wait.dag_id,
                &external.run,
                external.wait.task_id.as_deref(),
                ti.id,
            );
        }
        let task = active.task(i);
        let give_up = if task.sensor.soft_fail {
            TaskState::Skipped
        } else {
            TaskState::Failed
        };
        let mut resolve = ResolveDeferral {
            ti: ti.id,
            lease: ti.lease,
            state: TaskState::Success,
            at: now,
            output: None,
            deferral: None,
            error_class: None,
            error: None,
            next_retry_at: None,
        };
        // A code task that waited is retried on a timeout while tries remain (the timeout is
        // its attempt's failure); a wait task is not.
        let retries_left = !matches!(task.kind, TaskKind::Wait(_)) && ti.try_number < ti.max_tries;
        match ending {
            Ending::Event(WaitEnd::Satisfied(event) | WaitEnd::Failed(event))
                if deferral.resume =>
            {
                deferral.event = Some(event.to_json());
                resolve.state = TaskState::Scheduled;
                resolve.deferral = Some(deferral);
            }
            Ending::Event(WaitEnd::Satisfied(event)) => {
                resolve.output = Some(event.to_json().into_bytes());
            }
            Ending::Event(WaitEnd::Failed(event)) => {
                resolve.state = give_up;
                resolve.error_class = Some("wait_failed".into());
                resolve.error = Some(failed_wait_message(&event));
            }
            Ending::TimedOut => {
                resolve.state = if retries_left {
                    let delay = SignedDuration::try_from(task.retry_delay_for(ti.try_number))
                        .unwrap_or(SignedDuration::MAX);
                    resolve.next_retry_at = Some(now.saturating_add(delay).unwrap_or(now));
                    TaskState::UpForRetry
                } else {
                    give_up
                };
                resolve.error_class = Some("sensor_timeout".into());
                resolve.error = Some(format!(
                    "wait timed out: what it waits for did not happen within {}",
                    task.sensor
                        .timeout()
                        .map(format_duration)
                        .unwrap_or_default()
                ));
            }
        }
        let ti = &mut active.tis[i];
        ti.next_retry_at = resolve.next_retry_at;
        let evaluation = if resolve.state == TaskState::Scheduled {
            ti.deferral = resolve.deferral.clone();
            active.set_state(i, TaskState::Scheduled);
            active.evaluate(vec![i], now)
        } else if resolve.state == TaskState::UpForRetry {
            ti.error_class = resolve.error_class.clone();
            ti.error = resolve.error.clone();
            active.set_state(i, TaskState::UpForRetry);
            active.evaluate(vec![i], now)
        } else {
            ti.ended_at = Some(now);
            ti.duration_ms = ti
                .started_at
                .map(|started| now.duration_since(started).as_millis() as i64);
            ti.error_class = resolve.error_class.clone();
            ti.error = resolve.error.clone();
            active.set_state(i, resolve.state);
            active
                .outputs
                .record(i, resolve.state, resolve.output.as_deref());
            self.deferrals
                .task_ended(&active.run, &active.tis[i].task_id, resolve.state);
            active.evaluate_downstream(i, now)
        };
        tracing::info!(
            run = %active.run.run_id,
            task = %active.tis[i].task_id,
            state = resolve.state.as_str(),
            "wait ended"
        );
        if resolve.state == TaskState::Success && !active.task(i).outlets.is_empty() {
            let events = Scheduler::outlet_events(active, i, resolve.ti, now, Vec::new());
            self.outbox.asset_events(events);
        }
        self.outbox.resolve(resolve);
        self.absorb(run, evaluation, now);
    }
}

/// Why a wait failed: what it waited for ended in a state it counts as failed.
fn failed_wait_message(event: &WaitEvent) -> String {
    match event {
        WaitEvent::External {
            dag_id,
            run_id,
            task_id: Some(task_id),
            state,
        } => format!(
            "task {task_id:?} of DAG {dag_id:?} run {run_id:?} ended {}, a failed state for this wait",
            state.as_str()
        ),
        WaitEvent::External {
            dag_id,
            run_id,
            state,
            ..
        } => format!(
            "DAG {dag_id:?} run {run_id:?} ended {}, a failed state for this wait",
            state.as_str()
        ),
        WaitEvent::Time { at } => format!("the wait until {at} failed"),
    }
}
