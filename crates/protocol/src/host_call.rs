//! What a task's host imports ask of the control plane, as one request type and one answer
//! type: [`HostCall`] and [`HostAnswer`], one variant each per capability.
//!
//! A worker sends every call of a running attempt the same way — in process to the store
//! (embedded mode), or as one `POST` of the worker API ([`worker_api::calls_path`]) — and
//! one function serves them all on both sides. A capability that needs the control plane
//! adds its request type and one line to [`host_calls!`]; nothing else in the path between
//! the sandbox and the store names it.
//!
//! ```
//! use weft_protocol::host_call::{Call, HostAnswer, HostCall, VariableRead};
//!
//! let call: HostCall = VariableRead { key: "region".into() }.into();
//! let json = serde_json::to_string(&call)?;
//! assert_eq!(json, r#"{"call":"variable","request":{"key":"region"}}"#);
//! let answer = HostAnswer::Variable(Some("eu".into()));
//! assert_eq!(VariableRead::answer(answer), Some(Some("eu".to_owned())));
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! [`worker_api::calls_path`]: crate::worker_api::calls_path

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::access::{AttemptRef, Connection, SecretValue};
use crate::ids::RunPk;
use crate::trigger::{TriggerAnswer, TriggerRun};

/// The attempt a host call is made for, as whoever serves the call knows it: its tenant and
/// run come from the attempt's record (the API server reads them) or its task message (a
/// worker in the same process), never from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The tenant its run belongs to.
    pub tenant: &'a str,
    /// Its run.
    pub run: RunPk,
    /// Its task instance and lease.
    pub attempt: AttemptRef,
}

/// A request of one capability: what it asks, and the answer it gets.
pub trait Call: Into<HostCall> {
    /// What the control plane answers.
    type Answer;

    /// The answer to this call out of `answer`; none when `answer` answers another call.
    fn answer(answer: HostAnswer) -> Option<Self::Answer>;
}

/// Declares the calls: for each, its variant, its name as it travels (a string literal,
/// taken as a token tree so that every derive sees it as one), its request type and its
/// answer type. Generates
/// [`HostCall`], [`HostAnswer`], their conversions and [`Call`] for each request type.
macro_rules! host_calls {
    ($( $(#[$doc:meta])* $variant:ident = $name:tt ($request:ty) -> $answer:ty; )*) => {
        /// A request a task's host import makes of the control plane, for the attempt that
        /// sends it.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(tag = "call", content = "request")]
        pub enum HostCall {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($request), )*
        }

        /// The control plane's answer to a [`HostCall`], of the same variant.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "call", content = "answer")]
        pub enum HostAnswer {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($answer), )*
        }

        impl HostCall {
            /// The call's name, as it travels (`"variable"`, `"trigger_run"`...).
            pub fn name(&self) -> &'static str {
                match self {
                    $( HostCall::$variant(_) => $name, )*
                }
            }
        }

        $(
            impl From<$request> for HostCall {
                fn from(request: $request) -> HostCall {
                    HostCall::$variant(request)
                }
            }

            impl Call for $request {
                type Answer = $answer;

                fn answer(answer: HostAnswer) -> Option<$answer> {
                    match answer {
                        HostAnswer::$variant(answer) => Some(answer),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*
    };
}

host_calls! {
    /// An XCom value of a task in the attempt's run (`xcom.pull`): none when not pushed.
    Xcom = "xcom" (XcomPull) -> Option<Bytes>;
    /// A variable of the attempt's tenant (`variables.get`): none when not set.
    Variable = "variable" (VariableRead) -> Option<String>;
    /// A connection the attempt's task declares (`connections.get`): none when not stored.
    Connection = "connection" (ConnectionRead) -> Option<Connection>;
    /// The value of a secret the attempt's task declares (`secrets.get`): none when not
    /// stored. (Its `Debug` hides the value.)
    Secret = "secret" (SecretRead) -> Option<SecretValue>;
    /// A run of another DAG of the attempt's tenant (`dag-runs.trigger`).
    TriggerRun = "trigger_run" (TriggerRun) -> TriggerAnswer;
    /// The task instances of the attempt's run (`run-state.task-states`).
    TaskStates = "task_states" (TaskStatesRead) -> Vec<TaskStatus>;
}

/// The task instances of the attempt's run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaskStatesRead {}

/// One task instance of a run, as a task of the same run reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskStatus {
    /// The task.
    pub task_id: String,
    /// For an instance of a mapped task: its map index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_index: Option<u32>,
    /// Its state.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: weft_model::TaskState,
    /// Its current (or last) attempt; 0 before the first.
    pub try_number: u32,
    /// Class of its last failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<String>,
    /// Message of its last failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An XCom value of task `task_id` under `key` (`return_value` for its output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct XcomPull {
    /// The task that pushed it, in the attempt's run.
    pub task_id: String,
    /// Its key.
    pub key: String,
}

/// Variable `key` of the attempt's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariableRead {
    /// The variable's key.
    pub key: String,
}

/// Connection `conn_id`, which the attempt's task must declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionRead {
    /// The connection's id.
    pub conn_id: String,
}

/// Secret `name`, which the attempt's task must declare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretRead {
    /// The secret's name.
    pub name: String,
}

/// Bytes, as base64 text in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_named_as_it_travels() {
        let calls: Vec<HostCall> = vec![
            XcomPull {
                task_id: "t".into(),
                key: "k".into(),
            }
            .into(),
            VariableRead { key: "k".into() }.into(),
            ConnectionRead {
                conn_id: "c".into(),
            }
            .into(),
            SecretRead { name: "s".into() }.into(),
            TriggerRun {
                dag_id: "d".into(),
                conf: None,
                logical_date: None,
                run_id: None,
                call: 0,
            }
            .into(),
        ];
        for call in calls {
            let json = serde_json::to_value(&call).expect("encodes");
            assert_eq!(json["call"], call.name(), "{json}");
            let back: HostCall = serde_json::from_value(json).expect("decodes");
            assert_eq!(back, call);
        }
    }

    #[test]
    fn bytes_travel_as_base64_and_bad_text_is_named() {
        let answer = HostAnswer::Xcom(Some(Bytes(vec![0, 159, 255])));
        let json = serde_json::to_string(&answer).expect("encodes");
        assert_eq!(json, r#"{"call":"xcom","answer":"AJ//"}"#);
        assert_eq!(serde_json::from_str::<HostAnswer>(&json).ok(), Some(answer));
        let bad = serde_json::from_str::<HostAnswer>(r#"{"call":"xcom","answer":"%%"}"#)
            .expect_err("not base64");
        assert!(bad.to_string().contains("not base64"), "{bad}");
    }

    #[test]
    fn an_answer_to_another_call_is_not_taken() {
        let answer = HostAnswer::Secret(Some(SecretValue {
            name: "s".into(),
            value: "hunter2".into(),
        }));
        assert!(!format!("{answer:?}").contains("hunter2"), "{answer:?}");
        assert_eq!(VariableRead::answer(answer), None);
    }
}
