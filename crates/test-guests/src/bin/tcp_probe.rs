//! Task `probe` opens the raw TCP connections its run's conf lists (`std::net`, through
//! `wasi:sockets`), sends a line on each and reads the echo; it may also try UDP and a listener.
//! World `weft:dag@0.2.0`.
//!
//! DAG `tcp_probe`:
//! - `probe`: egress `tcp://127.0.0.1:*`, `tcp://localhost:*`;
//! - `narrow`: egress `tcp://127.0.0.1:9` only;
//! - `http_only`: egress `http://127.0.0.1:*` (an HTTP rule, which opens no raw TCP);
//! - `bare`: declares nothing;
//! - `documentation`: egress to port 7 of `192.0.2.1`, `198.51.100.1`, `203.0.113.1` and
//!   `[::c000:201]` (special-purpose addresses, refused whatever the rules say).
//!
//! Every task runs the same code. Conf: `{"connect": ["127.0.0.1:7000", "localhost:7000"],
//! "udp": true, "listen": true, "fail_on_error": true}`. Output: `{"connections": [{"addr":
//! "...", "ok": true, "echo": "..."} | {"addr": "...", "ok": false, "error": "<kind>: ..."}],
//! "udp": {"ok", "error"} | null, "listen": {"ok", "error"} | null}`. Connections stay open
//! until the task returns. With `fail_on_error`, the first connection error fails the task
//! (retryable) instead.

// The export glue generated in `v2` is unsafe by nature (it is the component's ABI).
#![allow(unsafe_code)]

/// The bindings of world 0.2.0 and the `dag-spec` helpers the probes share.
#[path = "../v2.rs"]
mod v2;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};

use bindings_v2::Guest;
use bindings_v2::weft::dag::types::{DagSpec, TaskContext, TaskError, TaskSpec, UpstreamOutput};
use serde_json::{Value, json};
use v2::bindings as bindings_v2;
use weft_test_guests::io_outcome;

struct Probe;

/// A task whose only resources are the `egress` rules.
fn task(id: &str, egress: &[&str]) -> TaskSpec {
    v2::task(
        id,
        (!egress.is_empty()).then(|| v2::resources(egress, &[], &[])),
    )
}

impl Guest for Probe {
    fn describe() -> DagSpec {
        v2::spec(
            "tcp_probe",
            vec![
                task("probe", &["tcp://127.0.0.1:*", "tcp://localhost:*"]),
                task("narrow", &["tcp://127.0.0.1:9"]),
                task("http_only", &["http://127.0.0.1:*"]),
                task("bare", &[]),
                task(
                    "documentation",
                    &[
                        "tcp://192.0.2.1:7",
                        "tcp://198.51.100.1:7",
                        "tcp://203.0.113.1:7",
                        "tcp://[::c000:201]:7",
                    ],
                ),
            ],
        )
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let conf: Value = serde_json::from_str(&ctx.conf).unwrap_or(Value::Null);
        let mut open = Vec::new();
        let mut connections = Vec::new();
        for addr in conf["connect"].as_array().cloned().unwrap_or_default() {
            let addr = addr.as_str().unwrap_or_default().to_owned();
            match echo(&addr) {
                Ok((stream, echoed)) => {
                    open.push(stream);
                    connections.push(json!({"addr": addr, "ok": true, "echo": echoed}));
                }
                Err(e) => {
                    let error = format!("{:?}: {e}", e.kind());
                    if conf["fail_on_error"].as_bool() == Some(true) {
                        return Err(TaskError::Retryable(format!(
                            "connecting to {addr}: {error}"
                        )));
                    }
                    connections.push(json!({"addr": addr, "ok": false, "error": error}));
                }
            }
        }
        let udp = (conf["udp"].as_bool() == Some(true)).then(|| {
            let socket = UdpSocket::bind("0.0.0.0:0")
                .and_then(|s| s.send_to(b"ping", "127.0.0.1:9").map(|_| s));
            io_outcome(&socket)
        });
        let listen = (conf["listen"].as_bool() == Some(true))
            .then(|| io_outcome(&TcpListener::bind("127.0.0.1:0")));
        drop(open);
        let output = json!({"connections": connections, "udp": udp, "listen": listen});
        Ok(serde_json::to_vec(&output).unwrap_or_default())
    }
}

/// Connects to `addr`, sends a line and reads one line back.
fn echo(addr: &str) -> std::io::Result<(TcpStream, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(format!("hello {addr}\n").as_bytes())?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    Ok((stream, line.trim_end().to_owned()))
}

bindings_v2::export!(Probe with_types_in bindings_v2);

fn main() {}
