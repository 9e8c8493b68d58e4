//! Runs started by assets (Airflow's data-aware scheduling).
//!
//! A task that succeeds gives each of its outlets an event, written with its finish; an event
//! can also be posted through the API. The store queues each event for every DAG scheduled
//! on its asset. A DAG is due once every one of its assets has a queued event: one run then
//! consumes them all, and the store creates the run and takes the events off the queue in one
//! transaction, so a run is created once per set of events whichever scheduler tries, and
//! whenever one dies.
//!
//! [`AssetWatch`] holds the DAGs to look at: those an event was just written for, and every
//! DAG scheduled on assets after a start, a resync or a deploy.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use serde_json::{Value, json};
use weft_model::{DataInterval, RunType};
use weft_store::{AssetEvent, DagRecord, NewAssetEvent, StoreError, TiPk};

use crate::active_run::ActiveRun;
use crate::dags::Dags;
use crate::error::SchedulerError;
use crate::new_runs::{RunSpec, new_run};
use crate::step::Scheduler;

/// The DAGs to look at for a complete set of queued asset events, and the data the
/// attempts of this step's results attached to their outlets' events.
#[derive(Debug, Default)]
pub(crate) struct AssetWatch {
    due: BTreeSet<(String, String)>,
    /// By attempt (task instance and lease), for the step that takes its result.
    extras: HashMap<(TiPk, i64), Vec<(String, Value)>>,
}

impl AssetWatch {
    /// Whether some DAG is to be looked at.
    pub(crate) fn has_work(&self) -> bool {
        !self.due.is_empty()
    }

    /// Keep the data a successful attempt attached to its outlets' events.
    pub(crate) fn keep_extras(&mut self, ti: TiPk, lease: i64, extras: Vec<(String, Value)>) {
        if !extras.is_empty() {
            self.extras.insert((ti, lease), extras);
        }
    }

    /// The data attempt `(ti, lease)` attached to its outlets' events.
    pub(crate) fn take_extras(&mut self, ti: TiPk, lease: i64) -> Vec<(String, Value)> {
        self.extras.remove(&(ti, lease)).unwrap_or_default()
    }

    /// Forget what results this step did not take attached.
    pub(crate) fn forget_extras(&mut self) {
        self.extras.clear();
    }
}

impl Dags {
    /// The unpaused DAGs scheduled on assets.
    fn asset_scheduled(&self) -> impl Iterator<Item = &DagRecord> {
        self.records()
            .filter(|d| !d.paused && !d.spec.assets.is_empty())
    }
}

impl Scheduler {
    /// Look at every DAG scheduled on assets in the next step (after a start, a resync, or a
    /// change of DAGs).
    pub(crate) fn watch_all_asset_dags(&mut self) {
        let all: Vec<(String, String)> = self
            .dags
            .asset_scheduled()
            .map(|d| (d.tenant.clone(), d.dag_id.clone()))
            .collect();
        self.assets.due.extend(all);
    }

    /// Look at the DAGs scheduled on the assets of `events` in the next step.
    pub(crate) fn assets_updated<'e>(
        &mut self,
        events: impl IntoIterator<Item = (&'e str, &'e str)>,
    ) {
        let updated: HashSet<(&str, &str)> = events.into_iter().collect();
        let due: Vec<(String, String)> = self
            .dags
            .asset_scheduled()
            .filter(|d| {
                d.spec
                    .assets
                    .iter()
                    .any(|uri| updated.contains(&(d.tenant.as_str(), uri.as_str())))
            })
            .map(|d| (d.tenant.clone(), d.dag_id.clone()))
            .collect();
        self.assets.due.extend(due);
    }

    /// The events of the successful task instance `ti`'s outlets, to write with its finish,
    /// each with the data the attempt attached to it (`extras`, by asset; `{}` without).
    pub(crate) fn outlet_events(
        active: &ActiveRun,
        i: usize,
        ti: TiPk,
        at: Timestamp,
        mut extras: Vec<(String, Value)>,
    ) -> Vec<NewAssetEvent> {
        let task = active.task(i);
        task.outlets
            .iter()
            .map(|uri| NewAssetEvent {
                tenant: active.run.tenant.clone(),
                uri: uri.clone(),
                extra: extras
                    .iter()
                    .position(|(u, _)| u == uri)
                    .map(|k| extras.swap_remove(k).1)
                    .filter(storable)
                    .unwrap_or_else(|| json!({})),
                source: Some(weft_store::AssetSource {
                    dag_id: active.run.dag_id.clone(),
                    run_id: active.run.run_id.clone(),
                    task_id: task.id.clone(),
                    map_index: active.tis[i].map_index,
                }),
                at,
                after_finish: Some(ti),
            })
            .collect()
    }

    /// Create the runs of the watched DAGs whose assets all have queued events.
    pub(crate) async fn create_asset_runs(&mut self, now: Timestamp) -> Result<(), SchedulerError> {
        for (tenant, dag_id) in std::mem::take(&mut self.assets.due) {
            let Some(record) = self.dags.record(&tenant, &dag_id).cloned() else {
                continue;
            };
            if record.paused || record.spec.assets.is_empty() {
                continue;
            }
            let (dag, graph) = match self.dags.graph(&*self.store, &tenant, &record.digest).await {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(dag = %dag_id, error = %e, "DAG not looked at for asset events; the next resync does");
                    continue;
                }
            };
            if dag.is_past_end(now) {
                continue;
            }
            let events = match self.store.queued_asset_events(&tenant, &dag_id).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(dag = %dag_id, error = %e, "queued asset events not read; the next resync does");
                    continue;
                }
            };
            let updated: HashSet<&str> = events.iter().map(|e| e.uri.as_str()).collect();
            if !dag
                .assets()
                .iter()
                .all(|uri| updated.contains(uri.as_str()))
            {
                continue;
            }
            let consumed: Vec<i64> = events.iter().map(|e| e.id).collect();
            // More may wait than one run takes: look again in the next step.
            let more = events.len() >= weft_store::assets::MAX_EVENTS_PER_RUN as usize;
            let run = new_run(&record, &dag, run_spec(&events), now);
            match self.store.create_asset_run(run, &consumed).await {
                Ok((row, tis)) => {
                    tracing::info!(dag = %dag_id, run = %row.run_id, events = consumed.len(), "asset-triggered run created");
                    if more {
                        self.assets.due.insert((tenant.clone(), dag_id.clone()));
                    }
                    self.take_created(row, tis, dag, graph);
                }
                // Another scheduler consumed the events first: its run stands.
                Err(StoreError::Conflict(why)) => {
                    tracing::info!(dag = %dag_id, %why, "asset events already consumed");
                }
                // This DAG's run cannot be made now (its tenant's quota, a DAG just deleted,
                // the store out of reach): its events stay queued for a later look, and the
                // other DAGs go on.
                Err(e) => {
                    tracing::warn!(dag = %dag_id, error = %e, "asset-triggered run not created; its events wait");
                }
            }
        }
        Ok(())
    }
}

/// Whether a worker's extra is one the store takes: an object of at most
/// [`MAX_EXTRA_BYTES`](weft_store::assets::MAX_EXTRA_BYTES). Another is replaced by `{}`, so
/// that no worker can make a step's batch fail.
fn storable(extra: &Value) -> bool {
    match weft_model::asset::check_extra(extra) {
        Ok(()) => true,
        Err(why) => {
            tracing::warn!(%why, "an attempt's asset extra is refused; its event gets {{}}");
            false
        }
    }
}

/// The run `events` start: its logical date is the latest event's time and its data interval
/// spans the events, as in Airflow; its id ends with the latest event's id, which no other
/// run of the DAG consumes; its conf holds the events, under `triggering_asset_events`.
fn run_spec(events: &[AssetEvent]) -> RunSpec {
    let first = events
        .iter()
        .map(|e| e.created_at)
        .min()
        .unwrap_or_default();
    let last = events
        .iter()
        .map(|e| e.created_at)
        .max()
        .unwrap_or_default();
    let latest_id = events.iter().map(|e| e.id).max().unwrap_or_default();
    let triggering: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "uri": e.uri,
                "extra": e.extra,
                "source": e.source,
                "created_at": e.created_at,
            })
        })
        .collect();
    RunSpec {
        run_type: RunType::AssetTriggered,
        run_id: Some(format!(
            "{}__{latest_id}",
            RunType::AssetTriggered.run_id(last)
        )),
        logical_date: last,
        interval: DataInterval {
            start: first,
            end: last,
        },
        conf: json!({ "triggering_asset_events": triggering }),
    }
}
