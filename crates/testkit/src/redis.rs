//! A real Redis server for tests on a free loopback port, with no persistence, or a server
//! named by `WEFT_TEST_REDIS_URL`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{TestkitError, TestkitResult};
use crate::process::{self, Watchdog};
use crate::tls::TlsFiles;

/// Environment variable naming a running server to use instead of starting one
/// (`redis://127.0.0.1:6379/`).
pub const REDIS_URL_ENV: &str = "WEFT_TEST_REDIS_URL";

/// Stops a started server: the watchdog's script (`$1` dir, `$2` port, `$3` redis-cli).
///
/// `redis-cli`'s exit status cannot tell whether the server stopped (a server that speaks
/// TLS only resets the plain connection, and `redis-cli` still exits 0), but a server that
/// stopped has removed its pid file: one left behind names a server to stop with a signal.
const STOP_SCRIPT: &str = r#"
"$3" -p "$2" shutdown nosave >/dev/null 2>&1
if [ -f "$1/redis.pid" ]; then
    kill "$(cat "$1/redis.pid")" 2>/dev/null
fi
rm -rf "$1"
"#;

/// A Redis server: started by this process (and stopped when dropped, or when the process
/// ends), or an external one named by [`REDIS_URL_ENV`].
#[derive(Debug)]
pub struct RedisServer {
    url: String,
    port: Option<u16>,
    cli: Option<PathBuf>,
    /// `redis-server` and the server's directory, for a server this process started.
    launch: Option<(PathBuf, PathBuf)>,
    /// Whether the server speaks TLS only (its directory holds `ca.pem`, `server.pem` and
    /// `server.key`).
    tls: bool,
    watchdog: Option<Watchdog>,
}

impl RedisServer {
    /// Start a new server in a new temp dir on a free loopback port.
    pub fn start() -> TestkitResult<Self> {
        let server = process::find_program("redis-server", &[])?;
        let cli = process::find_program("redis-cli", &[])?;
        let mut attempt = 1;
        loop {
            match start_once(&server, &cli, None) {
                Ok(started) => return Ok(started),
                Err(TestkitError::Failed { .. } | TestkitError::NotReady { .. }) if attempt < 3 => {
                    attempt += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Start a new server that speaks TLS only, with the certificate and key of `files`
    /// (copied into its directory): its URL is `rediss://localhost:<port>/`, and a client
    /// must trust `files.ca`.
    pub fn start_tls(files: &TlsFiles) -> TestkitResult<Self> {
        let server = process::find_program("redis-server", &[])?;
        let cli = process::find_program("redis-cli", &[])?;
        let mut attempt = 1;
        loop {
            match start_once(&server, &cli, Some(files)) {
                Ok(started) => return Ok(started),
                Err(TestkitError::Failed { .. } | TestkitError::NotReady { .. }) if attempt < 3 => {
                    attempt += 1
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Use a running server.
    pub fn external(url: &str) -> TestkitResult<Self> {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(TestkitError::BadUrl {
                variable: REDIS_URL_ENV,
                url: url.to_owned(),
                reason: "expected redis://...",
            });
        }
        Ok(Self {
            url: url.to_owned(),
            port: None,
            cli: None,
            launch: None,
            tls: false,
            watchdog: None,
        })
    }

    /// The server named by [`REDIS_URL_ENV`] if it is set, else a new one.
    pub fn from_env_or_start() -> TestkitResult<Self> {
        match std::env::var(REDIS_URL_ENV) {
            Ok(url) if !url.is_empty() => Self::external(&url),
            _ => Self::start(),
        }
    }

    /// The server's URL (`redis://127.0.0.1:<port>/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Port of a server this process started; `None` for an external one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Run `redis-cli` with `args` against a server this process started; its output.
    /// (For an external server use a client library with [`url`](Self::url).)
    pub fn cli(&self, args: &[&str]) -> TestkitResult<String> {
        let (Some(cli), Some(port)) = (&self.cli, self.port) else {
            return Err(TestkitError::BadUrl {
                variable: REDIS_URL_ENV,
                url: self.url.clone(),
                reason: "redis-cli is only run against servers the testkit started",
            });
        };
        let mut command = cli_command(cli, port, self.launch_dir().filter(|_| self.tls));
        command.args(args);
        process::run(command, &format!("redis-cli {}", args.join(" ")))
    }

    /// Stop a server this process started and start it again on the same port and URL, with
    /// no data (it never persists any): what a restart without persistence does to clients.
    pub fn restart(&mut self) -> TestkitResult<()> {
        self.shut_down()?;
        self.start_again()
    }

    /// Stop the server process of a server this process started, keeping its port, directory
    /// and watchdog, so that [`start_again`](Self::start_again) can bring it back.
    pub fn shut_down(&mut self) -> TestkitResult<()> {
        let port = self.started_port("shut down")?;
        // The server closes the connection as it stops; whether redis-cli calls that an
        // error varies, so the port tells.
        let _ = self.cli(&["shutdown", "nosave"]);
        if process::wait_until(Duration::from_secs(10), || !process::port_open(port)) {
            Ok(())
        } else {
            Err(TestkitError::Failed {
                what: format!("redis-cli -p {port} shutdown nosave"),
                status: "server still listening after 10 s".to_owned(),
                output: String::new(),
            })
        }
    }

    /// Start again, on its old port, a server stopped by [`shut_down`](Self::shut_down).
    pub fn start_again(&mut self) -> TestkitResult<()> {
        let port = self.started_port("start again")?;
        let (Some((server, dir)), Some(cli)) = (&self.launch, &self.cli) else {
            return Err(self.not_started("start again"));
        };
        launch(server, cli, dir, port, self.tls)
    }

    fn launch_dir(&self) -> Option<&Path> {
        self.launch.as_ref().map(|(_, dir)| dir.as_path())
    }

    fn started_port(&self, what: &'static str) -> TestkitResult<u16> {
        match (self.port, &self.watchdog) {
            (Some(port), Some(_)) => Ok(port),
            _ => Err(self.not_started(what)),
        }
    }

    fn not_started(&self, what: &'static str) -> TestkitError {
        TestkitError::BadUrl {
            variable: REDIS_URL_ENV,
            url: self.url.clone(),
            reason: match what {
                "shut down" => "only a running server the testkit started can be shut down",
                _ => "only a server the testkit started can be started again",
            },
        }
    }

    /// Stop a server this process started (dropping does the same); nothing for an external one.
    pub fn stop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            watchdog.stop();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn start_once(server: &Path, cli: &Path, tls: Option<&TlsFiles>) -> TestkitResult<RedisServer> {
    let dir = process::make_dir("weft-redis-")?;
    if let Some(files) = tls {
        for (from, to) in [
            (&files.ca, "ca.pem"),
            (&files.cert, "server.pem"),
            (&files.key, "server.key"),
        ] {
            std::fs::copy(from, dir.join(to)).map_err(|source| TestkitError::Io {
                what: "copying into the Redis directory",
                path: from.clone(),
                source,
            })?;
        }
    }
    let port = process::free_port()?;
    let port_text = port.to_string();
    let dir_text = dir.to_string_lossy().into_owned();
    let cli_text = cli.to_string_lossy().into_owned();
    let watchdog = Watchdog::spawn(STOP_SCRIPT, &[&dir_text, &port_text, &cli_text])?;
    let url = match tls {
        Some(_) => format!("rediss://localhost:{port}/"),
        None => format!("redis://127.0.0.1:{port}/"),
    };
    let mut started = RedisServer {
        url,
        port: Some(port),
        cli: Some(cli.to_owned()),
        launch: Some((server.to_owned(), dir.clone())),
        tls: tls.is_some(),
        watchdog: Some(watchdog),
    };
    if let Err(e) = launch(server, cli, &dir, port, tls.is_some()) {
        started.stop();
        return Err(e);
    }
    Ok(started)
}

/// `redis-cli` against `port`, over TLS trusting `dir/ca.pem` when `tls_dir` is given.
fn cli_command(cli: &Path, port: u16, tls_dir: Option<&Path>) -> Command {
    let mut command = Command::new(cli);
    command.args(["-p", &port.to_string()]);
    if let Some(dir) = tls_dir {
        command.arg("--tls").arg("--cacert").arg(dir.join("ca.pem"));
        command.args(["-h", "localhost"]);
    }
    command
}

/// Runs `redis-server` on `port` in `dir` (TLS only, with the files in `dir`, when `tls`)
/// and waits until it answers.
fn launch(server: &Path, cli: &Path, dir: &Path, port: u16, tls: bool) -> TestkitResult<()> {
    let port_text = port.to_string();
    let dir_text = dir.to_string_lossy().into_owned();
    let mut command = Command::new(server);
    if tls {
        command.args(["--port", "0", "--tls-port", &port_text]);
        command.arg("--tls-cert-file").arg(dir.join("server.pem"));
        command.arg("--tls-key-file").arg(dir.join("server.key"));
        command.arg("--tls-ca-cert-file").arg(dir.join("ca.pem"));
        command.args(["--tls-auth-clients", "no"]);
    } else {
        command.args(["--port", &port_text]);
    }
    command.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    command.args(["--daemonize", "yes", "--dir", &dir_text]);
    command.arg("--pidfile").arg(dir.join("redis.pid"));
    command.arg("--logfile").arg(dir.join("redis.log"));
    process::run(command, "redis-server")?;
    let ping = || {
        let mut command = cli_command(cli, port, tls.then_some(dir));
        command.arg("ping");
        process::run(command, "redis-cli ping").is_ok_and(|out| out.trim() == "PONG")
    };
    if process::wait_until(Duration::from_secs(10), ping) {
        return Ok(());
    }
    Err(TestkitError::NotReady {
        server: "Redis",
        port,
        seconds: 10,
        log: process::log_tail(&dir.join("redis.log")),
    })
}
