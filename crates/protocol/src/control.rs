//! What API servers and the leading scheduler say to each other on the bus: [`Notice`]s
//! that something changed in the store, runs just created ([`RunCreated`]), and
//! [`Command`]s the scheduler carries out and answers with a [`Reply`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use weft_model::{DagRunState, RunType, TaskState};

use crate::envelope::Message;
use crate::ids::{RunPk, TiPk};
use crate::task_instance::TaskInstance;

/// Most task instances a [`ControlMessage::Created`] carries; a larger run goes as a
/// [`ControlMessage::CreatedFromDag`] (its task instances' ids), or, when its ids do not
/// fall in at most [`CARRIED_ID_RANGES`] ranges, as a [`Notice::RunChanged`] and is read
/// from the store.
pub const CARRIED_TASKS: usize = 100;

/// Most ranges of ids a [`ControlMessage::CreatedFromDag`] carries.
pub const CARRIED_ID_RANGES: usize = 64;

/// Something changed in the store that the scheduler must look at at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    /// A DAG was deployed, paused or unpaused: the scheduler reloads the tenant's DAG.
    DagChanged {
        /// The tenant the DAG belongs to.
        tenant: String,
        /// The DAG's id.
        dag_id: String,
    },
    /// A run was created or changed outside the scheduler: the scheduler reloads it.
    RunChanged(RunPk),
    /// A tenant's weight, quotas, sandbox policy or pools changed: the scheduler reads the
    /// tenant's settings and pools again.
    TenantChanged {
        /// The tenant.
        tenant: String,
    },
    /// An asset event was posted: the scheduler looks at the DAGs scheduled on the asset.
    AssetUpdated {
        /// The tenant owning the asset.
        tenant: String,
        /// The asset.
        uri: String,
    },
}

/// A command an API server sends to the leading scheduler; the answer is a [`Reply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// Clear task instances of a run so they run again.
    Clear {
        /// The tenant the run belongs to; a run of another tenant is not found.
        tenant: String,
        /// The run.
        run: RunPk,
        /// The tasks to clear.
        task_ids: Vec<String>,
        /// Whether their downstream tasks are cleared too.
        downstream: bool,
    },
    /// Mark a task instance by hand.
    Mark {
        /// The tenant the run belongs to.
        tenant: String,
        /// The run.
        run: RunPk,
        /// The task.
        task_id: String,
        /// `success` or `failed`.
        state: TaskState,
    },
}

/// An entry of the control stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ControlMessage {
    /// Something changed in the store.
    Notice {
        /// What changed.
        notice: Notice,
    },
    /// A run just created in the store, with its task instances as written, so that the
    /// scheduler takes it up without reading it back (sent for runs of at most
    /// [`CARRIED_TASKS`] tasks; larger ones go as a [`ControlMessage::CreatedFromDag`]).
    Created(Box<RunCreated>),
    /// A run just created in the store whose task instances are those its DAG version
    /// describes, each as a new run's task instance starts: the scheduler builds them from the
    /// DAG and the ids carried, without reading them back (sent for runs of more than
    /// [`CARRIED_TASKS`] tasks). Both ends must turn a DAG into task instances alike (the
    /// same task order, the same settings): a change to either is a new protocol version.
    CreatedFromDag(Box<RunCreatedFromDag>),
    /// A command, answered on the list `reply_to`.
    Command {
        /// The Redis list the answer is pushed to.
        reply_to: String,
        /// What to do.
        command: Command,
    },
}

impl Message for ControlMessage {
    const NAME: &'static str = "control message";
}

/// A run as its creator wrote it to the store, with its task instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunCreated {
    /// The run.
    pub run: DagRun,
    /// Its task instances, one per task, as written.
    pub tis: Vec<TaskInstance>,
}

/// A run as its creator wrote it to the store, and the ids of its task instances in the order
/// of its DAG version's tasks, as ranges of consecutive ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunCreatedFromDag {
    /// The run.
    pub run: DagRun,
    /// The ids of its task instances, task after task of its DAG.
    pub ids: Vec<IdRange>,
}

/// `count` consecutive task instance ids from `first`, written `[first, count]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRange(pub TiPk, pub u32);

impl RunCreatedFromDag {
    /// `ids` as ranges of consecutive ids; `None` when they need more than
    /// [`CARRIED_ID_RANGES`].
    pub fn ranges(ids: impl IntoIterator<Item = TiPk>) -> Option<Vec<IdRange>> {
        let mut ranges: Vec<IdRange> = Vec::new();
        for id in ids {
            if let Some(IdRange(first, count)) = ranges.last_mut()
                && *count < u32::MAX
                && first.checked_add(i64::from(*count)) == Some(id)
            {
                *count += 1;
                continue;
            }
            if ranges.len() == CARRIED_ID_RANGES {
                return None;
            }
            ranges.push(IdRange(id, 1));
        }
        Some(ranges)
    }

    /// The ids the ranges hold, in order (a range running past the largest id ends there).
    pub fn ids(&self) -> impl Iterator<Item = TiPk> + '_ {
        self.ids.iter().flat_map(|&IdRange(first, count)| {
            (0..i64::from(count)).map_while(move |k| first.checked_add(k))
        })
    }

    /// How many ids the ranges say they hold (check it before taking them).
    pub fn id_count(&self) -> u64 {
        self.ids.iter().map(|r| u64::from(r.1)).sum()
    }
}

/// A DAG run: the store's record of it and, as its creator wrote it, the message that
/// announces it to the scheduler (one type, so what travels is what is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DagRun {
    /// Its primary key.
    pub id: RunPk,
    /// The tenant that owns it.
    pub tenant: String,
    /// The DAG it is a run of.
    pub dag_id: String,
    /// Its textual id, unique within the DAG.
    pub run_id: String,
    /// How it came to be (scheduled, manual, backfill).
    pub run_type: RunType,
    /// Its logical date.
    pub logical_date: Timestamp,
    /// Start of its data interval.
    pub data_interval_start: Timestamp,
    /// End of its data interval.
    pub data_interval_end: Timestamp,
    /// Its conf, a JSON object.
    pub conf: serde_json::Value,
    /// The component digest it is pinned to.
    pub digest: String,
    /// Its state (`queued` when created).
    pub state: DagRunState,
    /// When it was created.
    pub queued_at: Timestamp,
    /// When it started, if it has.
    pub started_at: Option<Timestamp>,
    /// When it ended, if it has.
    pub ended_at: Option<Timestamp>,
}

/// The answer to a [`Command`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reply")]
pub enum Reply {
    /// So many task instances were cleared.
    Cleared {
        /// How many.
        count: usize,
    },
    /// The task instance was marked.
    Marked,
    /// The command was refused or failed.
    Error {
        /// Why, as a kind the caller maps back to its own error.
        kind: ReplyError,
        /// What was wrong, for people.
        message: String,
    },
}

impl Message for Reply {
    const NAME: &'static str = "reply";
}

/// Why a command was refused, in the terms both sides share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyError {
    /// No such run or task for the tenant.
    NotFound,
    /// The command is invalid (a state that cannot be set by hand, say).
    Invalid,
    /// It clashes with what exists.
    Conflict,
    /// The scheduler could not carry it out now; the same command may succeed later.
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrying(ids: Vec<IdRange>) -> RunCreatedFromDag {
        RunCreatedFromDag {
            run: DagRun {
                id: 1,
                tenant: "default".into(),
                dag_id: "wide".into(),
                run_id: "r".into(),
                run_type: RunType::Manual,
                logical_date: Timestamp::UNIX_EPOCH,
                data_interval_start: Timestamp::UNIX_EPOCH,
                data_interval_end: Timestamp::UNIX_EPOCH,
                conf: serde_json::json!({}),
                digest: "sha256:0".into(),
                state: DagRunState::Queued,
                queued_at: Timestamp::UNIX_EPOCH,
                started_at: None,
                ended_at: None,
            },
            ids,
        }
    }

    #[test]
    fn ids_go_as_ranges_of_consecutive_ids_and_come_back_in_order() {
        let ids = vec![10, 11, 12, 40, 41, 7, 13];
        let ranges = RunCreatedFromDag::ranges(ids.clone()).expect("few ranges");
        assert_eq!(
            ranges,
            vec![
                IdRange(10, 3),
                IdRange(40, 2),
                IdRange(7, 1),
                IdRange(13, 1)
            ]
        );
        let created = carrying(ranges);
        assert_eq!(created.id_count(), 7);
        assert_eq!(created.ids().collect::<Vec<_>>(), ids);
        assert_eq!(
            serde_json::to_string(&created.ids).expect("encodes"),
            "[[10,3],[40,2],[7,1],[13,1]]"
        );
        assert_eq!(RunCreatedFromDag::ranges([]), Some(Vec::new()));
    }

    #[test]
    fn ids_in_too_many_ranges_are_not_carried() {
        let scattered = (0..CARRIED_ID_RANGES as i64).map(|k| k * 2);
        assert_eq!(
            RunCreatedFromDag::ranges(scattered.clone()).map(|r| r.len()),
            Some(CARRIED_ID_RANGES)
        );
        assert_eq!(
            RunCreatedFromDag::ranges(scattered.chain([1_000_000])),
            None
        );
    }

    #[test]
    fn a_range_past_the_largest_id_ends_there() {
        let created = carrying(vec![IdRange(i64::MAX - 1, 5)]);
        assert_eq!(created.id_count(), 5, "what the ranges say");
        assert_eq!(
            created.ids().collect::<Vec<_>>(),
            vec![i64::MAX - 1, i64::MAX],
            "what they hold"
        );
    }
}
