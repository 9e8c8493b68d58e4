//! What travels on the bus, as JSON: reports, notices, commands and their replies.

use serde::{Deserialize, Serialize};
use weft_model::TaskState;
use weft_scheduler::{ControlError, Notice};
use weft_store::{DagRun, RunPk, TaskInstance};

/// Most task instances a [`ControlMessage::Created`] carries.
pub const CARRIED_TASKS: usize = 100;

/// A command an API server sends to the leading scheduler; the answer is a [`Reply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// Clear task instances of a run.
    Clear {
        /// Owner.
        tenant: String,
        /// The run.
        run: RunPk,
        /// The tasks.
        task_ids: Vec<String>,
        /// And their downstream tasks.
        downstream: bool,
    },
    /// Mark a task instance by hand.
    Mark {
        /// Owner.
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
        /// What.
        notice: Notice,
    },
    /// A run just created in the store, with its task instances as written, so that the
    /// scheduler takes it up without reading it back (sent for runs of at most
    /// [`CARRIED_TASKS`] tasks; larger ones go as a [`Notice::RunChanged`]).
    Created {
        /// The run.
        run: Box<DagRun>,
        /// Its task instances.
        tis: Vec<TaskInstance>,
    },
    /// A command, answered on the list `reply_to`.
    Command {
        /// Where the answer goes.
        reply_to: String,
        /// What to do.
        command: Command,
    },
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
        /// `not_found`, `invalid`, `conflict` or `unavailable`.
        kind: String,
        /// What was wrong.
        message: String,
    },
}

impl Reply {
    /// The reply for a refused command.
    pub fn error(e: &ControlError) -> Reply {
        let kind = match e {
            ControlError::NotFound(_) => "not_found",
            ControlError::Invalid(_) => "invalid",
            ControlError::Conflict(_) => "conflict",
            _ => "unavailable",
        };
        Reply::Error {
            kind: kind.to_owned(),
            message: e.to_string(),
        }
    }

    /// The error a refused command stands for, on the caller's side.
    pub fn into_error(kind: &str, message: String) -> ControlError {
        match kind {
            "not_found" => ControlError::NotFound(message),
            "invalid" => ControlError::Invalid(message),
            "conflict" => ControlError::Conflict(message),
            _ => ControlError::Unavailable(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_the_bus_with_their_kind() {
        let e = ControlError::NotFound("run 7 not found".into());
        let Reply::Error { kind, message } = Reply::error(&e) else {
            panic!("not an error reply");
        };
        assert!(matches!(
            Reply::into_error(&kind, message),
            ControlError::NotFound(m) if m == "run 7 not found"
        ));
        assert!(matches!(
            Reply::into_error("something new", "x".into()),
            ControlError::Unavailable(_)
        ));
    }

    #[test]
    fn control_messages_round_trip() {
        let message = ControlMessage::Command {
            reply_to: "r".into(),
            command: Command::Mark {
                tenant: "default".into(),
                run: 3,
                task_id: "t".into(),
                state: TaskState::Success,
            },
        };
        let json = serde_json::to_string(&message).unwrap_or_default();
        let back: Result<ControlMessage, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(message));
    }
}
