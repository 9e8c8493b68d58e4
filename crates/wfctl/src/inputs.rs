//! Flags shared by `wfctl run` and `wfctl test`: run conf, variables, XCom values, limits.

use std::collections::HashMap;

use clap::Args;
use weft_model::units::{parse_duration, parse_size};
use weft_runtime::Limits;

use crate::exit::Failure;

/// What a local run is given.
#[derive(Debug, Clone, Args)]
pub struct RunInputs {
    /// The run's configuration: a JSON object, as `dag_run.conf` in Airflow.
    #[arg(long, value_name = "JSON")]
    pub conf: Option<String>,
    /// A variable the tasks can read; repeat for more.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
}

impl RunInputs {
    /// The conf as a compact JSON object (`{}` when none was given).
    pub fn conf_json(&self) -> Result<String, Failure> {
        let Some(text) = &self.conf else {
            return Ok("{}".to_owned());
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Failure::usage(format!("invalid --conf: not JSON: {e}")))?;
        if !value.is_object() {
            return Err(Failure::usage(
                "invalid --conf: must be a JSON object, like {\"key\": \"value\"}",
            ));
        }
        Ok(value.to_string())
    }

    /// The variables given with `--var`.
    pub fn variables(&self) -> Result<HashMap<String, String>, Failure> {
        self.vars
            .iter()
            .map(|pair| {
                let (key, value) = pair.split_once('=').ok_or_else(|| {
                    Failure::usage(format!("invalid --var {pair:?}: expected KEY=VALUE"))
                })?;
                if key.is_empty() {
                    return Err(Failure::usage(format!(
                        "invalid --var {pair:?}: the key is empty"
                    )));
                }
                Ok((key.to_owned(), value.to_owned()))
            })
            .collect()
    }
}

/// Limits of each task attempt; unset ones come from the task's settings or the defaults.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Wall-clock limit per attempt, e.g. `30s`, `5m` (default: the task's execution timeout, else 1h).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Memory limit per attempt, e.g. `256MiB` (default: what the task asks for, else 256MiB).
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// CPU budget per attempt in fuel units, about one per WebAssembly instruction (default: the task's own, else none).
    #[arg(long, value_name = "UNITS")]
    pub fuel: Option<u64>,
    /// Largest output a task may return, e.g. `4MiB`.
    #[arg(long, value_name = "SIZE")]
    pub max_output: Option<String>,
    /// Most log bytes kept per attempt, e.g. `4MiB`.
    #[arg(long, value_name = "SIZE")]
    pub max_log: Option<String>,
}

impl LimitArgs {
    /// The limits for `task`: flags first, then the task's settings, then the defaults.
    pub fn for_task(&self, task: &weft_model::Task) -> Result<Limits, Failure> {
        let mut limits = Limits::default().for_task(task);
        if let Some(text) = &self.timeout {
            limits.timeout = parse_duration(text)
                .map_err(|e| Failure::usage(format!("invalid --timeout: {e}")))?;
        }
        if let Some(text) = &self.memory {
            limits.memory_bytes =
                parse_size(text).map_err(|e| Failure::usage(format!("invalid --memory: {e}")))?;
        }
        if let Some(fuel) = self.fuel {
            limits.fuel = Some(fuel);
        }
        if let Some(text) = &self.max_output {
            limits.output_bytes = size_usize(text, "--max-output")?;
        }
        if let Some(text) = &self.max_log {
            limits.log_bytes = size_usize(text, "--max-log")?;
        }
        Ok(limits)
    }
}

fn size_usize(text: &str, flag: &str) -> Result<usize, Failure> {
    let bytes = parse_size(text).map_err(|e| Failure::usage(format!("invalid {flag}: {e}")))?;
    usize::try_from(bytes)
        .map_err(|_| Failure::usage(format!("invalid {flag}: {text} is too large")))
}

/// An XCom value given on the command line: `TASK=JSON` for a task's output, or
/// `TASK/KEY=JSON` for a keyed value.
#[derive(Debug, Clone, PartialEq)]
pub struct XcomArg {
    /// The task that produced it.
    pub task_id: String,
    /// The key, or none for the task's output.
    pub key: Option<String>,
    /// The value, compact JSON bytes.
    pub value: Vec<u8>,
}

impl std::str::FromStr for XcomArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (target, json) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: expected TASK=JSON or TASK/KEY=JSON"))?;
        let (task_id, key) = match target.split_once('/') {
            Some((task, key)) => (task, Some(key.to_owned())),
            None => (target, None),
        };
        if task_id.is_empty() || key.as_deref() == Some("") {
            return Err(format!("{text:?}: the task id and key must not be empty"));
        }
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| format!("{text:?}: the value is not JSON: {e}"))?;
        Ok(XcomArg {
            task_id: task_id.to_owned(),
            key,
            value: value.to_string().into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xcom_args_parse_outputs_and_keyed_values() {
        let out: XcomArg = "t1={\"a\": 1}".parse().expect("valid");
        assert_eq!(
            out,
            XcomArg {
                task_id: "t1".into(),
                key: None,
                value: b"{\"a\":1}".to_vec()
            }
        );
        let keyed: XcomArg = "t3/length=5".parse().expect("valid");
        assert_eq!(keyed.key.as_deref(), Some("length"));
        for bad in ["t1", "=1", "t1/=1", "t1={oops"] {
            assert!(bad.parse::<XcomArg>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn conf_must_be_a_json_object() {
        let inputs = |conf: &str| RunInputs {
            conf: Some(conf.into()),
            vars: vec![],
        };
        assert_eq!(
            inputs("{\"a\": 1}").conf_json().ok().as_deref(),
            Some("{\"a\":1}")
        );
        assert!(inputs("[1]").conf_json().is_err());
        assert!(inputs("{").conf_json().is_err());
        assert_eq!(
            RunInputs {
                conf: None,
                vars: vec![]
            }
            .conf_json()
            .ok()
            .as_deref(),
            Some("{}")
        );
    }

    #[test]
    fn vars_need_a_key() {
        let vars = |v: &str| {
            RunInputs {
                conf: None,
                vars: vec![v.into()],
            }
            .variables()
        };
        assert_eq!(
            vars("a=b=c")
                .ok()
                .and_then(|m| m.get("a").cloned())
                .as_deref(),
            Some("b=c")
        );
        assert!(vars("novalue").is_err());
        assert!(vars("=x").is_err());
    }
}
