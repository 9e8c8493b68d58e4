//! An in-process [`TaskHost`] for running DAGs on one machine without a store
//! (`wfctl run` and `wfctl test`): XCom values, variables, connections and secrets held in
//! memory.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use weft_protocol::host_call::Bytes;
use weft_protocol::{Connection, HostAnswer, HostCall, RETURN_VALUE, SecretValue};

use crate::call::{HostError, TaskContext, TaskHost, TaskRequest, WorkerInfo};
use crate::config::Limits;

/// A task id and the key (`return_value` for its output).
type XcomKey = (String, String);

/// XCom values, variables, connections and secrets kept in memory for one local run.
#[derive(Default)]
pub struct MemoryHost {
    xcom: RwLock<HashMap<XcomKey, Vec<u8>>>,
    variables: HashMap<String, String>,
    connections: HashMap<String, Connection>,
    secrets: HashMap<String, String>,
}

impl std::fmt::Debug for MemoryHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryHost")
            .field("variables", &self.variables.len())
            .field("connections", &self.connections.keys())
            .field("secrets", &self.secrets.keys())
            .finish_non_exhaustive()
    }
}

impl MemoryHost {
    /// A host with the given variables and no XCom values.
    pub fn with_variables(variables: HashMap<String, String>) -> MemoryHost {
        MemoryHost {
            variables,
            ..MemoryHost::default()
        }
    }

    /// The same host, with these connections (by id) and secrets (by name).
    #[must_use]
    pub fn with_access(
        mut self,
        connections: impl IntoIterator<Item = Connection>,
        secrets: impl IntoIterator<Item = (String, String)>,
    ) -> MemoryHost {
        self.connections = connections
            .into_iter()
            .map(|c| (c.conn_id.clone(), c))
            .collect();
        self.secrets = secrets.into_iter().collect();
        self
    }

    /// Record a value of task `task_id`: its output when `key` is none, else a keyed value.
    pub fn put_xcom(&self, task_id: &str, key: Option<&str>, value: Vec<u8>) {
        self.xcom
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(xcom_key(task_id, key), value);
    }

    /// A value recorded with [`put_xcom`](Self::put_xcom).
    pub fn get_xcom(&self, task_id: &str, key: Option<&str>) -> Option<Vec<u8>> {
        self.xcom
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&xcom_key(task_id, key))
            .cloned()
    }
}

/// Where a value of task `task_id` under `key` (its output when none) is kept.
fn xcom_key(task_id: &str, key: Option<&str>) -> XcomKey {
    (task_id.to_owned(), key.unwrap_or(RETURN_VALUE).to_owned())
}

impl TaskHost for MemoryHost {
    fn call(&self, call: HostCall, _deadline: Instant) -> Result<HostAnswer, HostError> {
        Ok(match call {
            HostCall::Xcom(pull) => {
                HostAnswer::Xcom(self.get_xcom(&pull.task_id, Some(&pull.key)).map(Bytes))
            }
            HostCall::Variable(read) => {
                HostAnswer::Variable(self.variables.get(&read.key).cloned())
            }
            HostCall::Connection(read) => {
                HostAnswer::Connection(self.connections.get(&read.conn_id).cloned())
            }
            HostCall::Secret(read) => {
                let value = self.secrets.get(&read.name).cloned();
                HostAnswer::Secret(value.map(|value| SecretValue {
                    name: read.name,
                    value,
                }))
            }
            HostCall::TriggerRun(request) => {
                return Err(HostError::Unavailable(format!(
                    "triggering DAG {:?} needs a scheduler: a local run has none (run the DAGs \
                     under `wfctl standalone`)",
                    request.dag_id
                )));
            }
            // What a run's records answer (its other tasks' states...) needs a store.
            #[allow(unreachable_patterns)]
            other => {
                return Err(HostError::Unavailable(format!(
                    "`{}` needs a control plane: a local run has none (run the DAG under \
                     `wfctl standalone`)",
                    other.name()
                )));
            }
        })
    }
}

impl TaskContext {
    /// A context for a local, manual run of one task: run id `manual__local`, logical date
    /// and data interval at the current time, empty conf.
    pub fn local(dag_id: &str, task_id: &str, try_number: u32, max_tries: u32) -> TaskContext {
        let now = now_rfc3339();
        TaskContext {
            dag_id: dag_id.to_owned(),
            task_id: task_id.to_owned(),
            run_id: "manual__local".to_owned(),
            logical_date: now.clone(),
            data_interval_start: now.clone(),
            data_interval_end: now,
            try_number,
            max_tries,
            conf: "{}".to_owned(),
            event: None,
            map_index: None,
            map_item: None,
        }
    }
}

impl TaskRequest {
    /// An attempt of `context` on this machine: no upstream outputs, worker `local` on
    /// `localhost` serving `default`, the default limits and an empty [`MemoryHost`].
    /// Change any field to suit.
    pub fn local(context: TaskContext) -> TaskRequest {
        TaskRequest {
            context,
            upstream: Vec::new(),
            worker: WorkerInfo {
                worker_id: "local".to_owned(),
                hostname: "localhost".to_owned(),
                queue: "default".to_owned(),
            },
            limits: Limits::default(),
            tenant_egress: None,
            host: Arc::new(MemoryHost::default()),
        }
    }
}

/// The current UTC time in RFC 3339, to the second.
fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

#[cfg(test)]
mod tests {
    use weft_protocol::host_call::{VariableRead, XcomPull};

    use super::*;

    #[test]
    fn local_contexts_are_dated_now_to_the_second() {
        let ctx = TaskContext::local("d", "t", 1, 2);
        assert!(
            ctx.logical_date.ends_with('Z') && !ctx.logical_date.contains('.'),
            "{}",
            ctx.logical_date
        );
        assert_eq!(ctx.logical_date, ctx.data_interval_start);
        assert_eq!(
            (ctx.try_number, ctx.max_tries, ctx.conf.as_str()),
            (1, 2, "{}")
        );
    }

    #[test]
    fn memory_host_keeps_outputs_and_keyed_values_apart() {
        let host = MemoryHost::with_variables(HashMap::from([("k".to_owned(), "v".to_owned())]));
        host.put_xcom("t1", None, b"out".to_vec());
        host.put_xcom("t1", Some("extra"), b"kv".to_vec());
        let host: Arc<dyn TaskHost> = Arc::new(host);
        let far = Instant::now() + std::time::Duration::from_secs(1);
        let pull = |task_id: &str, key: &str| {
            let pull = XcomPull {
                task_id: task_id.into(),
                key: key.into(),
            };
            host.ask(pull, far).map(|value| value.map(|bytes| bytes.0))
        };
        assert_eq!(pull("t1", RETURN_VALUE), Ok(Some(b"out".to_vec())));
        assert_eq!(pull("t1", "extra"), Ok(Some(b"kv".to_vec())));
        assert_eq!(pull("t2", RETURN_VALUE), Ok(None));
        let variable = |key: &str| host.ask(VariableRead { key: key.into() }, far);
        assert_eq!(variable("k"), Ok(Some("v".to_owned())));
        assert_eq!(variable("missing"), Ok(None));
    }
}
