//! Running the servers' programs: finding them, running them (as the `postgres` user when
//! we are root), picking free ports, and the watchdog that stops a server when its owner
//! goes away.

use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{TestkitError, TestkitResult};

/// Find `program` on `PATH`, then in each of `dirs` (glob-free directories, in order).
pub(crate) fn find_program(program: &str, dirs: &[PathBuf]) -> TestkitResult<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain(dirs.iter().cloned()) {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let extra = if dirs.is_empty() {
        String::new()
    } else {
        let shown: Vec<_> = dirs.iter().map(|d| d.display().to_string()).collect();
        format!(" and in {}", shown.join(", "))
    };
    Err(TestkitError::Missing {
        program: program.to_owned(),
        extra,
    })
}

/// `/usr/lib/postgresql/<version>/bin` directories, newest version first.
pub(crate) fn postgres_bin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    dirs.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    dirs.into_iter().map(|(_, dir)| dir).collect()
}

/// Whether this process runs as root (PostgreSQL's tools refuse to).
pub(crate) fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A command that runs `program` as the `postgres` user when we are root.
pub(crate) fn as_postgres(program: &Path, root: bool) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Run a command to completion; an error carries its output.
pub(crate) fn run(mut command: Command, what: &str) -> TestkitResult<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| TestkitError::Spawn { program, source })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(TestkitError::Failed {
        what: what.to_owned(),
        status: output.status.to_string(),
        output: format!("{}\n{}", stderr.trim(), stdout.trim())
            .trim()
            .to_owned(),
    })
}

/// A loopback port nobody listens on right now.
pub(crate) fn free_port() -> TestkitResult<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| TestkitError::Io {
            what: "binding a free port on",
            path: PathBuf::from("127.0.0.1:0"),
            source,
        })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|source| TestkitError::Io {
            what: "reading the address of",
            path: PathBuf::from("127.0.0.1:0"),
            source,
        })
}

/// Whether something accepts TCP connections on a loopback port.
pub fn port_open(port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Wait until `ready` holds, checking every 50 ms, for at most `limit`.
pub(crate) fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if ready() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A name no other call in any process is likely to produce: `<prefix>_<pid>_<n>_<nanos>`,
/// lower case, usable as a database, queue or key name.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id()).to_lowercase()
}

/// A new directory under the system's temp dir, kept (the watchdog removes it).
pub(crate) fn make_dir(prefix: &str) -> TestkitResult<PathBuf> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map(tempfile::TempDir::keep)
        .map_err(|source| TestkitError::Io {
            what: "creating a temp dir in",
            path: std::env::temp_dir(),
            source,
        })
}

/// The last lines of a log file, for error messages.
pub(crate) fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            format!("; end of {}:\n{tail}", path.display())
        }
        Err(_) => String::new(),
    }
}

/// A shell process that waits for end-of-file on its standard input, then runs a stop
/// script. We hold the only write end of that pipe: it is closed when the watchdog is
/// dropped or when this process ends in any way (normal exit, panic, `exit()`, a signal),
/// because the kernel closes a dead process's files. Either way the server is stopped and
/// its directory removed. The watchdog runs in its own process group, so a Ctrl-C aimed at
/// the test run does not kill it before it has cleaned up.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Watchdog {
    /// Start a watchdog that runs `script` (POSIX sh, positional `args`) once released.
    pub(crate) fn spawn(script: &str, args: &[&str]) -> TestkitResult<Self> {
        let body = format!("cat >/dev/null\n{script}");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(body)
            .arg("weft-testkit-watchdog")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|source| TestkitError::Spawn {
                program: "sh".into(),
                source,
            })?;
        let stdin = child.stdin.take();
        Ok(Self { child, stdin })
    }

    /// Release the watchdog and wait for its stop script to finish.
    pub(crate) fn stop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
            drop(stdin);
            let _ = self.child.wait();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}
