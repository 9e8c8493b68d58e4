//! Reading the store into memory: every tenant's DAG records and pool sizes, and single runs
//! (one just created, one told of, one to read again). A loaded run counts the slots its
//! queued and running task instances hold, and is evaluated whole.

use std::sync::Arc;

use tokio::sync::mpsc;
use weft_model::{Dag, DagRunState, TaskStateClass};
use weft_protocol::RunCreatedFromDag;
use weft_store::{DagRun, RunPk, StoreError, TaskInstance};

use crate::active_run::ActiveRun;
use crate::graph::Graph;
use crate::new_runs::new_task_instances;
use crate::run_builds::{BIG_RUN, Build, Built, Rows};
use crate::run_reads::RunRead;
use crate::step::Scheduler;

impl Scheduler {
    /// Load every tenant's weight and quotas, DAG records and pools (pause flags, schedules,
    /// slots): the tenants the store holds, and any the scheduler knew DAGs of. At start; the
    /// running loop reads the one DAG or tenant a notice names, and a resync reads the rest
    /// away from the loop ([`resync`](crate::resync)).
    pub(crate) async fn load_dags(&mut self) -> Result<(), StoreError> {
        let read = crate::resync::read_dags(&*self.store, self.dags.tenants()).await?;
        self.keep_all_dags(read);
        Ok(())
    }

    /// Read DAG `dag_id` of `tenant` again (deployed, paused or unpaused): its record alone,
    /// so that a deploy holds the loop for one DAG's spec, not every tenant's.
    pub(crate) async fn load_dag(&mut self, tenant: &str, dag_id: &str) -> Result<(), StoreError> {
        if let Some(record) = self.store.dag(tenant, dag_id).await? {
            self.dags.insert(record);
        }
        // Read after a resync's read began, perhaps: its answer leaves this DAG be.
        self.resync.dag_read(tenant, dag_id);
        // Deployed or unpaused, it may find its asset events already queued.
        self.watch_all_asset_dags();
        Ok(())
    }

    /// Read tenant `name`'s weight, quotas, sandbox policy and pools again.
    pub(crate) async fn load_tenant(&mut self, name: &str) -> Result<(), StoreError> {
        if let Some(tenant) = self.store.tenant(name).await? {
            self.dags.set_tenant(&tenant);
        }
        // Each part once read: a resync's answer, read before perhaps, leaves it be.
        self.resync.settings_read(name);
        let pools = self.store.pools(name).await?;
        self.admission
            .set_pools(name, pools.iter().map(|p| (p.name.as_str(), p.slots)));
        self.resync.pools_read(name);
        Ok(())
    }

    /// Put a run loaded from the store in memory, counting its in-flight task instances.
    /// A run whose component is gone fails; one that does not match its DAG is left out.
    pub(crate) async fn activate(
        &mut self,
        run: DagRun,
        tis: Vec<TaskInstance>,
    ) -> Result<Option<ActiveRun>, StoreError> {
        let Some((dag, graph)) = self
            .dags
            .graph(&*self.store, &run.tenant, &run.digest)
            .await?
        else {
            self.fail_unknown_component(run.id, &run.digest);
            return Ok(None);
        };
        let active = match ActiveRun::new(run, tis, dag, graph) {
            Ok(active) => active,
            Err(e) => {
                tracing::error!(error = %e, "run does not match its DAG");
                return Ok(None);
            }
        };
        self.hold_slots(&active);
        Ok(Some(active))
    }

    /// Count the slots `active`'s queued and running task instances hold.
    fn hold_slots(&mut self, active: &ActiveRun) {
        for ti in &active.tis {
            if ti.state.is(TaskStateClass::InFlight) {
                self.admission.hold(ti);
            }
        }
    }

    /// Take a run just created or read: a big one, or one of a DAG with a build awaited, is
    /// handed to the reader to build ([`run_builds`](crate::run_builds)), the rest loaded
    /// at once. Built runs answer to `answers`.
    pub(crate) async fn load_or_build(
        &mut self,
        rows: Rows,
        answers: &mpsc::UnboundedSender<RunRead>,
    ) -> Result<(), StoreError> {
        let run = rows.run();
        let (tenant, dag_id, digest) = rows.dag();
        if rows.task_instances() < BIG_RUN && !self.reads.building(tenant, dag_id) {
            return match rows {
                Rows::Stored(row, tis) => self.load_run(*row, tis).await,
                // Building it fails only when its DAG version cannot be read: the run is
                // then read away from the loop, like one told of by a notice.
                Rows::Ids(created) => match self.created_from_dag(*created).await {
                    Ok(Some((row, tis))) => self.load_run(row, tis).await,
                    Ok(None) => {
                        self.reads.start(run, &self.store, answers);
                        Ok(())
                    }
                    Err(e) => {
                        tracing::warn!(run, error = %e, "a new run's DAG version could not be read; reading the run instead");
                        self.reads.start(run, &self.store, answers);
                        Ok(())
                    }
                },
            };
        }
        let finished = match &rows {
            Rows::Stored(row, _) => row.state.is_finished(),
            Rows::Ids(created) => created.run.state.is_finished(),
        };
        if finished {
            self.forget_run(run);
            self.reads.forget(run);
            return Ok(());
        }
        let graph = match self.dags.graph(&*self.store, tenant, digest).await {
            Ok(graph) => graph,
            Err(e) if matches!(rows, Rows::Ids(_)) => {
                tracing::warn!(run, error = %e, "a new run's DAG version could not be read; reading the run instead");
                self.reads.start(run, &self.store, answers);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.forget_run(run);
        self.reads.forget(run);
        let Some((dag, graph)) = graph else {
            match rows {
                // Its rows could not be built: read as a run told of by a notice.
                Rows::Ids(_) => self.reads.start(run, &self.store, answers),
                Rows::Stored(..) => self.fail_unknown_component(run, digest),
            }
            return Ok(());
        };
        let now = self.clock.now();
        self.reads.build(
            Build {
                rows,
                dag,
                graph,
                now,
            },
            &self.store,
            answers,
        );
        Ok(())
    }

    /// Put a run the scheduler created itself (a scheduled or asset-triggered one) in memory
    /// and evaluate it; one of a DAG with a build awaited is built after that one instead.
    /// A run that does not match its DAG is left out.
    pub(crate) fn take_created(
        &mut self,
        row: DagRun,
        tis: Vec<TaskInstance>,
        dag: Arc<Dag>,
        graph: Arc<Graph>,
    ) {
        let mut build = Build {
            rows: Rows::Stored(Box::new(row), tis),
            dag,
            graph,
            now: self.clock.now(),
        };
        let (tenant, dag_id, _) = build.rows.dag();
        if self.reads.building(tenant, dag_id) {
            match self.reads.build_in_turn(build) {
                Ok(()) => return,
                Err(back) => build = *back,
            }
        }
        let Build {
            rows: Rows::Stored(row, tis),
            dag,
            graph,
            ..
        } = build
        else {
            return;
        };
        let id = row.id;
        if let Ok(active) = ActiveRun::new(*row, tis, dag, graph) {
            self.insert_run(active);
            self.evaluate_run(id);
        }
    }

    /// Take up a run built away from the loop: in memory, its slots counted, its first
    /// evaluation's decisions taken.
    pub(crate) fn take_built(&mut self, built: Built) {
        let Built { active, evaluation } = built;
        let run = active.run.id;
        self.forget_run(run);
        self.hold_slots(&active);
        self.insert_run(active);
        self.absorb(run, evaluation, self.clock.now());
    }

    /// Fail run `run`: its component (`digest`) is unknown.
    fn fail_unknown_component(&mut self, run: RunPk, digest: &str) {
        tracing::error!(run, %digest, "run's component is unknown; failing the run");
        self.outbox
            .set_run(run, DagRunState::Failed, self.clock.now());
    }

    /// (Re)load a run from the store and evaluate all of it.
    pub(crate) async fn reload_run(&mut self, run: RunPk) -> Result<(), StoreError> {
        self.forget_run(run);
        // Whatever the read below answers, a read or build in flight is older.
        self.reads.forget(run);
        let Some((row, tis)) = self.store.run(run).await? else {
            return Ok(());
        };
        self.load_run(row, tis).await
    }

    /// Take a run as the store holds it (just written, or just read) and evaluate all of it.
    pub(crate) async fn load_run(
        &mut self,
        row: DagRun,
        tis: Vec<TaskInstance>,
    ) -> Result<(), StoreError> {
        let run = row.id;
        self.forget_run(run);
        // What the loop loads is newer than any read of the run still in flight.
        self.reads.forget(run);
        if row.state.is_finished() {
            return Ok(());
        }
        if let Some(active) = self.activate(row, tis).await? {
            self.insert_run(active);
            self.evaluate_run(run);
        }
        Ok(())
    }

    /// The rows of a run announced by its task instances' ids, built from its DAG version;
    /// `None` (the run is then read from the store) when the version is unknown or the ids
    /// are not one per task.
    pub(crate) async fn created_from_dag(
        &mut self,
        created: RunCreatedFromDag,
    ) -> Result<Option<(DagRun, Vec<TaskInstance>)>, StoreError> {
        let run = &created.run;
        let Some((dag, _)) = self
            .dags
            .graph(&*self.store, &run.tenant, &run.digest)
            .await?
        else {
            return Ok(None);
        };
        let (id, tasks) = (run.id, new_task_instances(&dag));
        let rows = weft_store::wire::created_from_dag_rows(created, tasks);
        if rows.is_none() {
            tracing::warn!(
                run = id,
                "a new run's ids do not match its DAG's tasks; reading it from the store"
            );
        }
        Ok(rows)
    }

    /// Drop a run from memory, giving back the slots its task instances held. No step's
    /// batch decided that: it is not counted as freed by one (see `Admission::take_freed`).
    fn forget_run(&mut self, run: RunPk) {
        if let Some(old) = self.remove_run(run) {
            for ti in &old.tis {
                if ti.state.is(TaskStateClass::InFlight) {
                    self.admission.release_uncounted(ti);
                }
            }
        }
    }

    /// Evaluate every task of run `run` (just loaded or created) and take the decisions.
    pub(crate) fn evaluate_run(&mut self, run: RunPk) {
        let now = self.clock.now();
        if let Some(active) = self.runs.get_mut(run) {
            let evaluation = active.evaluate_all(now);
            self.absorb(run, evaluation, now);
        }
    }
}
