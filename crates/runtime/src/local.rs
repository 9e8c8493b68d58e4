//! An in-process [`TaskHost`] for running DAGs on one machine without a store
//! (`wfctl run` and `wfctl test`): XCom values and variables held in memory.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Instant;

use crate::call::{HostError, TaskContext, TaskHost};

/// A task id and, for keyed values, the key.
type XcomKey = (String, Option<String>);

/// XCom values and variables kept in memory for one local run.
#[derive(Debug, Default)]
pub struct MemoryHost {
    xcom: RwLock<HashMap<XcomKey, Vec<u8>>>,
    variables: HashMap<String, String>,
}

impl MemoryHost {
    /// A host with the given variables and no XCom values.
    pub fn with_variables(variables: HashMap<String, String>) -> MemoryHost {
        MemoryHost {
            xcom: RwLock::default(),
            variables,
        }
    }

    /// Record a value of task `task_id`: its output when `key` is none, else a keyed value.
    pub fn put_xcom(&self, task_id: &str, key: Option<&str>, value: Vec<u8>) {
        self.xcom
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((task_id.to_owned(), key.map(str::to_owned)), value);
    }

    /// A value recorded with [`put_xcom`](Self::put_xcom).
    pub fn get_xcom(&self, task_id: &str, key: Option<&str>) -> Option<Vec<u8>> {
        self.xcom
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&(task_id.to_owned(), key.map(str::to_owned)))
            .cloned()
    }
}

impl TaskHost for MemoryHost {
    fn xcom_pull(
        &self,
        task_id: &str,
        key: Option<&str>,
        _deadline: Instant,
    ) -> Result<Option<Vec<u8>>, HostError> {
        Ok(self.get_xcom(task_id, key))
    }

    fn variable(&self, key: &str, _deadline: Instant) -> Result<Option<String>, HostError> {
        Ok(self.variables.get(key).cloned())
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
        }
    }
}

/// The current UTC time in RFC 3339, to the second.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn memory_host_keeps_outputs_and_keyed_values_apart() {
        let host = MemoryHost::with_variables(HashMap::from([("k".to_owned(), "v".to_owned())]));
        host.put_xcom("t1", None, b"out".to_vec());
        host.put_xcom("t1", Some("extra"), b"kv".to_vec());
        let far = Instant::now() + std::time::Duration::from_secs(1);
        assert_eq!(host.xcom_pull("t1", None, far), Ok(Some(b"out".to_vec())));
        assert_eq!(
            host.xcom_pull("t1", Some("extra"), far),
            Ok(Some(b"kv".to_vec()))
        );
        assert_eq!(host.xcom_pull("t2", None, far), Ok(None));
        assert_eq!(host.variable("k", far), Ok(Some("v".to_owned())));
        assert_eq!(host.variable("missing", far), Ok(None));
    }
}
