//! A [`Control`] that records every call, creates runs in the store as the scheduler would
//! (without scheduling anything), and can be told to refuse the next call.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use weft_model::{RunType, TaskState};
use weft_scheduler::new_runs::{RunSpec, new_run};
use weft_scheduler::{Control, ControlError, Notice, TriggerRequest};
use weft_store::{DagRun, RunPk, SetTaskState, Store, WriteBatch};

/// A call the server made.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Trigger {
        tenant: String,
        dag_id: String,
        request: TriggerRequest,
    },
    Backfill {
        dag_id: String,
        start: Timestamp,
        end: Timestamp,
    },
    Clear {
        run: RunPk,
        task_ids: Vec<String>,
        downstream: bool,
    },
    Mark {
        run: RunPk,
        task_id: String,
        state: TaskState,
    },
    Notify(Notice),
}

/// The recording control.
pub struct FakeControl {
    store: Arc<dyn Store>,
    now: Timestamp,
    calls: Mutex<Vec<Call>>,
    refuse: Mutex<Option<ControlError>>,
    ended: tokio::sync::broadcast::Sender<RunPk>,
    announces: std::sync::atomic::AtomicBool,
}

impl FakeControl {
    pub fn new(store: Arc<dyn Store>, now: Timestamp) -> FakeControl {
        FakeControl {
            store,
            now,
            calls: Mutex::new(Vec::new()),
            refuse: Mutex::new(None),
            ended: tokio::sync::broadcast::channel(16).0,
            announces: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Announce that `run` ended, as the scheduler does once it wrote so.
    pub fn announce_ended(&self, run: RunPk) {
        let _ = self.ended.send(run);
    }

    /// From now on, say that ended runs cannot be announced.
    pub fn stop_announcing(&self) {
        self.announces
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Refuse the next trigger, backfill, clear or mark with `error`.
    pub fn refuse_next(&self, error: ControlError) {
        *self.refuse.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    fn record(&self, call: Call) -> Result<(), ControlError> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
        match self.refuse.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    async fn create(
        &self,
        tenant: &str,
        dag_id: &str,
        run_type: RunType,
        run_id: Option<String>,
        at: Timestamp,
        conf: serde_json::Value,
    ) -> Result<DagRun, ControlError> {
        let record = self
            .store
            .dag(tenant, dag_id)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("no DAG {dag_id:?}")))?;
        let dag = record
            .spec
            .clone()
            .validate()
            .map_err(|e| ControlError::Invalid(e.to_string()))?;
        let spec = RunSpec {
            run_type,
            run_id,
            logical_date: at,
            interval: dag.manual_interval(at),
            conf,
        };
        let (run, _) = self
            .store
            .create_run(new_run(&record, &dag, spec, self.now))
            .await?;
        Ok(run)
    }
}

#[async_trait]
impl Control for FakeControl {
    async fn trigger(
        &self,
        tenant: &str,
        dag_id: &str,
        request: TriggerRequest,
    ) -> Result<DagRun, ControlError> {
        self.record(Call::Trigger {
            tenant: tenant.to_owned(),
            dag_id: dag_id.to_owned(),
            request: request.clone(),
        })?;
        let at = request.logical_date.unwrap_or(self.now);
        let conf = request.conf.unwrap_or_else(|| serde_json::json!({}));
        self.create(tenant, dag_id, RunType::Manual, request.run_id, at, conf)
            .await
    }

    async fn backfill(
        &self,
        tenant: &str,
        dag_id: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<DagRun>, ControlError> {
        self.record(Call::Backfill {
            dag_id: dag_id.to_owned(),
            start,
            end,
        })?;
        let run = self
            .create(
                tenant,
                dag_id,
                RunType::Backfill,
                None,
                start,
                serde_json::json!({}),
            )
            .await?;
        Ok(vec![run])
    }

    async fn clear(
        &self,
        _tenant: &str,
        run: RunPk,
        task_ids: &[String],
        downstream: bool,
    ) -> Result<usize, ControlError> {
        self.record(Call::Clear {
            run,
            task_ids: task_ids.to_vec(),
            downstream,
        })?;
        Ok(task_ids.len())
    }

    async fn mark(
        &self,
        _tenant: &str,
        run: RunPk,
        task_id: &str,
        state: TaskState,
    ) -> Result<(), ControlError> {
        self.record(Call::Mark {
            run,
            task_id: task_id.to_owned(),
            state,
        })?;
        let (_, tis) = self
            .store
            .run(run)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("run {run}")))?;
        let ti = tis
            .iter()
            .find(|t| t.task_id == task_id)
            .ok_or_else(|| ControlError::NotFound(format!("no task {task_id:?}")))?;
        let batch = WriteBatch {
            set_task: vec![SetTaskState {
                ti: ti.id,
                state,
                at: self.now,
                max_tries: None,
                bump_lease: true,
            }],
            ..WriteBatch::default()
        };
        self.store.write(batch).await?;
        Ok(())
    }

    fn notify(&self, notice: Notice) {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Call::Notify(notice));
    }

    fn subscribe_ended(&self) -> Option<tokio::sync::broadcast::Receiver<RunPk>> {
        self.announces
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| self.ended.subscribe())
    }
}
