//! Connections and secrets from environment variables, as Airflow reads them:
//! `WEFT_CONN_<ID>` and `AIRFLOW_CONN_<ID>` hold a connection in URI form
//! (`postgres://user:p%40ss@host:5432/db`) or JSON form (`{"conn_type": ...}`), and
//! `WEFT_SECRET_<NAME>` a secret's value. Ids and names are lowercased (`AIRFLOW_CONN_MY_DB`
//! is connection `my_db`), as Airflow does; `WEFT_CONN_` wins over `AIRFLOW_CONN_` for the
//! same id. `WEFT_SECRET_KEY`, `WEFT_SECRET_KEY_FILE` and `WEFT_SECRET_KEY_PREVIOUS` are the
//! sealing keys, not secrets. Used by local runs (`wfctl run`, `wfctl test`) and
//! `wfctl connections import-env`.

use std::collections::BTreeMap;

use weft_protocol::Connection;
use weft_vault::{ENV_KEY, ENV_KEY_FILE, ENV_KEY_PREVIOUS};

use crate::exit::Failure;

/// Prefixes of connection variables, the winning one first.
const CONN_PREFIXES: [&str; 2] = ["WEFT_CONN_", "AIRFLOW_CONN_"];
/// Prefix of secret variables.
const SECRET_PREFIX: &str = "WEFT_SECRET_";

/// Connection `conn_id` in its URI or JSON form; `variable` names where it came from.
pub fn parse_connection(conn_id: &str, text: &str, variable: &str) -> Result<Connection, Failure> {
    let parsed = if text.trim_start().starts_with('{') {
        weft_protocol::connection_from_json(conn_id, text)
    } else {
        weft_protocol::connection_from_uri(conn_id, text)
    };
    parsed.map_err(|e| Failure::usage(format!("{variable}: {e}")))
}

/// The connections in `vars`, by id, each with the variable it came from.
pub fn connections(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(Connection, String)>, Failure> {
    let mut found: BTreeMap<String, (usize, String, String)> = BTreeMap::new();
    for (name, value) in vars {
        for (rank, prefix) in CONN_PREFIXES.iter().enumerate() {
            let Some(id) = name.strip_prefix(prefix).filter(|id| !id.is_empty()) else {
                continue;
            };
            let id = id.to_ascii_lowercase();
            let wins = found.get(&id).is_none_or(|(r, _, _)| rank < *r);
            if wins {
                found.insert(id, (rank, name.clone(), value.clone()));
            }
        }
    }
    found
        .into_iter()
        .map(|(id, (_, variable, value))| {
            parse_connection(&id, &value, &variable).map(|c| (c, variable))
        })
        .collect()
}

/// The secrets in `vars`, by name.
pub fn secrets(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in vars {
        if [ENV_KEY, ENV_KEY_FILE, ENV_KEY_PREVIOUS].contains(&name.as_str()) {
            continue;
        }
        if let Some(secret) = name.strip_prefix(SECRET_PREFIX).filter(|s| !s.is_empty()) {
            found.insert(secret.to_ascii_lowercase(), value);
        }
    }
    found.into_iter().collect()
}

/// This process's environment, UTF-8 variables only.
pub fn environment() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

/// A local run's host: `variables`, plus the connections and secrets of the environment.
pub fn memory_host(
    variables: std::collections::HashMap<String, String>,
) -> Result<weft_runtime::MemoryHost, Failure> {
    let connections = connections(environment())?.into_iter().map(|(c, _)| c);
    Ok(weft_runtime::MemoryHost::with_variables(variables)
        .with_access(connections, secrets(environment())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn connections_come_from_both_prefixes_weft_first() {
        let found = connections(vars(&[
            ("AIRFLOW_CONN_MY_DB", "postgres://a:b@old/db"),
            ("WEFT_CONN_MY_DB", "postgres://a:b@new/db"),
            (
                "AIRFLOW_CONN_API",
                r#"{"conn_type": "http", "host": "api", "password": "p"}"#,
            ),
            ("PATH", "/bin"),
            ("WEFT_CONN_", "ignored"),
        ]))
        .map_err(|e| format!("{e:?}"))
        .expect("parsed");
        let ids: Vec<_> = found
            .iter()
            .map(|(c, v)| (c.conn_id.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            ids,
            [("api", "AIRFLOW_CONN_API"), ("my_db", "WEFT_CONN_MY_DB")]
        );
        assert_eq!(found[1].0.host.as_deref(), Some("new"));
        assert_eq!(found[0].0.password.as_deref(), Some("p"));
    }

    #[test]
    fn a_bad_connection_names_its_variable() {
        let Err(Failure::Usage(message)) = connections(vars(&[("WEFT_CONN_X", "no scheme")]))
        else {
            panic!("expected a usage failure");
        };
        assert!(
            message.starts_with("WEFT_CONN_X: connection x:"),
            "{message}"
        );
    }

    #[test]
    fn secrets_skip_the_sealing_keys() {
        let found = secrets(vars(&[
            ("WEFT_SECRET_API_TOKEN", "t"),
            ("WEFT_SECRET_KEY", "k"),
            ("WEFT_SECRET_KEY_FILE", "/f"),
            ("WEFT_SECRET_KEY_PREVIOUS", "p"),
        ]));
        assert_eq!(found, [("api_token".to_owned(), "t".to_owned())]);
    }
}
