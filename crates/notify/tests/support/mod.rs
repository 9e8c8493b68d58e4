//! Test helpers: a sample notification, address policies, and a real SMTP server
//! (`scripts/smtp_server.py`, aiosmtpd) run as a child process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use weft_notify::{AddressPolicy, DeliveryOptions, Event, Notification};

/// A task failure of `mall_sort`.
pub fn sample() -> Notification {
    let logical_date = "2026-11-22T10:00:00Z".parse().expect("timestamp");
    let mut n = Notification::new(
        Event::TaskFailure,
        "acme",
        "mall_sort",
        "manual__2026-11-22T10:00:00Z",
        "failed",
        logical_date,
    );
    n.task_id = Some("sort".into());
    n.try_number = Some(3);
    n.error = Some("trap: out of fuel".into());
    n
}

/// Options with millisecond delays, so retries cost nothing.
pub fn fast(attempts: u32) -> DeliveryOptions {
    DeliveryOptions {
        attempts,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        timeout_per_attempt: Duration::from_secs(10),
        trust: weft_tls::Trust::default(),
    }
}

/// Refuses loopback addresses, as production policies do.
pub struct NoLoopback;

impl AddressPolicy for NoLoopback {
    fn check(&self, _host: &str, addr: SocketAddr) -> Result<(), String> {
        if addr.ip().is_loopback() {
            Err(format!("{} is a loopback address", addr.ip()))
        } else {
            Ok(())
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Every source's Display, joined: what an operator would see of an error.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// aiosmtpd on 127.0.0.1, storing messages in a temporary Maildir; killed on drop.
pub struct SmtpServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server, requiring `auth` (login, password) when given, and waits until
    /// it listens.
    pub fn start(auth: Option<(&str, &str)>) -> Self {
        Self::start_with(auth, &[])
    }

    /// Like [`SmtpServer::start`], with extra environment for the script
    /// (`WEFT_SMTP_FAIL_FIRST`, `WEFT_SMTP_REJECT_DOMAIN`).
    pub fn start_with(auth: Option<(&str, &str)>, env: &[(&str, &str)]) -> Self {
        // The port is free when picked but may be taken before Python binds it (tests run
        // in parallel): a server that exits before listening is started again elsewhere.
        for _ in 0..3 {
            if let Some(server) = Self::try_start(auth, env) {
                return server;
            }
        }
        panic!(
            "scripts/smtp_server.py exited before listening, three times (see its stderr); is \
             aiosmtpd installed? scripts/setup.sh installs it"
        );
    }

    fn try_start(auth: Option<(&str, &str)>, env: &[(&str, &str)]) -> Option<Self> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_server.py");
        let maildir = tempfile::tempdir().expect("maildir");
        let port = free_port();
        let mut command = Command::new("python3");
        command
            .arg(&script)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .arg(maildir.path().join("mail"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env_remove("WEFT_SMTP_USER")
            .env_remove("WEFT_SMTP_PASSWORD")
            .env_remove("WEFT_SMTP_FAIL_FIRST")
            .env_remove("WEFT_SMTP_REJECT_DOMAIN")
            .envs(env.iter().copied());
        if let Some((user, password)) = auth {
            command
                .env("WEFT_SMTP_USER", user)
                .env("WEFT_SMTP_PASSWORD", password);
        }
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "starting {} failed: {e} (is python3 installed?)",
                script.display()
            )
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("listening on ") {
                    let _ = tx.send(line);
                }
            }
        });
        let server = Self {
            child,
            port,
            maildir,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(_) => Some(server),
            // Its stdout closed: it exited (a port taken meanwhile, or no aiosmtpd).
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "scripts/smtp_server.py did not print \"listening on\" within 30 s; is \
                 aiosmtpd installed? scripts/setup.sh installs it"
            ),
        }
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.expect("maildir entry").path()).expect("message"))
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
