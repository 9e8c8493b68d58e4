//! `wfctl standalone` as a test process: API server, scheduler and worker in one process, on
//! SQLite in a directory of the test's own, with an in-process queue.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::api::Api;
use crate::process::{Proc, free_port, shared_cache_dir, wait_for, wfctl};

/// Start `wfctl standalone` on a free port with its home and log in `dir` and the extra
/// environment `env`; wait until it answers. The process and a client of it (no token:
/// standalone needs none).
pub fn start(dir: &Path, env: &[(&str, &str)]) -> (Proc, Api) {
    let port = free_port().to_string();
    let mut command = Command::new(wfctl());
    command
        .args(["standalone", "--port", &port, "--home"])
        .arg(dir.join("home"))
        .env("WEFT_CACHE_DIR", shared_cache_dir())
        .env("WEFT_LOG", "info,weft=debug")
        .env_remove("WEFT_SERVER")
        .env_remove("WEFT_CONFIG")
        .envs(env.iter().copied());
    let mut proc = Proc::spawn("standalone", command, &dir.join("standalone.log"));
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    wait_for("standalone to answer", Duration::from_secs(30), || {
        assert!(proc.is_running(), "standalone exited:\n{}", proc.output());
        api.healthy().then_some(())
    });
    (proc, api)
}
