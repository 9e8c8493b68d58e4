//! Big runs built away from the scheduler's loop. Putting a run of 10,000 task instances in
//! memory (its rows from the ids a message carried, its slots, the first evaluation of every
//! task) takes the loop milliseconds, and every other tenant's input would wait for them.
//! The run's DAG is looked up in the loop (it may read the store, and a run whose component
//! is gone fails there); the rest is done on a blocking thread by the reader of
//! [`run_reads`](crate::run_reads), in turn with its reads, and the loop takes the run up
//! when it is built, as it takes up a run read.
//!
//! Which runs: runs created through the API and runs read of [`BIG_RUN`] task instances or
//! more, and any run of a DAG that has a build awaited (a scheduled or asset-triggered one
//! too), so that the runs of one DAG are taken up in the order they were created (the oldest
//! run's tasks go first). Runs the loop reads again itself (a clear's, a run it holds told
//! of by a notice) and those it finds at start-up are still loaded in the loop.

use std::sync::Arc;

use jiff::Timestamp;
use weft_model::Dag;
use weft_protocol::RunCreatedFromDag;
use weft_store::{DagRun, RunPk, Store, TaskInstance};

use crate::active_run::{ActiveRun, Evaluation};
use crate::graph::Graph;
use crate::new_runs::new_task_instances;
use crate::run_reads::Answer;

pub(crate) use crate::active_run::BIG_RUN;

/// The rows a run is built from.
pub(crate) enum Rows {
    /// The run and its task instances, as written or read.
    Stored(Box<DagRun>, Vec<TaskInstance>),
    /// A run created elsewhere, its task instances carried as ids (built from its DAG).
    Ids(Box<RunCreatedFromDag>),
}

impl Rows {
    /// The run.
    pub(crate) fn run(&self) -> RunPk {
        match self {
            Rows::Stored(run, _) => run.id,
            Rows::Ids(created) => created.run.id,
        }
    }

    /// The run's tenant, DAG and component digest.
    pub(crate) fn dag(&self) -> (&str, &str, &str) {
        match self {
            Rows::Stored(run, _) => (&run.tenant, &run.dag_id, &run.digest),
            Rows::Ids(created) => (
                &created.run.tenant,
                &created.run.dag_id,
                &created.run.digest,
            ),
        }
    }

    /// How many task instances the run has.
    pub(crate) fn task_instances(&self) -> usize {
        match self {
            Rows::Stored(_, tis) => tis.len(),
            Rows::Ids(created) => carried(created),
        }
    }
}

/// How many task instances a run created elsewhere carries the ids of.
pub(crate) fn carried(created: &RunCreatedFromDag) -> usize {
    usize::try_from(created.id_count()).unwrap_or(usize::MAX)
}

/// What the reader is handed to build a run.
pub(crate) struct Build {
    /// Its rows.
    pub rows: Rows,
    /// The DAG it is pinned to, and its structure.
    pub dag: Arc<Dag>,
    pub graph: Arc<Graph>,
    /// The loop's time when it handed the run over, for the first evaluation.
    pub now: Timestamp,
}

/// A run built and evaluated, for the loop to take up.
#[derive(Debug)]
pub(crate) struct Built {
    /// The run in memory.
    pub active: ActiveRun,
    /// Its first evaluation: what is ready, what was decided.
    pub evaluation: Evaluation,
}

/// Build the run `build` holds: in memory and evaluated, or why it does not match its DAG.
/// A run whose carried ids do not match its DAG's tasks is read from `store` first, as the
/// loop would read it.
pub(crate) async fn build(store: &dyn Store, run: RunPk, build: Build) -> Answer {
    let Build {
        rows,
        dag,
        graph,
        now,
    } = build;
    let (row, tis) = match rows {
        Rows::Stored(row, tis) => (*row, tis),
        Rows::Ids(created) => {
            let tasks_of = dag.clone();
            let rows = tokio::task::spawn_blocking(move || {
                weft_store::wire::created_from_dag_rows(*created, new_task_instances(&tasks_of))
            })
            .await;
            match rows {
                Ok(Some(rows)) => rows,
                Ok(None) => {
                    tracing::warn!(
                        run,
                        "a new run's ids do not match its DAG's tasks; reading it from the store"
                    );
                    match store.run(run).await {
                        // A run that ended meanwhile is the loop's to leave out.
                        Ok(Some(rows)) if !rows.0.state.is_finished() => rows,
                        other => return Answer::Read(Box::new(other)),
                    }
                }
                Err(e) => return Answer::Built(Err(format!("building the run failed: {e}"))),
            }
        }
    };
    let built = tokio::task::spawn_blocking(move || {
        let mut active = ActiveRun::new(row, tis, dag, graph)?;
        let evaluation = active.evaluate_all(now);
        Ok(Box::new(Built { active, evaluation }))
    })
    .await;
    Answer::Built(built.unwrap_or_else(|e| Err(format!("building the run failed: {e}"))))
}
