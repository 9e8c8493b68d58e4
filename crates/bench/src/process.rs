//! [`Service`]: a long-running child process (`wfctl standalone`, `server`, ...) with its
//! output in a log file; stopped with SIGTERM, killed when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// A child process started by the benchmark.
pub struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Start `command` as `name`, its stdout and stderr written to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Service, BenchError> {
        let out = File::create(log).map_err(|e| BenchError::io(log, e))?;
        let err = out.try_clone().map_err(|e| BenchError::io(log, e))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command.spawn().map_err(|source| BenchError::Spawn {
            name: name.to_owned(),
            program: PathBuf::from(command.get_program()),
            source,
        })?;
        Ok(Service {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    /// Its role.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error unless it is still running.
    pub fn check_running(&mut self) -> Result<(), BenchError> {
        let status = match self.child.try_wait() {
            Ok(None) => return Ok(()),
            Ok(Some(status)) => status.to_string(),
            Err(e) => format!("cannot be waited for: {e}"),
        };
        Err(BenchError::Exited {
            name: self.name.clone(),
            pid: self.pid(),
            status,
            log: self.log.clone(),
            tail: log_tail(&self.log, 20),
        })
    }

    /// Ask it to stop (SIGTERM), wait up to `grace`, then kill it.
    pub fn stop(&mut self, grace: Duration) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last `lines` lines of the file at `path` (empty when it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, BenchError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BenchError::io("127.0.0.1:0", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_that_exits_is_reported_with_its_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("s.log");
        let mut command = Command::new("sh");
        command.args(["-c", "echo first; echo last words; exit 3"]);
        let mut service = Service::spawn("quitter", command, &log).expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(10);
        let error = loop {
            match service.check_running() {
                Err(e) => break e,
                Ok(()) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(()) => panic!("sh did not exit"),
            }
        };
        let text = error.to_string();
        assert!(text.contains("quitter"), "{text}");
        assert!(text.contains("last words"), "{text}");
    }

    #[test]
    fn a_running_service_is_stopped_by_sigterm() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new("sleep");
        command.arg("30");
        let mut service =
            Service::spawn("sleeper", command, &dir.path().join("s.log")).expect("spawn");
        assert!(service.check_running().is_ok());
        let started = Instant::now();
        service.stop(Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(service.check_running().is_err());
    }

    #[test]
    fn missing_programs_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let command = Command::new("/nonexistent/wfctl");
        let error = Service::spawn("server", command, &dir.path().join("s.log"))
            .err()
            .expect("no such program");
        assert!(error.to_string().contains("/nonexistent/wfctl"), "{error}");
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log");
        std::fs::write(&path, "a\nb\nc\n").expect("write");
        assert_eq!(log_tail(&path, 2), "b\nc");
        assert_eq!(log_tail(&dir.path().join("missing"), 2), "");
        assert!(free_port().is_ok());
    }
}
