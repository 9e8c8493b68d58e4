//! Catching up with what happened behind the scheduler's back: runs and DAG changes it was
//! not told about (a notice lost on the way), and a queue that lost its messages (a Redis
//! server restarted without persistence). Both run on timers; the store stays the truth.
//!
//! A resync reads every tenant's settings, DAG records (each with its spec) and pools, and
//! the active runs: tens of milliseconds under load, which the loop would spend holding
//! every tenant's steps back. So a task of its own reads ([`read`]) and the loop takes the
//! answer in a full step ([`Scheduler::take_resync`]). The answer does not overwrite what
//! the loop read itself after the read began (a DAG or a tenant a notice named, a tenant's
//! settings first needed in a step), nor bring back runs the loop let go of meanwhile.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use weft_model::{DagRunState, TaskState};
use weft_store::{DEFAULT_TENANT, DagRecord, Pool, RunFilter, RunPk, Store, StoreResult, Tenant};

use crate::error::SchedulerError;
use crate::step::Scheduler;

/// Most active runs looked at per state and tenant in one resync.
const RESYNC_LIMIT: u32 = 100_000;

/// What a resync read of the store, away from the loop.
pub(crate) struct StoreRead {
    /// The tenants and their DAGs.
    dags: DagsRead,
    /// The queued and running runs.
    active: BTreeSet<RunPk>,
}

/// Every tenant's settings, and the DAG records and pools of each tenant read.
pub(crate) struct DagsRead {
    tenants: Vec<Tenant>,
    dags: Vec<TenantDags>,
}

/// One tenant's DAG records and pools.
struct TenantDags {
    tenant: String,
    records: Vec<DagRecord>,
    pools: Vec<Pool>,
}

/// A resync's read of the store, answered to the loop.
pub(crate) struct ResyncAnswer {
    /// Which read it is: one the loop gave up on answers too late, and is not taken.
    number: u64,
    /// What it read.
    read: StoreResult<StoreRead>,
}

/// Where a resync's read answers.
pub(crate) type ResyncAnswers = mpsc::UnboundedSender<ResyncAnswer>;

/// How many resync intervals a read may go unanswered before the loop gives up on it (its
/// task panicked, or the store hangs) and reads again.
const GIVE_UP_AFTER: u32 = 4;

/// How long a read may go unanswered: [`GIVE_UP_AFTER`] intervals, and a second at least
/// (an interval of 0 would give up every read before it could answer).
fn give_up_after(interval: Duration) -> Duration {
    interval
        .saturating_mul(GIVE_UP_AFTER)
        .max(Duration::from_secs(1))
}

/// The resync under way, if one is.
#[derive(Debug, Default)]
pub(crate) struct Resync {
    /// The last read's number.
    number: u64,
    under_way: Option<UnderWay>,
}

/// A resync's read under way, and what the loop learned since it began, which its answer
/// (read before, perhaps) leaves be.
#[derive(Debug)]
struct UnderWay {
    number: u64,
    began: Instant,
    task: JoinHandle<()>,
    since: ReadSince,
}

/// What the loop read again, or let go of, since a resync's read began.
#[derive(Debug, Default)]
struct ReadSince {
    /// DAGs read again (a notice).
    dags: HashSet<(String, String)>,
    /// Tenants whose settings were read again (a notice, or a step that first needed them).
    settings: HashSet<String>,
    /// Tenants whose pools were read again (a notice).
    pools: HashSet<String>,
    /// Runs that left memory (ended, timed out or read again): the read may still have
    /// found them active.
    runs_left: HashSet<RunPk>,
}

impl Resync {
    fn since(&mut self) -> Option<&mut ReadSince> {
        self.under_way.as_mut().map(|u| &mut u.since)
    }

    /// DAG `dag_id` of `tenant` was read again by the loop.
    pub(crate) fn dag_read(&mut self, tenant: &str, dag_id: &str) {
        if let Some(since) = self.since() {
            since.dags.insert((tenant.to_owned(), dag_id.to_owned()));
        }
    }

    /// Tenant `tenant`'s settings were read again by the loop.
    pub(crate) fn settings_read(&mut self, tenant: &str) {
        if let Some(since) = self.since() {
            since.settings.insert(tenant.to_owned());
        }
    }

    /// Tenant `tenant`'s pools were read again by the loop.
    pub(crate) fn pools_read(&mut self, tenant: &str) {
        if let Some(since) = self.since() {
            since.pools.insert(tenant.to_owned());
        }
    }

    /// Run `run` left memory.
    pub(crate) fn run_left(&mut self, run: RunPk) {
        if let Some(since) = self.since() {
            since.runs_left.insert(run);
        }
    }
}

/// Read every tenant's settings, and the DAG records and pools of the tenants the store
/// holds and of `known` (those the scheduler knows DAGs of).
pub(crate) async fn read_dags(
    store: &dyn Store,
    mut known: BTreeSet<String>,
) -> StoreResult<DagsRead> {
    known.insert(DEFAULT_TENANT.to_owned());
    let tenants = store.tenants().await?;
    known.extend(tenants.iter().map(|t| t.name.clone()));
    let mut dags = Vec::with_capacity(known.len());
    for tenant in known {
        let records = store.dags(&tenant).await?;
        let pools = store.pools(&tenant).await?;
        dags.push(TenantDags {
            tenant,
            records,
            pools,
        });
    }
    Ok(DagsRead { tenants, dags })
}

/// Read the store for a resync: [`read_dags`], and the queued and running runs of the
/// tenants with DAGs.
async fn read(store: &dyn Store, known: BTreeSet<String>) -> StoreResult<StoreRead> {
    let dags = read_dags(store, known).await?;
    let mut active = BTreeSet::new();
    // Runs are of DAGs: a tenant without any has none.
    for tenant in dags.dags.iter().filter(|t| !t.records.is_empty()) {
        for state in [DagRunState::Queued, DagRunState::Running] {
            let filter = RunFilter {
                dag_id: None,
                state: Some(state),
                limit: Some(RESYNC_LIMIT),
            };
            // A run may be listed twice: queued, then running by the second read.
            active.extend(
                store
                    .runs(&tenant.tenant, &filter)
                    .await?
                    .iter()
                    .map(|r| r.id),
            );
        }
    }
    Ok(StoreRead { dags, active })
}

/// The queue's generation as last seen: a queue that comes back with another one lost its
/// contents (see [`Queue::generation`](weft_queue::Queue::generation)).
#[derive(Debug, Default)]
pub(crate) struct QueueWatch {
    seen: Option<String>,
}

impl QueueWatch {
    /// The scheduler starts (and queues every queued attempt again): whatever the queue held
    /// before, `generation` is the one to compare with.
    pub(crate) fn start(&mut self, generation: Option<String>) {
        self.seen = generation;
    }

    /// Note the queue's `generation` now; whether it differs from the one seen before
    /// (the queue lost its contents since).
    fn changed(&mut self, generation: String) -> bool {
        let lost = self.seen.as_ref().is_some_and(|seen| *seen != generation);
        self.seen = Some(generation);
        lost
    }
}

impl Scheduler {
    /// Begin a resync, unless one is under way: a task of its own reads the store and
    /// answers to `answers`, for [`take_resync`](Self::take_resync). A read that ended
    /// without an answer, or has not answered in [`GIVE_UP_AFTER`] intervals, is given up.
    pub(crate) fn begin_resync(&mut self, answers: &ResyncAnswers) {
        if let Some(under_way) = &self.resync.under_way {
            let waited = under_way.began.elapsed();
            if under_way.task.is_finished() {
                tracing::warn!("the resync's read ended without an answer; reading again");
            } else if waited >= give_up_after(self.config.resync_interval) {
                tracing::warn!(
                    waited_ms = waited.as_millis(),
                    "the resync's read has not answered; reading again"
                );
                under_way.task.abort();
            } else {
                return;
            }
        }
        self.resync.number += 1;
        let number = self.resync.number;
        let store = self.store.clone();
        let known = self.dags.tenants();
        let answers = answers.clone();
        let task = tokio::spawn(async move {
            let read = read(&*store, known).await;
            // The loop gone, nobody waits for the answer.
            let _ = answers.send(ResyncAnswer { number, read });
        });
        self.resync.under_way = Some(UnderWay {
            number,
            began: Instant::now(),
            task,
            since: ReadSince::default(),
        });
    }

    /// Take a resync's answer: keep the tenants' settings, DAG records and pools it read
    /// (but those the loop read again since), and return the queued and running runs the
    /// scheduler neither holds, nor let go of since, nor has been reading since the last
    /// resync, to be read away from the loop (a big run just created can take 100 ms to
    /// read, which the loop would spend holding every other run's step back). A read that
    /// failed is left to the next; one given up is not taken.
    pub(crate) fn take_resync(&mut self, answer: ResyncAnswer) -> Vec<RunPk> {
        let Some(under_way) = self.resync.under_way.take_if(|u| u.number == answer.number) else {
            tracing::debug!(
                read = answer.number,
                "a resync's read given up answered; not taken"
            );
            return Vec::new();
        };
        let since = under_way.since;
        let read = match answer.read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "the resync could not read the store; the next one tries again");
                return Vec::new();
            }
        };
        self.keep_dags(read.dags, &since);
        let mut missing = Vec::new();
        for run in read.active {
            if !self.runs.contains(run)
                && !since.runs_left.contains(&run)
                && !self.reads.awaits_since_resync(run)
            {
                missing.push(run);
            }
        }
        self.reads.resynced();
        for &run in &missing {
            tracing::info!(run, "found an active run the scheduler was not told about");
        }
        missing
    }

    /// Keep the tenants' settings, DAG records and pools `read` holds, but those the loop read
    /// again `since` (as a resync's answer, read before, must).
    fn keep_dags(&mut self, read: DagsRead, since: &ReadSince) {
        for tenant in &read.tenants {
            if !since.settings.contains(&tenant.name) {
                self.dags.set_tenant(tenant);
            }
        }
        for TenantDags {
            tenant,
            records,
            pools,
        } in read.dags
        {
            if !since.pools.contains(&tenant) {
                self.admission
                    .set_pools(&tenant, pools.iter().map(|p| (p.name.as_str(), p.slots)));
            }
            for record in records {
                let read_since = !since.dags.is_empty()
                    && since
                        .dags
                        .contains(&(tenant.clone(), record.dag_id.clone()));
                if !read_since {
                    self.dags.insert(record);
                }
            }
        }
        // A DAG deployed or unpaused may find its asset events already queued.
        self.watch_all_asset_dags();
    }

    /// Keep everything `read` holds (at start: nothing was read before it).
    pub(crate) fn keep_all_dags(&mut self, read: DagsRead) {
        self.keep_dags(read, &ReadSince::default());
    }

    /// Ask the queue whether it still holds what it was given; if it lost its contents, put
    /// every queued attempt on it again (each under a new lease). A queue that cannot be
    /// reached is left for the next check.
    pub(crate) async fn check_queue(&mut self) -> Result<(), SchedulerError> {
        let generation = match self.queue.generation().await {
            Ok(generation) => generation,
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask the queue for its generation");
                return Ok(());
            }
        };
        if self.queue_watch.changed(generation) {
            let now = self.clock.now();
            let mut requeued = 0usize;
            for active in self.runs.values() {
                for ti in active.tis.iter().filter(|ti| ti.state == TaskState::Queued) {
                    self.outbox.requeue(ti.id, ti.lease, ti.try_number, now);
                    requeued += 1;
                }
            }
            tracing::warn!(
                requeued,
                "the queue lost its contents; queued attempts are queued again"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jiff::SignedDuration;
    use sha2::{Digest as _, Sha256};
    use tokio::sync::mpsc;
    use weft_model::{DagSpec, TaskSpec};
    use weft_queue::MemoryQueue;
    use weft_store::{
        DEFAULT_TENANT, Deploy, Quotas, RunFilter, RunPk, SqliteStore, Store, Tenant,
    };

    use super::{ResyncAnswer, ResyncAnswers};
    use crate::clock::ManualClock;
    use crate::config::SchedulerConfig;
    use crate::step::Scheduler;

    const T0: &str = "2024-03-01T00:00:00Z";

    /// A scheduler over a fresh store holding tenant `team` (weight 1) and DAGs `told` and
    /// `untold` of the default tenant, both unpaused, with everything loaded.
    async fn loaded(dir: &tempfile::TempDir) -> (Scheduler, Arc<dyn Store>) {
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.path().join("weft.db"))
                .await
                .expect("store"),
        );
        let at = T0.parse().expect("timestamp");
        store
            .create_tenant(Tenant {
                name: "team".into(),
                description: String::new(),
                created_at: at,
                weight: 1,
                quotas: Quotas::NONE,
                sandbox: Default::default(),
            })
            .await
            .expect("tenant");
        for dag_id in ["told", "untold"] {
            let mut spec = DagSpec::new(dag_id);
            spec.tasks = vec![TaskSpec::new("a")];
            let bytes = format!("component of {dag_id}").into_bytes();
            store
                .deploy(Deploy {
                    tenant: DEFAULT_TENANT.into(),
                    digest: format!("sha256:{}", hex::encode(Sha256::digest(&bytes))),
                    bytes,
                    dag_id: dag_id.into(),
                    spec,
                    at,
                })
                .await
                .expect("deploy");
        }
        let mut scheduler = Scheduler::new(
            store.clone(),
            Arc::new(MemoryQueue::new()),
            Arc::new(ManualClock::new(at)),
            SchedulerConfig::default(),
        );
        scheduler.load_dags().await.expect("loaded");
        (scheduler, store)
    }

    /// Pause or unpause DAG `dag_id` of the default tenant in the store alone (no notice).
    async fn set_paused(store: &Arc<dyn Store>, dag_id: &str, paused: bool) {
        let at = T0.parse().expect("timestamp");
        store
            .set_paused(DEFAULT_TENANT, dag_id, paused, at)
            .await
            .expect("pause changed");
    }

    /// Begin a resync and wait for its read's answer.
    async fn resync_read(
        scheduler: &mut Scheduler,
        answers: &ResyncAnswers,
        answered: &mut mpsc::UnboundedReceiver<ResyncAnswer>,
    ) -> ResyncAnswer {
        scheduler.begin_resync(answers);
        answered.recv().await.expect("the resync's read answers")
    }

    #[tokio::test]
    async fn a_resync_takes_unannounced_changes_but_keeps_what_the_loop_read_after_it_began() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut scheduler, store) = loaded(&dir).await;
        // Changed with no notice: only the resync can bring these in.
        set_paused(&store, "untold", true).await;
        store.set_tenant_weight("team", 3).await.expect("weight");

        let (answers, mut answered) = mpsc::unbounded_channel();
        let read = resync_read(&mut scheduler, &answers, &mut answered).await;

        // Changed and told of once the resync's read was made: the loop reads them again.
        set_paused(&store, "told", true).await;
        scheduler
            .load_dag(DEFAULT_TENANT, "told")
            .await
            .expect("read");
        store.set_tenant_weight("team", 5).await.expect("weight");
        scheduler.load_tenant("team").await.expect("read");
        assert!(scheduler.dags.paused(DEFAULT_TENANT, "told"));
        assert_eq!(scheduler.dags.weight("team"), 5);

        assert!(scheduler.take_resync(read).is_empty(), "no run is active");
        assert!(
            scheduler.dags.paused(DEFAULT_TENANT, "untold"),
            "the resync brought in the pause nobody told of"
        );
        assert!(
            scheduler.dags.paused(DEFAULT_TENANT, "told"),
            "the resync's older read did not undo the pause the loop read after it"
        );
        assert_eq!(
            scheduler.dags.weight("team"),
            5,
            "nor the tenant's weight read after it"
        );

        // The next resync reads after both: it keeps them, and would bring an unpause in.
        set_paused(&store, "told", false).await;
        let read = resync_read(&mut scheduler, &answers, &mut answered).await;
        scheduler.take_resync(read);
        assert!(!scheduler.dags.paused(DEFAULT_TENANT, "told"));
        assert!(scheduler.dags.paused(DEFAULT_TENANT, "untold"));
        assert_eq!(scheduler.dags.weight("team"), 5);
    }

    #[tokio::test]
    async fn a_run_let_go_of_while_the_resync_read_is_not_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut scheduler, store) = loaded(&dir).await;
        weft_store::testing::running_reader_and_other(&*store, SignedDuration::from_mins(10)).await;
        scheduler.start().await.expect("started");
        let runs = store
            .runs(DEFAULT_TENANT, &RunFilter::default())
            .await
            .expect("runs");
        let run = runs.iter().find(|r| r.run_id == "r1").expect("run r1").id;
        assert!(
            scheduler.runs.contains(run),
            "the start loaded the running run"
        );

        let (answers, mut answered) = mpsc::unbounded_channel();
        let read = resync_read(&mut scheduler, &answers, &mut answered).await;
        // Let go of (as an ended run is) after the read found it running.
        scheduler.remove_run(run).expect("held");
        assert_eq!(
            scheduler.take_resync(read),
            Vec::<RunPk>::new(),
            "a run the loop let go of after the read began is not taken for one nobody told of"
        );

        // A read made after it left finds it running still (the store says so here), and it
        // is read again.
        let read = resync_read(&mut scheduler, &answers, &mut answered).await;
        assert_eq!(scheduler.take_resync(read), vec![run]);
    }

    #[tokio::test]
    async fn a_read_given_up_is_not_taken_when_it_answers_and_the_next_one_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut scheduler, store) = loaded(&dir).await;
        let (answers, mut answered) = mpsc::unbounded_channel();

        // Read while `untold` is paused (nobody told), and not taken in time.
        set_paused(&store, "untold", true).await;
        let late = resync_read(&mut scheduler, &answers, &mut answered).await;
        while !scheduler
            .resync
            .under_way
            .as_ref()
            .is_some_and(|u| u.task.is_finished())
        {
            tokio::task::yield_now().await;
        }
        // Its task has ended with its answer untaken: the next tick gives it up and reads
        // again, after `untold` was unpaused.
        set_paused(&store, "untold", false).await;
        let fresh = resync_read(&mut scheduler, &answers, &mut answered).await;

        scheduler.take_resync(late);
        assert!(
            !scheduler.dags.paused(DEFAULT_TENANT, "untold"),
            "the answer of a read given up is not taken"
        );
        assert!(
            scheduler.resync.under_way.is_some(),
            "the next read is awaited"
        );
        scheduler.take_resync(fresh);
        assert!(
            scheduler.resync.under_way.is_none(),
            "the next read is taken"
        );
        assert!(!scheduler.dags.paused(DEFAULT_TENANT, "untold"));
    }
}
