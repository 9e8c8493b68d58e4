//! Task `open_socket` tries a TCP connection to `127.0.0.1:9` and a UDP bind on `127.0.0.1:0`.
//!
//! DAG `open_socket`, one task of the same name; `run-task` probes whatever the task id and
//! never fails. Output: `{"tcp_connect": {"ok": bool, "error": "<kind>: <message>" | null},
//! "udp_bind": {"ok": bool, "error": ... | null}}`. The host grants no network, so it must see
//! `ok: false` for both.

use serde_json::json;
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, io_outcome, json_bytes,
    single_task_spec,
};

struct OpenSocket;

impl Guest for OpenSocket {
    fn describe() -> DagSpec {
        single_task_spec("open_socket")
    }

    fn run_task(_ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        let tcp = std::net::TcpStream::connect("127.0.0.1:9");
        let udp = std::net::UdpSocket::bind("127.0.0.1:0");
        Ok(json_bytes(&json!({
            "tcp_connect": io_outcome(&tcp),
            "udp_bind": io_outcome(&udp),
        })))
    }
}

weft_test_guests::export!(OpenSocket);

fn main() {}
