//! Tries to fill the worker's disk through a scratch directory, and to find one it was not
//! granted.
//!
//! DAG `scratch_flood`:
//! - `flood` asks for a writable `/scratch` and fills it as its conf says, stopping at the
//!   first error or at `max` bytes (default 8 MiB) or entries: `{"how": "write"}` writes a
//!   file in 64 KiB writes, `"stream"` in one `write_all` of `max` bytes, `"set_size"` makes
//!   a file of `max` bytes with `set_len` and writes its last byte, `"files"` makes empty
//!   files, and `"panic"` writes 64 KiB then panics (to show the directory goes even then).
//!   Output: `{"written": bytes, "entries": n, "error": "<kind>: <message>" | null,
//!   "on_disk": bytes}`, where `on_disk` sums the sizes `/scratch` lists afterwards.
//! - `bare` declares nothing and probes `/scratch`. Output: `{"stat": {"ok", "error"},
//!   "create": {"ok", "error"}}`.

use std::io::Write as _;

use serde_json::{Value, json};
use weft_test_guests::bindings::weft::dag::types::{DirectoryGrant, Resources};
use weft_test_guests::{
    DagSpec, Guest, TaskContext, TaskError, UpstreamOutput, conf, io_outcome, json_bytes,
    simple_spec, task, unknown_task,
};

struct ScratchFlood;

impl Guest for ScratchFlood {
    fn describe() -> DagSpec {
        let mut flood = task("flood", &[]);
        flood.settings.resources = Some(Resources {
            memory_bytes: None,
            egress_allowlist: Vec::new(),
            directories: vec![DirectoryGrant {
                guest_path: "/scratch".to_owned(),
                writable: true,
            }],
        });
        simple_spec("scratch_flood", vec![flood, task("bare", &[])])
    }

    fn run_task(ctx: TaskContext, _upstream: Vec<UpstreamOutput>) -> Result<Vec<u8>, TaskError> {
        match ctx.task_id.as_str() {
            "flood" => flood(&conf(&ctx)?),
            "bare" => Ok(json_bytes(&json!({
                "stat": io_outcome(&std::fs::metadata("/scratch")),
                "create": io_outcome(&std::fs::write("/scratch/x", b"x")),
            }))),
            _ => Err(unknown_task(&ctx)),
        }
    }
}

weft_test_guests::export!(ScratchFlood);

fn main() {}

const CHUNK: usize = 64 << 10;

fn flood(conf: &Value) -> Result<Vec<u8>, TaskError> {
    let max = conf["max"].as_u64().unwrap_or(8 << 20);
    let how = conf["how"].as_str().unwrap_or("write");
    let mut written = 0u64;
    let mut entries = 0u64;
    let result: std::io::Result<()> = (|| match how {
        "write" | "panic" => {
            let mut file = std::fs::File::create("/scratch/flood.bin")?;
            let chunk = vec![7u8; CHUNK];
            while written < max {
                file.write_all(&chunk)?;
                written += CHUNK as u64;
                if how == "panic" {
                    panic!("weft-test: panic with a full scratch directory");
                }
            }
            Ok(())
        }
        "stream" => {
            let mut file = std::fs::File::create("/scratch/flood.bin")?;
            let len = usize::try_from(max).unwrap_or(usize::MAX);
            file.write_all(&vec![7u8; len])?;
            written = max;
            Ok(())
        }
        "set_size" => {
            let mut file = std::fs::File::create("/scratch/sparse.bin")?;
            file.set_len(max)?;
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(max.saturating_sub(1)))?;
            file.write_all(&[1])?;
            written = max;
            Ok(())
        }
        "files" => {
            while entries < max {
                std::fs::File::create(format!("/scratch/f{entries}"))?;
                entries += 1;
            }
            Ok(())
        }
        other => Err(std::io::Error::other(format!("unknown how {other:?}"))),
    })();
    let on_disk: u64 = std::fs::read_dir("/scratch")
        .map(|list| {
            list.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let error = result.err().map(|e| format!("{:?}: {e}", e.kind()));
    Ok(json_bytes(&json!({
        "written": written,
        "entries": entries,
        "error": error,
        "on_disk": on_disk,
    })))
}
