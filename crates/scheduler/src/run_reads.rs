//! Runs read from the store away from the scheduler's loop. A run the scheduler does not hold
//! yet (created by an API server whose message could carry neither its rows nor their ids,
//! or found by the resync) is read by a reader task, so that the loop goes on stepping the
//! other runs while the store answers; the loop takes the run up when the answer arrives. The
//! reader reads one run at a time, in the order asked, and so holds one store
//! connection at most. It also builds big runs in memory ([`run_builds`](crate::run_builds)),
//! in turn with its reads.
//!
//! An answer is taken only if it is still the latest word on its run: a later notice of the
//! same run starts a newer read, and any load of the run in the loop (a resync, a clear, a
//! run the loop read itself) makes the read in flight stale, so an old answer never
//! replaces what memory learnt since.

use std::sync::Arc;

use tokio::sync::mpsc;
use weft_store::{DagRun, RunPk, Store, StoreError, TaskInstance};

use crate::active_runs::FastMap;
use crate::run_builds::{self, Build, Built};

/// A run as the reader answered, for the loop to take up.
pub(crate) struct RunRead {
    /// The run read.
    pub run: RunPk,
    /// Which read of the run this answers.
    pub generation: u64,
    /// The run read or built.
    pub answer: Answer,
}

/// A run and its task instances as the store answered.
pub(crate) type ReadAnswer = Result<Option<(DagRun, Vec<TaskInstance>)>, StoreError>;

/// What the reader made of a run.
pub(crate) enum Answer {
    /// The run and its task instances as the store holds them, none if it has no such run.
    Read(Box<ReadAnswer>),
    /// The run built in memory and evaluated, or why it does not match its DAG.
    Built(Result<Box<Built>, String>),
}

impl Answer {
    /// The run built, if this is one.
    pub(crate) fn built(&self) -> Option<&Built> {
        match self {
            Answer::Built(Ok(built)) => Some(built),
            _ => None,
        }
    }
}

/// What the reader is asked to do with a run.
enum Job {
    /// Read it from the store.
    Read,
    /// Build it from rows in hand.
    Build(Box<Build>),
}

/// A read or build awaited.
struct Awaited {
    /// Which read of the run it is.
    generation: u64,
    /// The resync round it began in.
    round: u64,
    /// The run's tenant and DAG, for a build.
    dag: Option<(String, String)>,
}

/// The reads in flight, each run's latest, and the reader that makes them.
#[derive(Default)]
pub(crate) struct RunReads {
    /// The latest read or build of each run still awaited.
    pending: FastMap<RunPk, Awaited>,
    /// The resync round: how many resyncs have looked at the reads.
    round: u64,
    /// The number the next read gets.
    next: u64,
    /// The reader's requests, once it is started (it stops when this is dropped).
    reader: Option<mpsc::UnboundedSender<(RunPk, u64, Job)>>,
    /// The store it reads and where it answers, once it is started.
    reading: Option<(Arc<dyn Store>, mpsc::UnboundedSender<RunRead>)>,
}

impl RunReads {
    /// Have run `run` read from `store` by the reader (started on first use), after the
    /// reads asked before; the answer goes to `answers`.
    pub(crate) fn start(
        &mut self,
        run: RunPk,
        store: &Arc<dyn Store>,
        answers: &mpsc::UnboundedSender<RunRead>,
    ) {
        let generation = self.begin(run, None);
        self.ask(run, generation, Job::Read, store, answers);
    }

    /// Have the run `build` holds built by the reader, after the reads and builds asked
    /// before; the run answers to `answers`. Until it is taken up, [`building`](Self::building)
    /// says so of its DAG.
    pub(crate) fn build(
        &mut self,
        build: Build,
        store: &Arc<dyn Store>,
        answers: &mpsc::UnboundedSender<RunRead>,
    ) {
        let run = build.rows.run();
        let (tenant, dag_id, _) = build.rows.dag();
        let dag = Some((tenant.to_owned(), dag_id.to_owned()));
        let generation = self.begin(run, dag);
        self.ask(run, generation, Job::Build(Box::new(build)), store, answers);
    }

    /// Have the run `build` holds built after the reads and builds asked before, by the
    /// reader already started; `build` back if none was.
    pub(crate) fn build_in_turn(&mut self, build: Build) -> Result<(), Box<Build>> {
        let Some((store, answers)) = self.reading.clone() else {
            return Err(Box::new(build));
        };
        self.build(build, &store, &answers);
        Ok(())
    }

    /// Hand `job` to the reader, starting one if there is none or it is gone.
    fn ask(
        &mut self,
        run: RunPk,
        generation: u64,
        job: Job,
        store: &Arc<dyn Store>,
        answers: &mpsc::UnboundedSender<RunRead>,
    ) {
        if self.reading.is_none() {
            self.reading = Some((store.clone(), answers.clone()));
        }
        let reader = self
            .reader
            .get_or_insert_with(|| spawn_reader(store.clone(), answers.clone()));
        if let Err(mpsc::error::SendError((run, generation, job))) =
            reader.send((run, generation, job))
        {
            // The reader is gone (a read panicked): start another.
            let reader = spawn_reader(store.clone(), answers.clone());
            let _ = reader.send((run, generation, job));
            self.reader = Some(reader);
        }
    }

    /// A new read of `run` begins (a build of a run of `dag`): its number, which makes any
    /// earlier one stale. A read that replaces a build keeps its DAG: the run is still to be
    /// taken up before the DAG's newer runs.
    fn begin(&mut self, run: RunPk, dag: Option<(String, String)>) -> u64 {
        let dag = dag.or_else(|| self.pending.get(&run).and_then(|a| a.dag.clone()));
        self.next += 1;
        let awaited = Awaited {
            generation: self.next,
            round: self.round,
            dag,
        };
        self.pending.insert(run, awaited);
        self.next
    }

    /// Whether a build of a run of `tenant`'s DAG `dag_id` is awaited: a new run of it is
    /// then built after it, not loaded ahead of it.
    pub(crate) fn building(&self, tenant: &str, dag_id: &str) -> bool {
        self.awaited_of(tenant, dag_id) > 0
    }

    /// How many runs of `tenant`'s DAG `dag_id` are being built to be taken up (runs not
    /// in memory yet that count against the DAG's active runs).
    pub(crate) fn awaited_of(&self, tenant: &str, dag_id: &str) -> usize {
        self.pending
            .values()
            .filter(|awaited| {
                awaited
                    .dag
                    .as_ref()
                    .is_some_and(|(t, d)| t == tenant && d == dag_id)
            })
            .count()
    }

    /// Whether a read of run `run` begun since the last resync is awaited. A read awaited
    /// longer may never be answered (its reader stopped): the resync asks for the run again,
    /// which makes that read stale.
    pub(crate) fn awaits_since_resync(&self, run: RunPk) -> bool {
        self.pending
            .get(&run)
            .is_some_and(|awaited| awaited.round == self.round)
    }

    /// A resync has looked at the reads awaited: from now on they count as old.
    pub(crate) fn resynced(&mut self) {
        self.round += 1;
    }

    /// The loop loads run `run` itself (or reads it again): any read in flight is stale.
    pub(crate) fn forget(&mut self, run: RunPk) {
        self.pending.remove(&run);
    }

    /// Whether `read` is the latest word on its run, leaving it awaited.
    pub(crate) fn is_current(&self, read: &RunRead) -> bool {
        self.pending
            .get(&read.run)
            .map(|awaited| awaited.generation)
            == Some(read.generation)
    }

    /// Whether `read` is the latest word on its run (it is then no longer awaited).
    pub(crate) fn take(&mut self, read: &RunRead) -> bool {
        let current = self.is_current(read);
        if current {
            self.pending.remove(&read.run);
        }
        current
    }
}

/// A task reading and building the runs it is asked for, one at a time and in order, until
/// the requests or the answers' receiver go away.
fn spawn_reader(
    store: Arc<dyn Store>,
    answers: mpsc::UnboundedSender<RunRead>,
) -> mpsc::UnboundedSender<(RunPk, u64, Job)> {
    let (requests, mut asked) = mpsc::unbounded_channel::<(RunPk, u64, Job)>();
    tokio::spawn(async move {
        while let Some((run, generation, job)) = asked.recv().await {
            let began = std::time::Instant::now();
            let answer = match job {
                Job::Read => {
                    let answer = store.run(run).await;
                    tracing::debug!(
                        run,
                        tasks = answer
                            .as_ref()
                            .ok()
                            .and_then(Option::as_ref)
                            .map_or(0, |(_, tis)| tis.len()),
                        read_ms = began.elapsed().as_secs_f64() * 1e3,
                        "run read away from the loop"
                    );
                    Answer::Read(Box::new(answer))
                }
                Job::Build(build) => {
                    let answer = run_builds::build(&*store, run, *build).await;
                    tracing::debug!(
                        run,
                        tasks = answer.built().map_or(0, |b| b.active.tis.len()),
                        build_ms = began.elapsed().as_secs_f64() * 1e3,
                        "run built away from the loop"
                    );
                    answer
                }
            };
            let read = RunRead {
                run,
                generation,
                answer,
            };
            if answers.send(read).is_err() {
                break;
            }
        }
    });
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reads: &mut RunReads, run: RunPk) -> RunRead {
        RunRead {
            run,
            generation: reads.begin(run, None),
            answer: Answer::Read(Box::new(Ok(None))),
        }
    }

    #[test]
    fn the_latest_read_of_a_run_is_taken_once() {
        let mut reads = RunReads::default();
        let answer = read(&mut reads, 7);
        assert!(reads.take(&answer));
        assert!(!reads.take(&answer), "taken already");
    }

    #[test]
    fn a_newer_read_makes_the_older_stale() {
        let mut reads = RunReads::default();
        let older = read(&mut reads, 7);
        let newer = read(&mut reads, 7);
        assert!(!reads.take(&older));
        assert!(reads.take(&newer));
    }

    #[test]
    fn a_load_in_the_loop_makes_the_read_in_flight_stale() {
        let mut reads = RunReads::default();
        let in_flight = read(&mut reads, 7);
        let other = read(&mut reads, 8);
        reads.forget(7);
        assert!(!reads.take(&in_flight));
        assert!(reads.take(&other), "other runs' reads are untouched");
    }

    #[test]
    fn a_run_is_awaited_until_its_latest_read_is_taken_or_forgotten() {
        let mut reads = RunReads::default();
        assert!(!reads.awaits_since_resync(7));
        let older = read(&mut reads, 7);
        let newer = read(&mut reads, 7);
        assert!(!reads.take(&older));
        assert!(
            reads.awaits_since_resync(7),
            "the newer read is still awaited"
        );
        assert!(reads.take(&newer));
        assert!(!reads.awaits_since_resync(7));
        let _ = read(&mut reads, 8);
        reads.forget(8);
        assert!(!reads.awaits_since_resync(8));
    }

    #[test]
    fn a_dag_is_being_built_until_its_runs_build_is_taken_forgotten_or_read_again() {
        let mut reads = RunReads::default();
        let dag = || Some(("team-a".to_owned(), "fan".to_owned()));
        let built = |reads: &mut RunReads, run| RunRead {
            run,
            generation: reads.begin(run, dag()),
            answer: Answer::Read(Box::new(Ok(None))),
        };
        let first = built(&mut reads, 7);
        assert!(reads.building("team-a", "fan"));
        assert!(!reads.building("team-b", "fan"), "another tenant's DAG");
        assert!(!reads.building("team-a", "other"), "another DAG");
        assert!(reads.take(&first));
        assert!(!reads.building("team-a", "fan"), "taken up");

        let _ = built(&mut reads, 8);
        reads.forget(8);
        assert!(!reads.building("team-a", "fan"), "loaded in the loop");

        let stale = built(&mut reads, 9);
        let again = read(&mut reads, 9);
        assert!(
            !reads.is_current(&stale),
            "a read of the run makes its build stale"
        );
        assert!(
            reads.building("team-a", "fan"),
            "the run read is still to be taken up before the DAG's newer runs"
        );
        assert!(reads.take(&again));
        assert!(!reads.building("team-a", "fan"));
    }

    #[test]
    fn a_read_awaited_through_a_whole_resync_round_counts_as_lost() {
        let mut reads = RunReads::default();
        let lost = read(&mut reads, 7);
        assert!(reads.awaits_since_resync(7));
        reads.resynced();
        assert!(!reads.awaits_since_resync(7), "the next resync asks again");
        let again = read(&mut reads, 7);
        assert!(reads.awaits_since_resync(7));
        assert!(!reads.take(&lost), "the lost read's answer is stale");
        assert!(reads.take(&again));
    }
}
