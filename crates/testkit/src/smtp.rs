//! A real SMTP server for notification tests: `scripts/smtp_server.py` (aiosmtpd, installed by
//! `scripts/setup.sh`) run as a child process on a free loopback port, storing what it
//! accepts in a temporary Maildir. Killed on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// aiosmtpd on 127.0.0.1.
pub struct SmtpServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server (with no authentication) and waits until it listens.
    ///
    /// # Panics
    /// When python3 or aiosmtpd is missing, or the server never listens.
    pub fn start() -> SmtpServer {
        // The port is free when picked but may be taken before Python binds it: a server
        // that exits before listening is started again elsewhere.
        for _ in 0..3 {
            if let Some(server) = Self::try_start() {
                return server;
            }
        }
        panic!(
            "scripts/smtp_server.py exited before listening, three times (see its stderr); is \
             aiosmtpd installed? scripts/setup.sh installs it"
        );
    }

    fn try_start() -> Option<SmtpServer> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_server.py");
        let maildir = tempfile::tempdir().expect("maildir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("python3")
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
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("listening on ") {
                    let _ = tx.send(());
                }
            }
        });
        let server = SmtpServer {
            child,
            port,
            maildir,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(()) => Some(server),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("scripts/smtp_server.py did not listen within 30 s")
            }
        }
    }

    /// The raw messages received so far, headers unfolded (a long header reads as one
    /// line) and line ends as `\n`.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|m| {
                m.replace("\r\n", "\n")
                    .replace("\n ", " ")
                    .replace("\n\t", " ")
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
