//! `weft:dag/xcom`: values passed between the tasks of a run.

use weft_protocol::RETURN_VALUE;
use weft_protocol::host_call::XcomPull;

use crate::call::{HostError, XcomPush};
use crate::sandbox::HostState;

/// Longest XCom key.
const MAX_KEY_LEN: usize = 250;
/// Most keys one attempt may push.
const MAX_KEYS: usize = 1000;

/// Whether `key` is a valid XCom key; the reason when it is not.
fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("key is empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "key is {} bytes long; the limit is {MAX_KEY_LEN}",
            key.len()
        ));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.".contains(*c)))
    {
        return Err(format!(
            "key {key:?} contains {bad:?}; use letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

/// Why an XCom call failed, whatever the world version (WIT `xcom-error`).
enum XcomError {
    NotUpstream(String),
    InvalidKey(String),
    TooLarge(u64),
    Unavailable(String),
}

impl HostState {
    fn xcom_push(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), XcomError>> {
        self.check_deadline()?;
        let limit = self.limits.xcom_bytes;
        let attempt = self.attempt("xcom.push")?;
        if let Err(why) = check_key(&key) {
            return Ok(Err(XcomError::InvalidKey(why)));
        }
        // The limit holds for each value and for all of an attempt's values together.
        let replaced = attempt.pushes.iter().position(|p| p.key == key);
        let freed = replaced.map_or(0, |i| attempt.pushes[i].value.len());
        let total = attempt.pushed_bytes - freed + value.len();
        if value.len() > limit
            || total > limit
            || (replaced.is_none() && attempt.pushes.len() >= MAX_KEYS)
        {
            return Ok(Err(XcomError::TooLarge(limit as u64)));
        }
        attempt.pushed_bytes = total;
        match replaced {
            Some(i) => attempt.pushes[i].value = value,
            None => attempt.pushes.push(XcomPush { key, value }),
        }
        Ok(Ok(()))
    }

    fn xcom_pull(
        &mut self,
        task_id: String,
        key: Option<String>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, XcomError>> {
        self.check_deadline()?;
        let deadline = self.deadline;
        let attempt = self.attempt("xcom.pull")?;
        if let Some(key) = &key
            && let Err(why) = check_key(key)
        {
            return Ok(Err(XcomError::InvalidKey(why)));
        }
        if !attempt.dag.is_ancestor(&task_id, &attempt.context.task_id) {
            return Ok(Err(XcomError::NotUpstream(format!(
                "task {task_id:?} is not upstream of {:?} in DAG {:?}",
                attempt.context.task_id, attempt.context.dag_id
            ))));
        }
        let pull = XcomPull {
            task_id,
            key: key.unwrap_or_else(|| RETURN_VALUE.to_owned()),
        };
        match attempt.host.ask(pull, deadline) {
            Ok(value) => Ok(Ok(value.map(|bytes| bytes.0))),
            Err(HostError::Timeout) => Err(wasmtime::Error::new(crate::error::HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => Ok(Err(XcomError::Unavailable(why))),
        }
    }
}

macro_rules! xcom_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::xcom::Host for HostState {
            #[tracing::instrument(level = "debug", skip(self, value), fields(bytes = value.len()))]
            fn push(
                &mut self,
                key: String,
                value: Vec<u8>,
            ) -> wasmtime::Result<Result<(), crate::bindings::$v::types::XcomError>> {
                Ok(self.xcom_push(key, value)?.map_err(|e| xcom_host!(@error $v, e)))
            }

            #[tracing::instrument(level = "debug", skip(self))]
            fn pull(
                &mut self,
                task_id: String,
                key: Option<String>,
            ) -> wasmtime::Result<Result<Option<Vec<u8>>, crate::bindings::$v::types::XcomError>>
            {
                Ok(self.xcom_pull(task_id, key)?.map_err(|e| xcom_host!(@error $v, e)))
            }
        }
    };
    (@error $v:ident, $e:expr) => {{
        use crate::bindings::$v::types::XcomError as W;
        match $e {
            XcomError::NotUpstream(why) => W::NotUpstream(why),
            XcomError::InvalidKey(why) => W::InvalidKey(why),
            XcomError::TooLarge(limit) => W::TooLarge(limit),
            XcomError::Unavailable(why) => W::Unavailable(why),
        }
    }};
}

crate::bindings::worlds_from!(v0_1, xcom_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_1, xcom);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn keys_are_checked() {
        assert!(check_key("return_value").is_ok());
        assert!(check_key("a.b-c_1").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(251)).is_err());
    }
}
