//! A [`Cluster`]: the processes of a distributed Weft installation, started one by one by a
//! test, on a fresh PostgreSQL database and a Redis namespace of its own.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::api::Api;
use crate::process::{Proc, free_port, wait_for, wfctl};

/// The API token of every test cluster.
pub const API_TOKEN: &str = "e2e-api-token";
/// The worker token of every test cluster.
pub const WORKER_TOKEN: &str = "e2e-worker-token";

/// One worker to start.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// Worker id.
    pub id: String,
    /// The host name it reports (each worker stands for a machine of its own).
    pub hostname: String,
    /// Queues it serves.
    pub queues: Vec<String>,
    /// Attempts at once.
    pub concurrency: usize,
    /// Seconds an attempt's lease lasts without a heartbeat.
    pub lease_secs: f64,
    /// The token it presents.
    pub token: String,
    /// The tenants it serves (`--tenants`); none: every tenant.
    pub tenants: Option<String>,
    /// The Redis URL it uses (a user limited to its tenants, say); none: the cluster's.
    pub redis: Option<String>,
    /// Environment variables of its own, over the cluster's.
    pub env: Vec<(String, String)>,
    /// The command line that starts its `wfctl` (an emulator and a binary for another
    /// machine, say); empty: the `wfctl` under test.
    pub launcher: Vec<std::ffi::OsString>,
}

impl WorkerSpec {
    /// A worker `id` on host `hostname` serving `queues`, concurrency 2, a 3 s lease.
    pub fn new(id: &str, hostname: &str, queues: &[&str]) -> WorkerSpec {
        WorkerSpec {
            id: id.to_owned(),
            hostname: hostname.to_owned(),
            queues: queues.iter().map(|q| (*q).to_owned()).collect(),
            concurrency: 2,
            lease_secs: 3.0,
            token: WORKER_TOKEN.to_owned(),
            tenants: None,
            redis: None,
            env: Vec::new(),
            launcher: Vec::new(),
        }
    }
}

/// The settings and working directory of one test installation.
pub struct Cluster {
    dir: PathBuf,
    /// Removes `dir` when the cluster is dropped, unless `WEFT_E2E_KEEP` is set.
    _cleanup: Option<tempfile::TempDir>,
    /// The PostgreSQL URL of its own database.
    pub database: String,
    /// The Redis server's URL.
    pub redis: String,
    /// Its Redis key namespace.
    pub namespace: String,
    /// The server's port, chosen by [`Cluster::plan_server`] or [`Cluster::server`].
    server_port: Option<u16>,
    server_url: Option<String>,
    /// The server's certificate and key files, and the CA's certificate (PEM), when the
    /// server speaks HTTPS (see [`Cluster::serve_https`]).
    https: Option<(PathBuf, PathBuf, String)>,
    /// Environment variables of the server and the schedulers: the installation's secret key
    /// (`WEFT_SECRET_KEY`), which both need (it seals credentials and derives attempt keys).
    pub server_env: Vec<(String, String)>,
    /// Environment variables of every process started from now on.
    env: Vec<(String, String)>,
}

impl Cluster {
    /// A cluster on a fresh database of the shared PostgreSQL server and `redis`.
    pub fn new(redis: &str) -> Cluster {
        Cluster::on(weft_testkit::postgres().fresh_database(), redis)
    }

    /// A cluster on the PostgreSQL database `database` and `redis`.
    pub fn on(database: String, redis: &str) -> Cluster {
        let temp = tempfile::Builder::new()
            .prefix("weft-e2e-")
            .tempdir()
            .expect("temp dir");
        let (dir, cleanup) = if std::env::var_os("WEFT_E2E_KEEP").is_some() {
            let dir = temp.keep();
            eprintln!("keeping the cluster's logs in {}", dir.display());
            (dir, None)
        } else {
            (temp.path().to_owned(), Some(temp))
        };
        Cluster {
            dir,
            _cleanup: cleanup,
            database,
            redis: redis.to_owned(),
            namespace: weft_testkit::unique_name("e2e"),
            server_port: None,
            server_url: None,
            https: None,
            server_env: Vec::new(),
            env: Vec::new(),
        }
    }

    /// A cluster on the shared Redis server.
    pub fn on_shared_redis() -> Cluster {
        Cluster::new(weft_testkit::redis().url())
    }

    fn command(&self, name: &str, args: &[&str]) -> Command {
        self.command_of(&[], name, args)
    }

    /// [`command`](Self::command) started by `launcher` (see [`WorkerSpec::launcher`]).
    fn command_of(&self, launcher: &[std::ffi::OsString], name: &str, args: &[&str]) -> Command {
        let mut command = match launcher.split_first() {
            Some((program, leading)) => {
                let mut command = Command::new(program);
                command.args(leading);
                command
            }
            None => Command::new(wfctl()),
        };
        command
            .args(args)
            .env("WEFT_HOME", self.dir.as_path().join(name))
            .env("WEFT_CACHE_DIR", crate::process::shared_cache_dir())
            .env("WEFT_LOG", "info,weft=debug")
            .env_remove("WEFT_SERVER")
            .env_remove("WEFT_CONFIG")
            .env_remove("WEFT_SECRET_KEY")
            .env_remove("WEFT_SECRET_KEY_FILE")
            .env_remove("WEFT_SECRET_KEY_PREVIOUS")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Set environment variable `key` for every process started from now on (an operator
    /// setting, say).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_owned(), value.to_owned()));
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.as_path().join(format!("{name}.log"))
    }

    /// Serve the API over HTTPS with the server certificate and key of `files` (for
    /// `localhost`), and give every process started from now on `WEFT_CA_FILE` with its CA.
    pub fn serve_https(&mut self, files: &weft_testkit::tls::TlsFiles) {
        let ca = std::fs::read_to_string(&files.ca).expect("the CA file");
        self.https = Some((files.cert.clone(), files.key.clone(), ca));
        self.set_env("WEFT_CA_FILE", &files.ca.to_string_lossy());
    }

    /// The server's URL on `port`.
    fn url_on(&self, port: u16) -> String {
        match self.https {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        }
    }

    /// Choose the server's port and URL before it starts, so that workers started first know
    /// where it will be; the URL.
    pub fn plan_server(&mut self) -> String {
        let port = *self.server_port.get_or_insert_with(free_port);
        let url = self.url_on(port);
        self.server_url = Some(url.clone());
        url
    }

    /// Start `wfctl server` (on the planned port, else a free one) and wait until it answers.
    pub fn server(&mut self) -> Proc {
        let mut proc = self.spawn_server();
        let api = self.anonymous_api();
        wait_for("the server to answer", Duration::from_secs(30), || {
            assert!(proc.is_running(), "server exited:\n{}", proc.output());
            api.healthy().then_some(())
        });
        proc
    }

    /// Start `wfctl server` (on the planned port, else a free one), with
    /// [`server_env`](Self::server_env), without waiting for it.
    pub fn spawn_server(&mut self) -> Proc {
        let port_number = *self.server_port.get_or_insert_with(free_port);
        let port = port_number.to_string();
        let mut command = self.command(
            "server",
            &[
                "server",
                "--database",
                &self.database,
                "--redis",
                &self.redis,
                "--namespace",
                &self.namespace,
                "--port",
                &port,
                "--api-tokens",
                API_TOKEN,
                "--worker-tokens",
                WORKER_TOKEN,
                "--command-timeout",
                "5",
            ],
        );
        command.envs(self.server_env.iter().map(|(k, v)| (k, v)));
        if let Some((cert, key, _)) = &self.https {
            command
                .arg("--tls-cert")
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        let proc = Proc::spawn("server", command, &self.log("server"));
        self.server_url = Some(self.url_on(port_number));
        proc
    }

    /// The server's URL (after [`Cluster::server`] or [`Cluster::plan_server`]).
    pub fn url(&self) -> String {
        self.server_url.clone().expect("the server was started")
    }

    /// A client of the server, with the API token.
    pub fn api(&self) -> Api {
        self.anonymous_api().with_token(API_TOKEN)
    }

    /// A client of the server without a token (trusting the test CA over HTTPS).
    pub fn anonymous_api(&self) -> Api {
        let ca = self.https.as_ref().map(|(_, _, ca)| ca.as_str());
        Api::new_trusting(&self.url(), ca)
    }

    /// Start `wfctl scheduler` with id `id`: a 2 s leadership lease, leases checked twice a second.
    pub fn scheduler(&self, id: &str) -> Proc {
        self.scheduler_with(id, &[])
    }

    /// [`Cluster::scheduler`] with environment variables of its own, over the cluster's.
    pub fn scheduler_with(&self, id: &str, env: &[(&str, &str)]) -> Proc {
        let mut command = self.command(
            id,
            &[
                "scheduler",
                "--database",
                &self.database,
                "--redis",
                &self.redis,
                "--namespace",
                &self.namespace,
                "--id",
                id,
                "--leader-ttl",
                "2",
                "--lease-check-interval",
                "0.5",
                "--parallelism",
                "64",
            ],
        );
        command.envs(self.server_env.iter().map(|(k, v)| (k, v)));
        command.envs(env.iter().copied());
        Proc::spawn(id, command, &self.log(id))
    }

    /// Start `wfctl worker` as `spec` says; its home (component cache) is its own.
    pub fn worker(&self, spec: &WorkerSpec) -> Proc {
        let queues = spec.queues.join(",");
        let concurrency = spec.concurrency.to_string();
        let lease = spec.lease_secs.to_string();
        let tenants = spec.tenants.clone().unwrap_or_else(|| "*".to_owned());
        let redis = spec.redis.clone().unwrap_or_else(|| self.redis.clone());
        let mut command = self.command_of(
            &spec.launcher,
            &spec.id,
            &[
                "worker",
                "--queues",
                &queues,
                "--concurrency",
                &concurrency,
                "--tenants",
                &tenants,
                "--redis",
                &redis,
                "--namespace",
                &self.namespace,
                "--server",
                &self.url(),
                "--token",
                &spec.token,
                "--id",
                &spec.id,
                "--lease",
                &lease,
                "--grace",
                "2",
            ],
        );
        command.env("WEFT_HOSTNAME", &spec.hostname);
        command.envs(spec.env.iter().map(|(k, v)| (k, v)));
        Proc::spawn(&spec.id, command, &self.log(&spec.id))
    }

    /// Run `wfctl` with `args` against the server (with the API token); its exit code and output.
    pub fn wfctl(&self, args: &[&str]) -> (i32, String) {
        let (code, stdout, stderr) = self.wfctl_as(API_TOKEN, args);
        (code, format!("{stdout}{stderr}"))
    }

    /// Run `wfctl` with `args` against the server with API token `token`; its exit code,
    /// standard output and standard error.
    pub fn wfctl_as(&self, token: &str, args: &[&str]) -> (i32, String, String) {
        let output = self
            .command("cli", args)
            .env("WEFT_SERVER", self.url())
            .env("WEFT_API_TOKEN", token)
            .output()
            .expect("wfctl runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}
