//! The DAGs the scheduler knows ([`Dags`]): each DAG's record (pause flag, schedule, current
//! component), and the validated DAG and index graph of each component digest, validated
//! once since a digest names its spec for good.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::watch;

use weft_model::Dag;
use weft_store::{DagRecord, Quotas, Store, StoreError, Tenant, TenantSandbox};

use crate::graph::Graph;

/// DAG records by tenant and DAG id, and validated DAGs by component digest.
#[derive(Default)]
pub(crate) struct Dags {
    /// Each deployed DAG's record, by tenant and DAG id, as last read from the store.
    records: HashMap<(String, String), DagRecord>,
    /// The validated DAG and its graph, by component digest.
    graphs: HashMap<String, (Arc<Dag>, Arc<Graph>)>,
    /// Each tenant's weight in the fair sharing of slots, quotas and sandbox policy, as last
    /// read (1 and none if not read).
    tenants: HashMap<String, TenantSettings>,
    /// Every tenant whose attempts the scheduler may have queued (all it read settings of, and
    /// any it queued without), for the bus to read their report streams.
    reporting: watch::Sender<BTreeSet<String>>,
}

/// What the scheduler keeps of a tenant.
struct TenantSettings {
    weight: u32,
    quotas: Quotas,
    sandbox: Arc<TenantSandbox>,
}

impl Dags {
    /// The tenants that have DAGs.
    pub(crate) fn tenants(&self) -> BTreeSet<String> {
        self.records.keys().map(|(t, _)| t.clone()).collect()
    }

    /// Whether a tenant other than `tenants` has a DAG: only then can anything go beside a
    /// batch of theirs in flight.
    pub(crate) fn any_beyond(&self, tenants: &std::collections::HashSet<String>) -> bool {
        self.records
            .keys()
            .any(|(tenant, _)| !tenants.contains(tenant))
    }

    /// Keep `record` (read from the store) in place of what was known of its DAG.
    pub(crate) fn insert(&mut self, record: DagRecord) {
        self.records
            .insert((record.tenant.clone(), record.dag_id.clone()), record);
    }

    /// `tenant`'s weight in the fair sharing of slots.
    pub(crate) fn weight(&self, tenant: &str) -> u32 {
        self.tenants.get(tenant).map_or(1, |t| t.weight)
    }

    /// `tenant`'s quotas.
    pub(crate) fn quotas(&self, tenant: &str) -> Quotas {
        self.tenants.get(tenant).map_or(Quotas::NONE, |t| t.quotas)
    }

    /// `tenant`'s sandbox policy (none of its own if not read).
    pub(crate) fn sandbox(&self, tenant: &str) -> Option<Arc<TenantSandbox>> {
        self.tenants.get(tenant).map(|t| t.sandbox.clone())
    }

    /// Follow the tenants whose attempts the scheduler may have queued (see
    /// [`Dags::reporting`]): each is named before its first attempt goes out.
    pub(crate) fn subscribe_reporting(&self) -> watch::Receiver<BTreeSet<String>> {
        self.reporting.subscribe()
    }

    /// `tenant`'s attempts may be queued: its reports are to be read.
    pub(crate) fn reporting(&self, tenant: &str) {
        self.reporting
            .send_if_modified(|known| !known.contains(tenant) && known.insert(tenant.to_owned()));
    }

    /// Keep `tenant`'s weight, quotas and sandbox policy (read from the store).
    pub(crate) fn set_tenant(&mut self, tenant: &Tenant) {
        self.reporting(&tenant.name);
        self.tenants.insert(
            tenant.name.clone(),
            TenantSettings {
                weight: tenant.weight.max(1),
                quotas: tenant.quotas,
                sandbox: Arc::new(tenant.sandbox.clone()),
            },
        );
    }

    /// Whether DAG `dag_id` of `tenant` is paused: its runs do not start and its ready tasks
    /// are not queued.
    pub(crate) fn paused(&self, tenant: &str, dag_id: &str) -> bool {
        self.records
            .get(&(tenant.to_owned(), dag_id.to_owned()))
            .is_some_and(|d| d.paused)
    }

    /// Every deployed DAG's record, as last read.
    pub(crate) fn records(&self) -> impl Iterator<Item = &DagRecord> {
        self.records.values()
    }

    /// The record of DAG `dag_id` of `tenant`, as last read.
    pub(crate) fn record(&self, tenant: &str, dag_id: &str) -> Option<&DagRecord> {
        self.records.get(&(tenant.to_owned(), dag_id.to_owned()))
    }

    /// The DAGs that create scheduled runs: unpaused, with a schedule.
    pub(crate) fn scheduled(&self) -> impl Iterator<Item = &DagRecord> {
        self.records
            .values()
            .filter(|d| !d.paused && d.spec.schedule.is_some())
    }

    /// The DAG and graph of component `digest`, if validated already.
    pub(crate) fn known_graph(&self, digest: &str) -> Option<&(Arc<Dag>, Arc<Graph>)> {
        self.graphs.get(digest)
    }

    /// The DAG and graph of a component, read from `store` and validated the first time a
    /// digest is asked for. None when the store has no spec for it, or the stored spec no
    /// longer validates (logged).
    pub(crate) async fn graph(
        &mut self,
        store: &dyn Store,
        tenant: &str,
        digest: &str,
    ) -> Result<Option<(Arc<Dag>, Arc<Graph>)>, StoreError> {
        if let Some(found) = self.graphs.get(digest) {
            return Ok(Some(found.clone()));
        }
        let Some(spec) = store.spec(tenant, digest).await? else {
            return Ok(None);
        };
        let dag = match spec.validate() {
            Ok(dag) => Arc::new(dag),
            Err(e) => {
                tracing::error!(%digest, error = %e, "stored spec no longer validates");
                return Ok(None);
            }
        };
        let graph = Arc::new(Graph::of(&dag));
        self.graphs
            .insert(digest.to_owned(), (dag.clone(), graph.clone()));
        Ok(Some((dag, graph)))
    }
}
