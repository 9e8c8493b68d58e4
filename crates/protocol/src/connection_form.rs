//! Airflow's two ways of writing a connection, read into a [`Connection`]: the URI form
//! (`postgres://user:p%40ss@host:5432/db?sslmode=require`, as in `AIRFLOW_CONN_<ID>`) and
//! the JSON form (`{"conn_type": "postgres", "host": ..., "extra": {...}}`).
//!
//! The URI form reads as Airflow reads it: the scheme is the type (`postgresql` is
//! `postgres`, `-` becomes `_`), user name, password, host and path are percent-decoded,
//! the path without its leading `/` is the schema, and the query is `extra`, every value a
//! string — unless its only parameter is `__extra__`, whose value is the extra JSON itself.
//! A login and password with no host (`aws://AKIA...:secret@?region_name=eu-west-1`) are
//! accepted. Errors never quote the URI: it holds a password.

use crate::access::Connection;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use url::Url;

/// Why a connection's URI or JSON form cannot be read. No message holds the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionFormError {
    /// The URI has no `scheme://` (the connection's type).
    #[error(
        "connection {conn_id}: the URI has no scheme; write TYPE://[LOGIN[:PASSWORD]@]HOST[:PORT][/SCHEMA][?EXTRA]"
    )]
    NoScheme {
        /// The connection.
        conn_id: String,
    },
    /// The URI does not parse.
    #[error("connection {conn_id}: not a valid URI: {source}")]
    Uri {
        /// The connection.
        conn_id: String,
        /// What the parser said.
        #[source]
        source: url::ParseError,
    },
    /// A part is not UTF-8 once percent-decoded.
    #[error("connection {conn_id}: its {part} is not UTF-8 once percent-decoded")]
    NotUtf8 {
        /// The connection.
        conn_id: String,
        /// Which part.
        part: &'static str,
    },
    /// `__extra__` is not a JSON object.
    #[error("connection {conn_id}: extra must be a JSON object: {reason}")]
    Extra {
        /// The connection.
        conn_id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The JSON form does not read.
    #[error("connection {conn_id}: not a connection's JSON form: {reason}")]
    Json {
        /// The connection.
        conn_id: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Connection `conn_id` written as a URI in Airflow's form.
pub fn connection_from_uri(conn_id: &str, uri: &str) -> Result<Connection, ConnectionFormError> {
    let uri = uri.trim();
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err(ConnectionFormError::NoScheme {
            conn_id: conn_id.to_owned(),
        });
    };
    if scheme.is_empty() {
        return Err(ConnectionFormError::NoScheme {
            conn_id: conn_id.to_owned(),
        });
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // WHATWG URLs refuse credentials without a host; Airflow does not. Parse such a URI with
    // a stand-in host, dropped again below.
    let hostless = host_and_port.is_empty();
    let parsed = if hostless {
        let (userinfo, _) = authority.rsplit_once('@').unwrap_or(("", ""));
        let at = if authority.contains('@') { "@" } else { "" };
        let path_and_query = &rest[authority_end..];
        Url::parse(&format!(
            "{scheme}://{userinfo}{at}weft-no-host{path_and_query}"
        ))
    } else {
        Url::parse(uri)
    }
    .map_err(|source| ConnectionFormError::Uri {
        conn_id: conn_id.to_owned(),
        source,
    })?;
    let decode = |part: &'static str, text: &str| -> Result<Option<String>, ConnectionFormError> {
        if text.is_empty() {
            return Ok(None);
        }
        percent_decode_str(text)
            .decode_utf8()
            .map(|s| Some(s.into_owned()))
            .map_err(|_| ConnectionFormError::NotUtf8 {
                conn_id: conn_id.to_owned(),
                part,
            })
    };
    let conn_type = match parsed.scheme() {
        "postgresql" => "postgres".to_owned(),
        other => other.replace('-', "_"),
    };
    let host = if hostless {
        None
    } else {
        let host = parsed.host_str().unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        decode("host", host)?
    };
    let port = parsed.port().or_else(|| explicit_port(host_and_port));
    let schema = decode(
        "schema",
        parsed.path().strip_prefix('/').unwrap_or(parsed.path()),
    )?;
    let login = decode("login", parsed.username())?;
    let password = parsed
        .password()
        .map(|p| decode("password", p))
        .transpose()?
        .flatten();
    let extra = extra_of(conn_id, &parsed)?;
    Ok(Connection {
        conn_id: conn_id.to_owned(),
        conn_type,
        host,
        port,
        schema,
        login,
        password,
        extra,
    })
}

/// A port written in the URI that the URL parser dropped as its scheme's default
/// (`http://host:80`): Airflow keeps it.
fn explicit_port(host_and_port: &str) -> Option<u16> {
    let (_, port) = host_and_port.rsplit_once(':')?;
    if host_and_port.ends_with(']') {
        return None;
    }
    port.parse().ok()
}

/// The query as the connection's extra.
fn extra_of(conn_id: &str, url: &Url) -> Result<Value, ConnectionFormError> {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let bad = |reason: String| ConnectionFormError::Extra {
        conn_id: conn_id.to_owned(),
        reason,
    };
    if let Some((_, json)) = pairs.iter().find(|(k, _)| k == "__extra__") {
        if pairs.len() > 1 {
            return Err(bad(
                "__extra__ must be the only query parameter when given".to_owned()
            ));
        }
        return match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => Ok(Value::Object(map)),
            Ok(other) => Err(bad(format!("__extra__ is JSON {}", kind(&other)))),
            Err(e) => Err(bad(format!("__extra__ is not JSON: {e}"))),
        };
    }
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key, Value::String(value));
    }
    Ok(Value::Object(map))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Connection `conn_id` written in Airflow's JSON form: an object with `conn_type` and
/// optionally `host`, `port` (a number or a string of digits), `schema`, `login`,
/// `password`, `extra` (an object, or a string holding one) and `description` (ignored
/// here: the caller keeps it).
pub fn connection_from_json(conn_id: &str, json: &str) -> Result<Connection, ConnectionFormError> {
    let bad = |reason: String| ConnectionFormError::Json {
        conn_id: conn_id.to_owned(),
        reason,
    };
    let value: Value = serde_json::from_str(json).map_err(|e| {
        // serde_json's message names a position, never the text.
        bad(format!("not JSON: {e}"))
    })?;
    let Value::Object(mut map) = value else {
        return Err(bad(format!("it is {}, not an object", kind(&value))));
    };
    let mut text = |field: &'static str| -> Result<Option<String>, ConnectionFormError> {
        match map.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(bad(format!("{field} is {}, not a string", kind(&other)))),
        }
    };
    let conn_type = text("conn_type")?.ok_or_else(|| bad("conn_type is missing".to_owned()))?;
    let host = text("host")?;
    let schema = text("schema")?;
    let login = text("login")?;
    let password = text("password")?;
    let _description = text("description")?;
    let port = match map.remove("port") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| bad(format!("port {n} is not 0 to 65535")))?,
        ),
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(
            s.parse::<u16>()
                .map_err(|_| bad(format!("port {s:?} is not 0 to 65535")))?,
        ),
        Some(other) => return Err(bad(format!("port is {}", kind(&other)))),
    };
    let extra = match map.remove("extra") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(m)) => Value::Object(m),
        Some(Value::String(s)) if s.trim().is_empty() => Value::Object(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => Value::Object(m),
            Ok(other) => {
                return Err(bad(format!(
                    "extra is JSON {}, not an object",
                    kind(&other)
                )));
            }
            Err(e) => return Err(bad(format!("extra is a string but not JSON: {e}"))),
        },
        Some(other) => return Err(bad(format!("extra is {}, not an object", kind(&other)))),
    };
    if let Some(unknown) = map.keys().next() {
        return Err(bad(format!(
            "unknown field {unknown:?} (known: conn_type, host, port, schema, login, password, \
             extra, description)"
        )));
    }
    Ok(Connection {
        conn_id: conn_id.to_owned(),
        conn_type: conn_type.replace('-', "_"),
        host,
        port,
        schema,
        login,
        password,
        extra,
    })
}

#[cfg(test)]
mod tests;
