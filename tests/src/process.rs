//! Child processes of a test: started with their output in a log file, killed on drop.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `wfctl` binary under test: `WEFT_WFCTL`, else the workspace's debug build (built here
/// first if it is missing).
pub fn wfctl() -> PathBuf {
    if let Some(path) = std::env::var_os("WEFT_WFCTL") {
        return PathBuf::from(path);
    }
    workspace_binary("wfctl", "wfctl")
}

/// The compile cache every process the tests start shares (`WEFT_CACHE_DIR`), so that a
/// component deployed by many tests is compiled once per run of the suite, as it is once per
/// machine in an installation.
pub fn shared_cache_dir() -> PathBuf {
    target_dir().join("e2e-compile-cache")
}

/// The root of the workspace.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// The workspace's target directory: `CARGO_TARGET_DIR`, else `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from)
}

/// `path` under the target directory, first built with `cargo build ARGS` if it is missing;
/// `hint` says what the build needs when it fails.
fn built(path: &[&str], args: &[&str], hint: &str) -> PathBuf {
    let path = path.iter().fold(target_dir(), |dir, part| dir.join(part));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .arg("build")
            .args(args)
            .current_dir(workspace())
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "cargo build {} failed{hint}",
            args.join(" ")
        );
    }
    path
}

/// The workspace's debug build of binary `name` of package `package`, built here first if it
/// is missing.
pub fn workspace_binary(package: &str, name: &str) -> PathBuf {
    built(&["debug", name], &["-p", package, "--bin", name], "")
}

/// The target of the workers for other machines that the tests run under `qemu-user`.
pub const AARCH64_TARGET: &str = "aarch64-unknown-linux-gnu";

/// The command line that starts `wfctl` built for an aarch64 machine, under `qemu-aarch64`
/// with Debian's aarch64 libraries (`scripts/test.sh` installs both and builds it): the
/// worker machine's build (`--no-default-features`), built here first if it is missing.
pub fn aarch64_wfctl() -> Vec<std::ffi::OsString> {
    let path = built(
        &[AARCH64_TARGET, "debug", "wfctl"],
        &[
            "-p",
            "wfctl",
            "--no-default-features",
            "--target",
            AARCH64_TARGET,
        ],
        " (it needs `rustup target add aarch64-unknown-linux-gnu` and gcc-aarch64-linux-gnu)",
    );
    vec![
        "qemu-aarch64".into(),
        "-L".into(),
        "/usr/aarch64-linux-gnu".into(),
        path.into_os_string(),
    ]
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running child process; killed (SIGKILL) when dropped unless it already ended.
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Start `command` as `name`, its stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Proc {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file opens");
        let err = out.try_clone().expect("log file clones");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kill it at once (SIGKILL), as a crash would.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ask it to stop (SIGTERM) and wait up to `wait` for it to exit; its exit code.
    pub fn terminate(&mut self, wait: Duration) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Wait up to `wait` for it to exit by itself; its exit code.
    pub fn wait_exit(&mut self, wait: Duration) -> Option<i32> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its name in the test.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill9();
        }
    }
}

/// Wait until `check` returns `Some`, up to `wait`, looking every 50 ms; panics with `what`
/// when the time is up.
pub fn wait_for<T>(what: &str, wait: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {wait:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
