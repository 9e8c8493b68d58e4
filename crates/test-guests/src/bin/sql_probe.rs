//! Task `probe` runs the SQL steps its run's conf lists through `weft:dag/sql`, with the
//! raw bindings, and reports each result as JSON; it may also scan its own linear memory
//! for a connection's password. World `weft:dag@0.2.0`.
//!
//! DAG `sql_probe`:
//! - `probe`: connections `pg`, `pg_wrong`, `my`, `my_wrong`, `local`, `missing`, `files`;
//! - `bare`: declares nothing; runs the same code.
//!
//! Conf: `{"conn": "pg", "steps": [{"op": "execute", "sql": "...", "params": [{"int": 1}]},
//! {"op": "query" | "stream" | "begin" | "commit" | "rollback" | "open" | "forget" | "hold"
//! | "release"}],
//! "get": "pg", "scan": {"masked": [..], "mask": [..]}}`. `open` opens a new session on
//! `conn` (the first step runs on one opened at the start); `forget` leaks the session, so
//! that the attempt's end must clean it up; `stream` reads in batches of `batch` rows;
//! `hold` opens a stream and keeps it open until `release`; `"repeat": N` runs a step N
//! times and reports the last outcome (or the first error).
//! Values are `{"KIND": value}` with the kinds of `sql-value` (`{"null": null}`, bytes as
//! a list of numbers).
//! Output: `{"open": {..}, "results": [{"ok": ..} | {"error": {"kind", "message", "code"}}],
//! "connection": {..}, "found": bool}`.

// The export glue generated in `v2` is unsafe by nature (it is the component's ABI), and the
// memory scan reads the guest's own linear memory.
#![allow(unsafe_code)]

/// The bindings of world 0.2.0 and the `dag-spec` helpers the probes share.
#[path = "../v2.rs"]
mod v2;

use bindings_v2::Guest;
use bindings_v2::weft::dag::connections;
use bindings_v2::weft::dag::sql::{self, Session, SqlError, SqlValue};
use bindings_v2::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};
use serde_json::{Value, json};
use v2::bindings as bindings_v2;

struct Probe;

impl Guest for Probe {
    fn describe() -> DagSpec {
        let probe = v2::resources(
            &[],
            &[
                "pg", "pg_wrong", "my", "my_wrong", "local", "missing", "files",
            ],
            &[],
        );
        v2::spec(
            "sql_probe",
            vec![v2::task("probe", Some(probe)), v2::task("bare", None)],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let conf: Value = serde_json::from_str(&ctx.conf).unwrap_or(Value::Null);
        let mut output = json!({});
        if let Some(id) = conf["conn"].as_str() {
            let mut session = match sql::open(id) {
                Ok(session) => {
                    output["open"] = json!({"ok": true});
                    Some(session)
                }
                Err(e) => {
                    output["open"] = json!({"error": error_json(&e)});
                    None
                }
            };
            let mut results = Vec::new();
            let mut held_stream = None;
            for step in conf["steps"].as_array().cloned().unwrap_or_default() {
                let op = step["op"].as_str().unwrap_or_default();
                if op == "open" {
                    results.push(match sql::open(id) {
                        Ok(s) => {
                            session = Some(s);
                            json!({"ok": true})
                        }
                        Err(e) => json!({"error": error_json(&e)}),
                    });
                    continue;
                }
                if op == "forget" {
                    std::mem::forget(session.take());
                    results.push(json!({"ok": true}));
                    continue;
                }
                let Some(s) = &session else {
                    results.push(json!({"error": {"kind": "no-session"}}));
                    continue;
                };
                if op == "hold" {
                    let params: Vec<SqlValue> = Vec::new();
                    results.push(
                        match s.query_stream(step["sql"].as_str().unwrap_or_default(), &params) {
                            Ok(stream) => {
                                held_stream = Some(stream);
                                json!({"ok": true})
                            }
                            Err(e) => json!({"error": error_json(&e)}),
                        },
                    );
                    continue;
                }
                if op == "release" {
                    held_stream = None;
                    results.push(json!({"ok": true}));
                    continue;
                }
                // `repeat` runs the step that many times; the last outcome is reported.
                let mut outcome = run_step(s, op, &step);
                for _ in 1..step["repeat"].as_u64().unwrap_or(1) {
                    if outcome.is_err() {
                        break;
                    }
                    outcome = run_step(s, op, &step);
                }
                results.push(match outcome {
                    Ok(value) => json!({"ok": value}),
                    Err(e) => json!({"error": error_json(&e)}),
                });
            }
            drop(held_stream);
            output["results"] = json!(results);
        }
        if let Some(id) = conf["get"].as_str() {
            output["connection"] = match connections::get(id) {
                Ok(c) => json!({"conn_type": c.conn_type, "host": c.host, "port": c.port,
                    "login": c.login, "has_password": c.password.is_some()}),
                Err(e) => json!(format!("{e:?}")),
            };
        }
        if conf["scan"].is_object() {
            let bytes = |key: &str| -> Vec<u8> {
                conf["scan"][key]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_u64().unwrap_or(0) as u8).collect())
                    .unwrap_or_default()
            };
            output["found"] = json!(scan(&bytes("masked"), &bytes("mask")));
        }
        Ok(serde_json::to_vec(&output).unwrap_or_default())
    }
}

fn run_step(s: &Session, op: &str, step: &Value) -> Result<Value, SqlError> {
    let statement = step["sql"].as_str().unwrap_or_default();
    let params: Vec<SqlValue> = step["params"]
        .as_array()
        .map(|a| a.iter().map(value_from_json).collect())
        .unwrap_or_default();
    Ok(match op {
        "execute" => json!(s.execute(statement, &params)?),
        "query" => {
            let set = s.query(statement, &params)?;
            json!({
                "columns": set.columns.iter().map(|c| json!([c.name, c.type_name])).collect::<Vec<_>>(),
                "rows": set.rows.iter().map(|r| r.iter().map(value_to_json).collect::<Vec<_>>()).collect::<Vec<_>>(),
            })
        }
        "stream" => {
            let stream = s.query_stream(statement, &params)?;
            let batch = step["batch"].as_u64().unwrap_or(1000) as u32;
            let columns: Vec<Value> = stream
                .columns()
                .iter()
                .map(|c| json!([c.name, c.type_name]))
                .collect();
            let (mut count, mut batches, mut first, mut last) =
                (0u64, 0u64, Value::Null, Value::Null);
            loop {
                let rows = stream.next(batch)?;
                if rows.is_empty() {
                    break;
                }
                batches += 1;
                count += rows.len() as u64;
                if first.is_null() {
                    first = json!(rows[0].iter().map(value_to_json).collect::<Vec<_>>());
                }
                if let Some(row) = rows.last() {
                    last = json!(row.iter().map(value_to_json).collect::<Vec<_>>());
                }
                if step["stop_after"].as_u64().is_some_and(|n| count >= n) {
                    break;
                }
            }
            json!({"columns": columns, "rows": count, "batches": batches, "first": first, "last": last})
        }
        "begin" => {
            s.begin()?;
            Value::Null
        }
        "commit" => {
            s.commit()?;
            Value::Null
        }
        "rollback" => {
            s.rollback()?;
            Value::Null
        }
        other => json!(format!("unknown op {other:?}")),
    })
}

fn error_json(e: &SqlError) -> Value {
    let (kind, message, code) = match e {
        SqlError::NotDeclared(m) => ("not-declared", m.clone(), None),
        SqlError::NotFound(m) => ("not-found", m.clone(), None),
        SqlError::Unsupported(m) => ("unsupported", m.clone(), None),
        SqlError::Denied(m) => ("denied", m.clone(), None),
        SqlError::Connect(m) => ("connect", m.clone(), None),
        SqlError::Timeout(m) => ("timeout", m.clone(), None),
        SqlError::Limit(m) => ("limit", m.clone(), None),
        SqlError::State(m) => ("state", m.clone(), None),
        SqlError::Database(d) => ("database", d.message.clone(), d.code.clone()),
    };
    json!({"kind": kind, "message": message, "code": code})
}

fn value_from_json(v: &Value) -> SqlValue {
    let Some((kind, inner)) = v.as_object().and_then(|o| o.iter().next()) else {
        return SqlValue::Null;
    };
    let text = || inner.as_str().unwrap_or_default().to_owned();
    match kind.as_str() {
        "boolean" => SqlValue::Boolean(inner.as_bool().unwrap_or(false)),
        "int" => SqlValue::Int(inner.as_i64().unwrap_or(0)),
        "float" => SqlValue::Float(inner.as_f64().unwrap_or(0.0)),
        "text" => SqlValue::Text(text()),
        "bytes" => SqlValue::Bytes(
            inner
                .as_array()
                .map(|a| a.iter().map(|b| b.as_u64().unwrap_or(0) as u8).collect())
                .unwrap_or_default(),
        ),
        "decimal" => SqlValue::Decimal(text()),
        "timestamp" => SqlValue::Timestamp(text()),
        "datetime" => SqlValue::Datetime(text()),
        "date" => SqlValue::Date(text()),
        "time" => SqlValue::Time(text()),
        "uuid" => SqlValue::Uuid(text()),
        "json" => SqlValue::Json(text()),
        _ => SqlValue::Null,
    }
}

fn value_to_json(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => json!({"null": null}),
        SqlValue::Boolean(b) => json!({"boolean": b}),
        SqlValue::Int(i) => json!({"int": i}),
        SqlValue::Float(f) => json!({"float": f}),
        SqlValue::Text(s) => json!({"text": s}),
        SqlValue::Bytes(b) => json!({"bytes": b}),
        SqlValue::Decimal(s) => json!({"decimal": s}),
        SqlValue::Timestamp(s) => json!({"timestamp": s}),
        SqlValue::Datetime(s) => json!({"datetime": s}),
        SqlValue::Date(s) => json!({"date": s}),
        SqlValue::Time(s) => json!({"time": s}),
        SqlValue::Uuid(s) => json!({"uuid": s}),
        SqlValue::Json(s) => json!({"json": s}),
    }
}

/// Whether the password (`masked` XOR `mask`) is anywhere in linear memory. The password is
/// never put together in memory: each byte is compared as `mem ^ mask == masked`.
fn scan(masked: &[u8], mask: &[u8]) -> bool {
    if masked.is_empty() || masked.len() != mask.len() {
        return false;
    }
    #[cfg(target_arch = "wasm32")]
    let size = core::arch::wasm32::memory_size(0) * 65536;
    #[cfg(not(target_arch = "wasm32"))]
    let size = 0usize;
    let n = masked.len();
    // Address 0 is never a live object: start at 1.
    (1..size.saturating_sub(n)).any(|i| {
        (0..n).all(|k| {
            // SAFETY: every address below the memory's size is readable in wasm32.
            let byte = unsafe { core::ptr::read_volatile((i + k) as *const u8) };
            byte ^ mask[k] == masked[k]
        })
    })
}

bindings_v2::export!(Probe with_types_in bindings_v2);
fn main() {}
