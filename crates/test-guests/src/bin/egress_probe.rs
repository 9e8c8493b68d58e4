//! Task `probe` sends the HTTP requests its run's conf lists through `wasi:http`, with the
//! raw bindings, and reports what happened to each; it may also read a secret and a
//! connection and print them (to show them masked). World `weft:dag@0.2.0`.
//!
//! DAG `egress_probe`:
//! - `probe`: egress `GET,POST http://127.0.0.1:*`, `GET https://localhost:*`,
//!   `GET http://localhost:*`; secret `token`; connection `db`;
//! - `bare`: declares nothing; runs the same code.
//!
//! Conf: `{"requests": [{"method": "GET", "url": "http://127.0.0.1:8080/x",
//! "headers": [["name", "value"]], "body": "text", "follow": true, "debug_error": true}],
//! "print_secret": "token", "connection": "db", "fail_on_error": true}`. With
//! `"straddle": true`, the secret is also written to stdout across the runtime's 16 KiB
//! partial-line cut (its first 5 bytes end the first 16 KiB, flushed, and the rest follows);
//! with `"print_extra": true`, the connection's `extra` is printed and logged.
//! Output: `{"responses": [{"status": 200, "body": "...", "bytes": n} | {"error": "..."}],
//! "secret": "ok" | "<error>", "connection": {..} | "<error>"}`. With `fail_on_error`, the
//! first request error fails the task (retryable) instead. With a request's `"debug_error"`,
//! an error reading its response body is reported as the host's `to-debug-string` of it
//! (instead of its HTTP error code).

// The export glue generated in `v2` is unsafe by nature (it is the component's ABI).
#![allow(unsafe_code)]

/// The bindings of world 0.2.0 and the `dag-spec` helpers the probes share.
#[path = "../v2.rs"]
mod v2;

use bindings_v2::Guest;
use bindings_v2::wasi::http::outgoing_handler;
use bindings_v2::wasi::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use bindings_v2::weft::dag::types::{DagSpec, TaskContext, TaskError, UpstreamOutput};
use bindings_v2::weft::dag::{connections, log, secrets};
use serde_json::{Value, json};
use v2::bindings as bindings_v2;

struct Probe;

impl Guest for Probe {
    fn describe() -> DagSpec {
        let probe = v2::resources(
            &[
                "GET,POST http://127.0.0.1:*",
                "GET https://localhost:*",
                "GET http://localhost:*",
            ],
            &["db"],
            &["token"],
        );
        v2::spec(
            "egress_probe",
            vec![v2::task("probe", Some(probe)), v2::task("bare", None)],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let conf: Value = serde_json::from_str(&ctx.conf).unwrap_or(Value::Null);
        let mut responses = Vec::new();
        for request in conf["requests"].as_array().cloned().unwrap_or_default() {
            let mut outcome = send(&request);
            let mut hops = 0;
            while request["follow"].as_bool() == Some(true) && hops < 5 {
                let Some(location) = outcome.get("location").and_then(Value::as_str) else {
                    break;
                };
                let next = json!({"method": "GET", "url": location});
                outcome = send(&next);
                hops += 1;
            }
            if conf["fail_on_error"].as_bool() == Some(true)
                && let Some(error) = outcome.get("error")
            {
                return Err(TaskError::Retryable(format!("request failed: {error}")));
            }
            responses.push(outcome);
        }
        let secret = match conf["print_secret"].as_str() {
            Some(name) => match secrets::get(name) {
                Ok(value) => {
                    println!("the secret is {value}");
                    log::write(log::LogLevel::Info, &format!("logged secret: {value}"));
                    if conf["straddle"].as_bool() == Some(true) {
                        straddle(&value);
                    }
                    json!("ok")
                }
                Err(e) => json!(format!("{e:?}")),
            },
            None => Value::Null,
        };
        let connection = match conf["connection"].as_str() {
            Some(id) => match connections::get(id) {
                Ok(c) if conf["print_extra"].as_bool() == Some(true) => {
                    println!("the extra is {}", c.extra);
                    log::write(log::LogLevel::Info, &format!("logged extra: {}", c.extra));
                    json!({"printed": true})
                }
                Ok(c) => json!({"host": c.host, "port": c.port, "login": c.login,
                    "has_password": c.password.is_some(), "extra": c.extra}),
                Err(e) => json!(format!("{e:?}")),
            },
            None => Value::Null,
        };
        let output = json!({"responses": responses, "secret": secret, "connection": connection});
        Ok(serde_json::to_vec(&output).unwrap_or_default())
    }
}

/// The runtime's longest partial line, past which it writes the line out in pieces.
const PARTIAL_LINE_CUT: usize = 16 << 10;

/// Writes `secret` to stdout so that its first 5 bytes end the runtime's first piece of
/// a long line and the rest begins the next.
fn straddle(secret: &str) {
    use std::io::Write as _;
    let (head, tail) = secret.as_bytes().split_at(secret.len().min(5));
    let mut first = vec![b'x'; PARTIAL_LINE_CUT - head.len()];
    first.extend_from_slice(head);
    let mut out = std::io::stdout();
    out.write_all(&first).ok();
    out.flush().ok();
    out.write_all(&[tail, b" after\n"].concat()).ok();
    out.flush().ok();
}

/// Sends one request; returns `{"status", "body", "bytes", "location"}` or `{"error"}`.
fn send(request: &Value) -> Value {
    match try_send(request) {
        Ok(value) => value,
        Err(error) => json!({"error": error}),
    }
}

fn error_name(e: &ErrorCode) -> String {
    format!("{e:?}")
}

fn try_send(request: &Value) -> Result<Value, String> {
    let url = request["url"].as_str().ok_or("no url")?;
    let (scheme, rest) = url.split_once("://").ok_or("no scheme")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let headers = Fields::new();
    for pair in request["headers"].as_array().cloned().unwrap_or_default() {
        let name = pair[0].as_str().unwrap_or_default().to_owned();
        let value = pair[1].as_str().unwrap_or_default().as_bytes().to_vec();
        headers
            .append(&name, &value)
            .map_err(|e| format!("header: {e:?}"))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let method = match request["method"].as_str().unwrap_or("GET") {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.into()),
    };
    outgoing.set_method(&method).map_err(|()| "method")?;
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.into()),
    };
    outgoing.set_scheme(Some(&scheme)).map_err(|()| "scheme")?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| "authority")?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| "path")?;
    let body = outgoing.body().map_err(|()| "body")?;
    let future = outgoing_handler::handle(outgoing, None).map_err(|e| error_name(&e))?;
    if let Some(text) = request["body"].as_str() {
        let stream = body.write().map_err(|()| "body stream")?;
        for chunk in text.as_bytes().chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("writing the body: {e:?}"))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None).map_err(|e| error_name(&e))?;
    future.subscribe().block();
    let response = future
        .get()
        .ok_or("no response")?
        .map_err(|()| "response taken twice")?
        .map_err(|e| error_name(&e))?;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .first()
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let incoming = response.consume().map_err(|()| "consume")?;
    let stream = incoming.stream().map_err(|()| "stream")?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(bindings_v2::wasi::io::streams::StreamError::Closed) => break,
            Err(bindings_v2::wasi::io::streams::StreamError::LastOperationFailed(e)) => {
                if request["debug_error"].as_bool() == Some(true) {
                    return Err(e.to_debug_string());
                }
                let code = bindings_v2::wasi::http::types::http_error_code(&e);
                return Err(match code {
                    Some(code) => error_name(&code),
                    None => e.to_debug_string(),
                });
            }
        }
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    Ok(json!({"status": status, "body": text, "bytes": bytes.len(), "location": location}))
}

bindings_v2::export!(Probe with_types_in bindings_v2);

fn main() {}
