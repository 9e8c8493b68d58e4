//! Every message that crosses a process boundary in Weft, in one place.
//!
//! Workers, schedulers, API servers and `wfctl` run on different machines and may run
//! different builds of Weft for a while (a rolling upgrade). What they say to each other is
//! defined here and nowhere else, as types with a pinned JSON form (the golden tests in
//! `tests/golden.rs` fail when a field is renamed), separate from the store's rows: renaming
//! a database column never changes what travels between machines. The task instance is the
//! one shape both share: its fields are declared once, in [`task_instance`], and a run just
//! created travels as its records (a column the store adds is left out of the JSON while
//! empty, so the messages stay as they are).
//!
//! Every message sent on its own — a task message on a queue, a batch of reports or a
//! control message on the bus — travels in an [`Envelope`] that carries
//! [`PROTOCOL_VERSION`]; the worker API carries it in the [`worker_api::VERSION_HEADER`]
//! header. A receiver that meets another version says so by name ([`ProtocolError::Version`])
//! instead of failing on whatever field happened to change.
//!
//! ```
//! use weft_protocol::{Envelope, Report, AttemptHeartbeat};
//!
//! let beat = Report::Heartbeat(AttemptHeartbeat {
//!     ti: 7,
//!     lease: 3,
//!     key: None,
//!     lease_expires_at: "2026-01-01T00:00:30Z".parse()?,
//! });
//! let bytes = Envelope::encode(&vec![beat.clone()])?;
//! let back: Vec<Report> = Envelope::decode(&bytes)?;
//! assert_eq!(back, vec![beat]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate depends on the model, serde, jiff, base64 and url only, so that any process can
//! link it.
//!
//! # Layout
//! - [`envelope`]: the version every message carries, [`Envelope`] and [`ProtocolError`];
//! - [`ids`]: the keys messages name runs and task instances by;
//! - [`task`]: [`TaskMessage`], one attempt as put on a queue;
//! - [`report`]: what a worker tells the scheduler ([`Report`]);
//! - [`control`]: notices, commands and replies between API servers and the scheduler;
//! - [`host_call`]: what a task's host imports ask of the control plane ([`HostCall`]);
//! - [`worker_api`]: paths and bodies of the API server's worker API;
//! - [`access`]: connections and secrets as an attempt receives them;
//! - [`connection_form`]: Airflow's URI and JSON forms of a connection, read into a
//!   [`Connection`] (`AIRFLOW_CONN_<ID>`, `wfctl connections import-env`, the API's `uri`);
//! - [`attempt_key`]: the key that proves a worker was handed an attempt;
//! - [`task_instance`]: the task instance's fields, declared once, its record and its API
//!   view;
//! - [`log`]: an attempt's log, its stored JSON-lines form and its text form.
//! - [`api`]: the JSON bodies of the user API (`/api/v1`), shared by the server and its clients.

pub mod access;
pub mod api;
pub mod attempt_key;
pub mod connection_form;
pub mod control;
pub mod envelope;
pub mod host_call;
pub mod ids;
pub mod log;
pub mod report;
pub mod shown;
pub mod task;
pub mod task_instance;
pub mod trigger;
pub mod worker_api;

pub use access::{AttemptRef, Connection, SecretValue};
pub use attempt_key::{ATTEMPT_KEY_BYTES, AttemptKey, BadAttemptKey};
pub use connection_form::{ConnectionFormError, connection_from_json, connection_from_uri};
pub use control::{
    CARRIED_ID_RANGES, CARRIED_TASKS, Command, ControlMessage, IdRange, Notice, Reply, ReplyError,
    RunCreated, RunCreatedFromDag,
};
pub use envelope::{Envelope, PROTOCOL_VERSION, ProtocolError};
pub use host_call::{Call, HostAnswer, HostCall};
pub use ids::{DEFAULT_TENANT, RETURN_VALUE, RunPk, TiPk};
pub use log::{LogLevel, LogLine, LogSource, StoredLine, TaskLog};
pub use report::{AttemptHeartbeat, AttemptOutcome, AttemptResult, AttemptStarted, Report};
pub use shown::{ConnectionInfo, SecretInfo};
pub use task::TaskMessage;
pub use task_instance::{TaskInstance, TaskInstanceView};
pub use trigger::{TriggerAnswer, TriggerRefusal, TriggerRun, TriggeredRun, triggered_run_id};
