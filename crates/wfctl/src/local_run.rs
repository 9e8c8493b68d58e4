//! A whole DAG run on this machine, task after task in dependency order, with Airflow's
//! trigger rules, retries and XCom (what `airflow dags test` does).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_model::{DagRunState, Readiness, TaskState, UpstreamSummary, evaluate};
use weft_runtime::{
    DagComponent, MemoryHost, Runtime, TaskContext, TaskFailure, TaskLog, TaskOutcome, TaskRequest,
    UpstreamOutput, WorkerInfo,
};

use crate::exit::Failure;
use crate::inputs::LimitArgs;

/// The worker identity of local runs: this process on this machine.
pub fn local_worker(queue: &str) -> WorkerInfo {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned());
    WorkerInfo {
        worker_id: format!("local-{}", std::process::id()),
        hostname,
        queue: queue.to_owned(),
    }
}

/// What happened to one task of a local run.
#[derive(Debug)]
pub struct TaskResult {
    /// The task.
    pub task_id: String,
    /// Its final state.
    pub state: TaskState,
    /// Attempts made (0 when it never ran).
    pub tries: u32,
    /// Time spent in its attempts.
    pub duration: Duration,
    /// Its output, when it succeeded.
    pub output: Option<Vec<u8>>,
    /// The last attempt's failure, when it failed.
    pub failure: Option<TaskFailure>,
    /// Why it was skipped or not run.
    pub note: Option<String>,
    /// Logs of its attempts, first to last.
    pub logs: Vec<TaskLog>,
}

impl TaskResult {
    /// Task `task_id` before anything happened to it.
    fn unstarted(task_id: String) -> TaskResult {
        TaskResult {
            task_id,
            state: TaskState::None,
            tries: 0,
            duration: Duration::ZERO,
            output: None,
            failure: None,
            note: None,
            logs: Vec::new(),
        }
    }
}

/// Inputs of a local run.
pub struct LocalRun<'a> {
    /// Runs the attempts.
    pub runtime: &'a Runtime,
    /// The DAG.
    pub component: &'a DagComponent,
    /// The run's conf as a JSON object.
    pub conf: String,
    /// Variables and XCom.
    pub host: Arc<MemoryHost>,
    /// Limit overrides.
    pub limits: &'a LimitArgs,
}

impl LocalRun<'_> {
    /// Run every task, calling `on_task` as each one reaches its final state. Returns the
    /// run's final state.
    pub fn execute(&self, mut on_task: impl FnMut(&TaskResult)) -> Result<DagRunState, Failure> {
        let dag = self.component.dag();
        // One logical date and run id for the whole run; each attempt's context starts from it.
        let mut run = TaskContext::local(dag.id(), "", 1, 1);
        run.run_id = format!("manual__{}", run.logical_date);
        run.conf = self.conf.clone();
        let mut states: HashMap<String, TaskState> = HashMap::new();
        // Direct downstream tasks a branch did not pick, with the branch's id.
        let mut not_picked: HashMap<String, String> = HashMap::new();
        for task in dag.tasks() {
            let summary = UpstreamSummary::from_states(
                task.upstream
                    .iter()
                    .map(|up| states.get(up).copied().unwrap_or(TaskState::None)),
            );
            let mut result = TaskResult::unstarted(task.id.clone());
            let verdict = match not_picked.get(&task.id) {
                Some(_) => Readiness::Skip,
                None => evaluate(task.trigger_rule, &summary),
            };
            match verdict {
                Readiness::Skip if let Some(branch) = not_picked.get(&task.id) => {
                    result.state = TaskState::Skipped;
                    result.note = Some(format!("branch {branch} did not pick it"));
                }
                Readiness::Run if let weft_model::TaskKind::Wait(condition) = &task.kind => {
                    // A local run does not wait: it says what the scheduler would wait for.
                    result.state = TaskState::Deferred;
                    result.note = Some(format!(
                        "a wait task: a scheduler would wait for {}",
                        condition
                    ));
                }
                Readiness::Run if task.expand.is_some() => {
                    self.run_mapped(task, &run, &mut result)?;
                }
                Readiness::Run => {
                    self.run_task(task, &run, None, &mut result)?;
                    if task.kind == weft_model::TaskKind::Branch
                        && result.state == TaskState::Success
                    {
                        let output = result.output.as_deref().unwrap_or_default();
                        match weft_model::branch_choice(&task.id, output, &task.downstream) {
                            Ok(picked) => {
                                for down in &task.downstream {
                                    if !picked.contains(down) {
                                        not_picked.insert(down.clone(), task.id.clone());
                                    }
                                }
                            }
                            Err(message) => {
                                result.state = TaskState::Failed;
                                result.note = Some(message);
                            }
                        }
                    }
                }
                Readiness::Skip => {
                    result.state = TaskState::Skipped;
                    result.note = Some(format!(
                        "trigger rule {} skips it",
                        task.trigger_rule.as_str()
                    ));
                }
                Readiness::UpstreamFailed | Readiness::Wait => {
                    // In dependency order every upstream has finished, so waiting means it never can run.
                    result.state = TaskState::UpstreamFailed;
                    result.note = Some(format!(
                        "trigger rule {} not met by its upstream tasks",
                        task.trigger_rule.as_str()
                    ));
                }
            }
            states.insert(task.id.clone(), result.state);
            on_task(&result);
        }
        let final_state = weft_model::run_state(dag.tasks().iter().map(|t| {
            (
                states.get(&t.id).copied().unwrap_or(TaskState::None),
                dag.is_leaf(&t.id),
            )
        }));
        Ok(final_state.unwrap_or(DagRunState::Failed))
    }

    /// Run mapped task `task`: once per item, in map index order, as the scheduler would;
    /// its output is the JSON array of the instances' outputs.
    fn run_mapped(
        &self,
        task: &weft_model::Task,
        run: &TaskContext,
        result: &mut TaskResult,
    ) -> Result<(), Failure> {
        let items = match &task.expand {
            Some(weft_model::Expand::Items(items)) => Ok(items.clone()),
            Some(weft_model::Expand::Upstream(up)) => match self.host.get_xcom(up, None) {
                Some(output) => weft_model::mapping::map_items(&output).map_err(|e| {
                    let reason = std::error::Error::source(&e)
                        .map_or_else(|| e.to_string(), |source| format!("{e}: {source}"));
                    format!("cannot expand over the output of {up:?}: {reason}")
                }),
                None => Err(format!(
                    "upstream task {up:?} gave no output to expand over"
                )),
            },
            None => Ok(Vec::new()),
        };
        let items = match items {
            Ok(items) if items.len() > weft_model::mapping::DEFAULT_MAX_MAP_LENGTH as usize => {
                Err(format!(
                    "{} items to expand over, more than max_map_length ({})",
                    items.len(),
                    weft_model::mapping::DEFAULT_MAX_MAP_LENGTH
                ))
            }
            other => other,
        };
        let items = match items {
            Ok(items) => items,
            Err(why) => {
                result.state = TaskState::Failed;
                result.note = Some(why);
                return Ok(());
            }
        };
        if items.is_empty() {
            result.state = TaskState::Skipped;
            result.note = Some("no items to expand over".into());
            return Ok(());
        }
        let mut states = Vec::with_capacity(items.len());
        let mut outputs = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let index = u32::try_from(k).unwrap_or(u32::MAX);
            let mut instance =
                TaskResult::unstarted(weft_model::mapping::instance_id(&task.id, index));
            self.run_task(task, run, Some((index, item)), &mut instance)?;
            result.tries = result.tries.max(instance.tries);
            result.duration += instance.duration;
            result.logs.append(&mut instance.logs);
            if instance.failure.is_some() {
                result.failure = instance.failure;
                result.note = Some(format!("instance {index} failed"));
            }
            states.push(instance.state);
            outputs.push(instance.output);
        }
        // An instance that would wait (a sensor, a deferral) leaves the mapped task waiting.
        let waiting = states.iter().copied().find(|s| !s.is_finished());
        result.state = waiting.unwrap_or_else(|| weft_model::mapping::mapped_state(states));
        if result.state == TaskState::Success {
            let reduced = weft_model::mapping::reduce(outputs.iter().map(Option::as_deref));
            self.host.put_xcom(&task.id, None, reduced.clone());
            result.output = Some(reduced);
        }
        Ok(())
    }

    fn run_task(
        &self,
        task: &weft_model::Task,
        run: &TaskContext,
        map: Option<(u32, &String)>,
        result: &mut TaskResult,
    ) -> Result<(), Failure> {
        let limits = self.limits.for_task(task)?;
        // An instance of a mapped task gets its item, not the output it is mapped over, and
        // keeps its values under its own id, as the scheduler does.
        let over = match (&task.expand, map) {
            (Some(weft_model::Expand::Upstream(over)), Some(_)) => Some(over.as_str()),
            _ => None,
        };
        let xcom_id = match map {
            Some((index, _)) => weft_model::mapping::instance_id(&task.id, index),
            None => task.id.clone(),
        };
        let upstream: Vec<UpstreamOutput> = task
            .upstream
            .iter()
            .filter(|up| Some(up.as_str()) != over)
            .filter_map(|up| {
                self.host.get_xcom(up, None).map(|value| UpstreamOutput {
                    task_id: up.clone(),
                    value,
                })
            })
            .collect();
        let max_tries = task.max_tries();
        for try_number in 1..=max_tries {
            let context = TaskContext {
                task_id: task.id.clone(),
                try_number,
                max_tries,
                map_index: map.map(|(index, _)| index),
                map_item: map.map(|(_, item)| item.clone()),
                ..run.clone()
            };
            let started = Instant::now();
            let report = self.runtime.run_task(
                self.component,
                TaskRequest {
                    context,
                    upstream: upstream.clone(),
                    worker: local_worker(&task.queue),
                    limits,
                    tenant_egress: None,
                    host: self.host.clone(),
                },
            );
            result.duration += started.elapsed();
            result.tries = try_number;
            result.logs.push(report.log);
            for push in report.xcom {
                self.host.put_xcom(&xcom_id, Some(&push.key), push.value);
            }
            match report.outcome {
                TaskOutcome::Success(output) => {
                    self.host.put_xcom(&xcom_id, None, output.clone());
                    result.state = TaskState::Success;
                    result.output = Some(output);
                    return Ok(());
                }
                TaskOutcome::Skipped(reason) => {
                    result.state = TaskState::Skipped;
                    result.note = Some(reason);
                    return Ok(());
                }
                TaskOutcome::Rescheduled(delay) => {
                    // A local run does not wait for sensors: it says when this one would poke.
                    result.state = TaskState::UpForReschedule;
                    result.note = Some(match delay {
                        Some(d) => format!(
                            "not yet: it would poke again in {}",
                            weft_model::format_duration(d)
                        ),
                        None => "not yet: it would poke again after its poke interval".into(),
                    });
                    return Ok(());
                }
                TaskOutcome::Deferred { until, resume } => {
                    result.state = TaskState::Deferred;
                    result.note = Some(format!(
                        "deferred: a scheduler would wait for {}{}",
                        until,
                        if resume { ", then run it again" } else { "" }
                    ));
                    return Ok(());
                }
                TaskOutcome::Failed(failure) => {
                    let retry = failure.is_retryable() && try_number < max_tries;
                    result.failure = Some(failure);
                    if !retry {
                        result.state = TaskState::Failed;
                        return Ok(());
                    }
                    // A local test run does not wait out retry delays; it says what it skipped.
                    result.note = Some(format!(
                        "retried without its delay of {}",
                        weft_model::units::format_duration(task.retry_delay_for(try_number))
                    ));
                }
            }
        }
        Ok(())
    }
}
