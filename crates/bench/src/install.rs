//! [`Installation`]: Weft started as a user starts it, from the `wfctl` binary — embedded
//! (`wfctl standalone`) or distributed (`wfctl server`, `wfctl scheduler` and one
//! `wfctl worker` on PostgreSQL and Redis) — and reached only through its HTTP API.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use weft_client::Client;
use weft_testkit::{PostgresServer, RedisServer};
use weft_tls::Trust;

use crate::client::{Asked, BenchApi};
use crate::error::BenchError;
use crate::goals::{self, ModeGoals};
use crate::process::{Service, free_port, log_tail};

/// The API token of a distributed benchmark installation.
const API_TOKEN: &str = "bench-api-token";
/// Its worker token.
const WORKER_TOKEN: &str = "bench-worker-token";
/// The scheduler's `--max-map-length`: room for the mapped task of the full benchmark.
const MAX_MAP_LENGTH: &str = "10000";
/// How long processes get to start answering.
const START_WAIT: Duration = Duration::from_secs(60);

/// How Weft is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `wfctl standalone`: API, scheduler and worker in one process, SQLite, in-process queue.
    Embedded,
    /// `wfctl server`, `wfctl scheduler` and one `wfctl worker`, on PostgreSQL and Redis.
    Distributed,
}

impl Mode {
    /// `embedded` or `distributed`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Embedded => "embedded",
            Mode::Distributed => "distributed",
        }
    }

    /// The goals of this mode.
    pub fn goals(self) -> ModeGoals {
        match self {
            Mode::Embedded => goals::EMBEDDED,
            Mode::Distributed => goals::DISTRIBUTED,
        }
    }
}

/// What every installation is started with.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The `wfctl` binary.
    pub wfctl: PathBuf,
    /// A directory for homes and logs (one sub-directory per mode is made).
    pub dir: PathBuf,
    /// The scheduler's `--parallelism`.
    pub parallelism: usize,
    /// Task attempts a worker runs at once.
    pub concurrency: usize,
    /// The tiny configuration: a distributed installation next door to another
    /// ([`Installation::next_door`]) uses the test suite's PostgreSQL and Redis when
    /// `WEFT_TEST_POSTGRES_URL` / `WEFT_TEST_REDIS_URL` name them.
    pub quick: bool,
}

/// Where a distributed installation keeps its state.
#[derive(Debug, Clone)]
pub struct Backends {
    /// A fresh PostgreSQL database.
    pub database_url: String,
    /// The Redis server.
    pub redis_url: String,
    /// A Redis key namespace of its own.
    pub namespace: String,
}

/// TLS on every link of a distributed installation: the API server's certificate and key,
/// and the CA that every process and client trusts (`WEFT_CA_FILE`). The backends' URLs say
/// TLS themselves (`rediss://`, `sslmode=verify-full`).
#[derive(Debug, Clone)]
pub struct LinkTls {
    /// The API server's certificate, PEM, for `localhost`.
    pub cert: PathBuf,
    /// Its private key, PEM.
    pub key: PathBuf,
    /// The CA's certificate, PEM.
    pub ca: PathBuf,
}

/// What an embedded installation is started with besides the defaults.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// More flags for `wfctl standalone` (`--egress-allow RULE`, say).
    pub args: Vec<String>,
    /// More environment variables (`WEFT_SECRET_KEY`, say).
    pub env: Vec<(String, String)>,
}

/// A running installation.
pub struct Installation {
    /// Which mode.
    pub mode: Mode,
    /// A client of its API server.
    pub api: Client,
    url: String,
    token: Option<&'static str>,
    /// Where the scheduler's process serves its metrics on a port of its own, from memory
    /// (the API's scrape also reads the store); the API's when none.
    scheduler_metrics: Option<String>,
    services: Vec<Service>,
    dir: PathBuf,
    wfctl: PathBuf,
    /// Variables every process and client command gets (`WEFT_CA_FILE`).
    env: Vec<(String, String)>,
    /// What it was started with.
    options: InstallOptions,
}

/// An installation next door to another, on the same machine: the same mode, with a store,
/// a queue and processes of its own. Stopped when dropped, its servers after it.
pub struct NextDoor {
    /// The installation.
    pub installation: Installation,
    /// A distributed one's PostgreSQL and Redis.
    _servers: Option<(PostgresServer, RedisServer)>,
}

impl Installation {
    /// Start `wfctl standalone` with a fresh home and wait until it answers.
    pub fn embedded(options: &InstallOptions) -> Result<Installation, BenchError> {
        Installation::embedded_with(options, &Extras::default())
    }

    /// Another installation of this one's mode next door, in directory `name` under this
    /// one's, with backends of its own (distributed: its own PostgreSQL and Redis, or in the
    /// tiny configuration a fresh database and namespace on the test suite's servers). It is
    /// started as [`Installation::embedded`] or [`Installation::distributed`] start one: no
    /// extras, plain HTTP, one worker.
    pub fn next_door(&self, name: &str) -> Result<NextDoor, BenchError> {
        let options = InstallOptions {
            dir: self.dir.join(name),
            ..self.options.clone()
        };
        match self.mode {
            Mode::Embedded => Ok(NextDoor {
                installation: Installation::embedded(&options)?,
                _servers: None,
            }),
            Mode::Distributed => {
                let (postgres, redis) = services(options.quick)?;
                let backends = Backends {
                    database_url: postgres.try_fresh_database()?,
                    redis_url: redis.url().to_owned(),
                    namespace: weft_testkit::unique_name("bench-next-door"),
                };
                Ok(NextDoor {
                    installation: Installation::distributed(&options, &backends, None)?,
                    _servers: Some((postgres, redis)),
                })
            }
        }
    }

    /// Start `wfctl standalone` with a fresh home and `extras`, and wait until it answers.
    pub fn embedded_with(
        options: &InstallOptions,
        extras: &Extras,
    ) -> Result<Installation, BenchError> {
        let mut installation = Installation::new(Mode::Embedded, options, None)?;
        let port = free_port()?.to_string();
        let home = installation.dir.join("standalone-home");
        let parallelism = options.parallelism.to_string();
        let concurrency = options.concurrency.to_string();
        let home_text = home.to_string_lossy().into_owned();
        // The process's metrics from memory: the API's scrape also reads the store.
        let metrics = format!("127.0.0.1:{}", free_port()?);
        let mut args = vec![
            "standalone",
            "--metrics-addr",
            &metrics,
            "--port",
            &port,
            "--home",
            &home_text,
            "--parallelism",
            &parallelism,
            "--concurrency",
            &concurrency,
            "--max-map-length",
            MAX_MAP_LENGTH,
        ];
        args.extend(extras.args.iter().map(String::as_str));
        installation.url = format!("http://127.0.0.1:{port}");
        installation.api = Client::new_trusting(&installation.url, &Trust::default());
        installation.start_with("standalone", &args, &extras.env)?;
        installation.scheduler_metrics = Some(format!("http://{metrics}/metrics"));
        installation.wait_healthy()?;
        Ok(installation)
    }

    /// Start `wfctl server`, `wfctl scheduler` and one `wfctl worker` on `backends`, each
    /// with a fresh home, and wait until the server answers and the worker is alive; with
    /// `tls`, the server answers over HTTPS and every process trusts its CA.
    pub fn distributed(
        options: &InstallOptions,
        backends: &Backends,
        tls: Option<&LinkTls>,
    ) -> Result<Installation, BenchError> {
        Installation::distributed_with_workers(options, backends, tls, 1)
    }

    /// [`Installation::distributed`] with `workers` worker processes on the one queue, each
    /// running `options.concurrency` attempts at once; waits until all are alive.
    pub fn distributed_with_workers(
        options: &InstallOptions,
        backends: &Backends,
        tls: Option<&LinkTls>,
        workers: usize,
    ) -> Result<Installation, BenchError> {
        let mut installation = Installation::new(Mode::Distributed, options, Some(API_TOKEN))?;
        let port = free_port()?.to_string();
        let mut server_tls = Vec::new();
        match tls {
            Some(tls) => {
                let trust = Trust::with_ca_file(&tls.ca).map_err(|e| BenchError::BadAnswer {
                    what: tls.ca.display().to_string(),
                    reason: e.to_string(),
                })?;
                installation.url = format!("https://localhost:{port}");
                installation.api = Client::new_trusting(&installation.url, &trust)
                    .with_token(Some(API_TOKEN.to_owned()));
                installation.env.push((
                    "WEFT_CA_FILE".to_owned(),
                    tls.ca.to_string_lossy().into_owned(),
                ));
                server_tls = vec![
                    "--tls-cert".to_owned(),
                    tls.cert.to_string_lossy().into_owned(),
                    "--tls-key".to_owned(),
                    tls.key.to_string_lossy().into_owned(),
                ];
            }
            None => {
                installation.url = format!("http://127.0.0.1:{port}");
                installation.api = Client::new_trusting(&installation.url, &Trust::default())
                    .with_token(Some(API_TOKEN.to_owned()));
            }
        }
        let shared = [
            "--redis",
            &backends.redis_url,
            "--namespace",
            &backends.namespace,
        ];
        let mut server = vec!["server", "--database", &backends.database_url];
        server.extend(shared);
        server.extend([
            "--port",
            &port,
            "--api-tokens",
            API_TOKEN,
            "--worker-tokens",
            WORKER_TOKEN,
        ]);
        server.extend(server_tls.iter().map(String::as_str));
        installation.start("server", &server)?;
        installation.wait_healthy()?;

        let parallelism = options.parallelism.to_string();
        let metrics = format!("127.0.0.1:{}", free_port()?);
        let mut scheduler = vec!["scheduler", "--database", &backends.database_url];
        scheduler.extend(shared);
        scheduler.extend([
            "--metrics-addr",
            &metrics,
            "--id",
            "bench-scheduler",
            "--lease-check-interval",
            "0.5",
            "--parallelism",
            &parallelism,
            "--max-map-length",
            MAX_MAP_LENGTH,
        ]);
        installation.start("scheduler", &scheduler)?;
        installation.scheduler_metrics = Some(format!("http://{metrics}/metrics"));

        let concurrency = options.concurrency.to_string();
        let url = installation.url.clone();
        for index in 1..=workers.max(1) {
            // One worker keeps the names it always had; many are numbered.
            let (name, id) = match workers {
                0 | 1 => ("worker".to_owned(), "bench-worker".to_owned()),
                _ => (format!("worker-{index}"), format!("bench-worker-{index}")),
            };
            let mut worker = vec!["worker", "--queues", "default"];
            worker.extend(shared);
            worker.extend([
                "--concurrency",
                &concurrency,
                "--server",
                &url,
                "--token",
                WORKER_TOKEN,
                "--id",
                &id,
                "--grace",
                "2",
            ]);
            installation.start(&name, &worker)?;
        }
        installation.wait_for_workers(workers.max(1))?;
        Ok(installation)
    }

    fn new(
        mode: Mode,
        options: &InstallOptions,
        token: Option<&'static str>,
    ) -> Result<Installation, BenchError> {
        let dir = options.dir.join(mode.name());
        std::fs::create_dir_all(&dir).map_err(|e| BenchError::io(&dir, e))?;
        Ok(Installation {
            mode,
            api: Client::new_trusting("http://127.0.0.1:0", &Trust::default()),
            url: String::new(),
            token,
            scheduler_metrics: None,
            services: Vec::new(),
            dir,
            wfctl: options.wfctl.clone(),
            env: Vec::new(),
            options: options.clone(),
        })
    }

    /// A `wfctl` command with a home of its own under this installation's directory, no
    /// `WEFT_*` variable of the caller's environment, and this installation's variables.
    fn command(&self, home: &str, args: &[&str]) -> Command {
        let mut command = wfctl_command(&self.wfctl, &self.dir.join(home), args);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    fn start(&mut self, name: &str, args: &[&str]) -> Result<(), BenchError> {
        self.start_with(name, args, &[])
    }

    fn start_with(
        &mut self,
        name: &str,
        args: &[&str],
        env: &[(String, String)],
    ) -> Result<(), BenchError> {
        let mut command = self.command(&format!("{name}-home"), args);
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let log = self.dir.join(format!("{name}.log"));
        self.services.push(Service::spawn(name, command, &log)?);
        Ok(())
    }

    /// `wfctl ARGS` as a client of this installation (server URL and API token set).
    pub fn client_command(&self, args: &[&str]) -> Command {
        let mut command = self.command("cli-home", args);
        command.env("WEFT_SERVER", &self.url);
        if let Some(token) = self.token {
            command.env("WEFT_API_TOKEN", token);
        }
        command
    }

    /// Steps the scheduler has taken since it started (`weft_scheduler_step_seconds_count`).
    pub fn scheduler_steps(&self) -> Result<u64, BenchError> {
        let text = match &self.scheduler_metrics {
            Some(url) => self.api.metrics_at(url)?,
            None => self
                .api
                .metrics()
                .asked(|| "read the server's metrics".to_owned())?,
        };
        crate::client::metric_value(&text, "weft_scheduler_step_seconds_count").ok_or_else(|| {
            BenchError::BadAnswer {
                what: "the scheduler's metrics".to_owned(),
                reason: "no weft_scheduler_step_seconds_count".to_owned(),
            }
        })
    }

    /// This installation's directory (homes and logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An error naming the first of its processes that is not running any more.
    pub fn check_alive(&mut self) -> Result<(), BenchError> {
        self.services
            .iter_mut()
            .try_for_each(Service::check_running)
    }

    /// Each process's role and pid.
    pub fn processes(&self) -> Vec<(String, u32)> {
        self.services
            .iter()
            .map(|s| (s.name().to_owned(), s.pid()))
            .collect()
    }

    /// Stop every process (SIGTERM, then SIGKILL after a grace period), workers first.
    pub fn stop(&mut self) {
        while let Some(mut service) = self.services.pop() {
            service.stop(Duration::from_secs(10));
        }
    }

    fn wait_healthy(&mut self) -> Result<(), BenchError> {
        let api = self.api.clone();
        let mut last = String::new();
        let waited = self.wait_until("the API server to answer", || {
            Ok(api.health().map_err(|why| last = why.to_string()).is_ok())
        });
        waited.map_err(|e| match e {
            BenchError::Timeout { what, seconds } => BenchError::Timeout {
                what: format!("{what} (last: {last})"),
                seconds,
            },
            other => other,
        })
    }

    fn wait_for_workers(&mut self, workers: usize) -> Result<(), BenchError> {
        let api = self.api.clone();
        let what = match workers {
            1 => "the worker to register".to_owned(),
            n => format!("{n} workers to register"),
        };
        self.wait_until(&what, || Ok(api.alive_workers().unwrap_or(0) >= workers))
    }

    fn wait_until(
        &mut self,
        what: &str,
        mut ready: impl FnMut() -> Result<bool, BenchError>,
    ) -> Result<(), BenchError> {
        let started = Instant::now();
        loop {
            self.check_alive()?;
            if ready()? {
                return Ok(());
            }
            if started.elapsed() > START_WAIT {
                return Err(BenchError::Timeout {
                    what: what.to_owned(),
                    seconds: START_WAIT.as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `wfctl build PROJECT --output OUT` with home `home` and the variables `envs`, its messages
/// in the file `log`; an error (with the log's last lines) unless it wrote `out`.
pub fn wfctl_build(
    wfctl: &Path,
    home: &Path,
    project: &Path,
    out: &Path,
    log: &Path,
    envs: &[(&str, &OsStr)],
) -> Result<(), BenchError> {
    let project_text = project.to_string_lossy().into_owned();
    let out_text = out.to_string_lossy().into_owned();
    let mut command = wfctl_command(
        wfctl,
        home,
        &["build", &project_text, "--output", &out_text],
    );
    command.envs(envs.iter().copied());
    let file = std::fs::File::create(log).map_err(|e| BenchError::io(log, e))?;
    let err = file.try_clone().map_err(|e| BenchError::io(log, e))?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err));
    let status = command.status().map_err(|source| BenchError::Spawn {
        name: "wfctl build".to_owned(),
        program: wfctl.to_owned(),
        source,
    })?;
    if !status.success() || !out.is_file() {
        return Err(BenchError::Command {
            what: format!("wfctl build {project_text} (log {})", log.display()),
            status: status.to_string(),
            output: log_tail(log, 30),
        });
    }
    Ok(())
}

/// PostgreSQL and Redis: new servers on free loopback ports, or in quick mode the test
/// suite's servers when `WEFT_TEST_POSTGRES_URL` / `WEFT_TEST_REDIS_URL` name them.
pub fn services(quick: bool) -> Result<(PostgresServer, RedisServer), BenchError> {
    if quick {
        Ok((
            PostgresServer::from_env_or_start()?,
            RedisServer::from_env_or_start()?,
        ))
    } else {
        Ok((PostgresServer::start()?, RedisServer::start()?))
    }
}

/// `wfctl ARGS` with home `home` and no `WEFT_*` variable of the caller's environment;
/// it logs warnings, or what [`LOG_FILTER`] asks for when it is set.
pub fn wfctl_command(wfctl: &Path, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(wfctl);
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("WEFT_") {
            command.env_remove(name);
        }
    }
    let log = std::env::var(LOG_FILTER).unwrap_or_else(|_| "warn".to_owned());
    command.env("WEFT_HOME", home).env("WEFT_LOG", log);
    command
}

/// The variable that sets the installations' log filter (`WEFT_LOG`) when set: their logs
/// are then kept after the run (`weft_scheduler=debug` logs each scheduler step's timings).
pub const LOG_FILTER: &str = "WEFT_BENCH_LOG";

impl Drop for Installation {
    fn drop(&mut self) {
        self.stop();
    }
}
