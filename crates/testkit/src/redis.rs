//! A real Redis server for tests on a free loopback port, with no persistence, or a server
//! named by `WEFT_TEST_REDIS_URL`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::error::{TestkitError, TestkitResult};
use crate::process::{self, Watchdog};

/// Environment variable naming a running server to use instead of starting one
/// (`redis://127.0.0.1:6379/`).
pub const REDIS_URL_ENV: &str = "WEFT_TEST_REDIS_URL";

/// Stops a started server: the watchdog's script (`$1` dir, `$2` port, `$3` redis-cli).
const STOP_SCRIPT: &str = r#"
"$3" -p "$2" shutdown nosave >/dev/null 2>&1 || {
    [ -f "$1/redis.pid" ] && kill "$(cat "$1/redis.pid")" 2>/dev/null
}
rm -rf "$1"
"#;

/// A Redis server: started by this process (and stopped when dropped, or when the process
/// ends), or an external one named by [`REDIS_URL_ENV`].
#[derive(Debug)]
pub struct RedisServer {
    url: String,
    port: Option<u16>,
    cli: Option<PathBuf>,
    watchdog: Option<Watchdog>,
}

impl RedisServer {
    /// Start a new server in a new temp dir on a free loopback port.
    pub fn start() -> TestkitResult<Self> {
        let server = process::find_program("redis-server", &[])?;
        let cli = process::find_program("redis-cli", &[])?;
        let mut attempt = 1;
        loop {
            match start_once(&server, &cli) {
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
        let mut command = Command::new(cli);
        command.args(["-p", &port.to_string()]).args(args);
        process::run(command, &format!("redis-cli {}", args.join(" ")))
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

fn start_once(server: &std::path::Path, cli: &std::path::Path) -> TestkitResult<RedisServer> {
    let dir = process::make_dir("weft-redis-")?;
    let port = process::free_port()?;
    let port_text = port.to_string();
    let dir_text = dir.to_string_lossy().into_owned();
    let cli_text = cli.to_string_lossy().into_owned();
    let watchdog = Watchdog::spawn(STOP_SCRIPT, &[&dir_text, &port_text, &cli_text])?;
    let mut started = RedisServer {
        url: format!("redis://127.0.0.1:{port}/"),
        port: Some(port),
        cli: Some(cli.to_owned()),
        watchdog: Some(watchdog),
    };
    let mut command = Command::new(server);
    command.args([
        "--port",
        &port_text,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]);
    command.args(["--daemonize", "yes", "--dir", &dir_text]);
    command.arg("--pidfile").arg(dir.join("redis.pid"));
    command.arg("--logfile").arg(dir.join("redis.log"));
    process::run(command, "redis-server")?;
    let ready = process::wait_until(Duration::from_secs(10), || {
        started.cli(&["ping"]).is_ok_and(|out| out.trim() == "PONG")
    });
    if !ready {
        let log = process::log_tail(&dir.join("redis.log"));
        started.stop();
        return Err(TestkitError::NotReady {
            server: "Redis",
            port,
            seconds: 10,
            log,
        });
    }
    Ok(started)
}
