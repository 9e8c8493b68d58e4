//! Running the `wfctl` binary from tests, and building the examples once per test process (a
//! Python or TypeScript one once per suite run).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use weft_testkit::examples::interpreted_component;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The compile cache every wfctl the tests start shares (as the embedded stack's end-to-end
/// tests do): a 14-18 MB Python or TypeScript component compiles once per suite run.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo().join("target"), PathBuf::from)
        .join("e2e-compile-cache")
}

/// A Weft home shared by the tests of this binary.
fn home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temporary home"))
        .path()
}

/// What a `wfctl` run printed and how it ended.
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `wfctl` with `args` from the repository's root.
pub fn wfctl<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    wfctl_env(args, [] as [(&str, &str); 0])
}

/// Run `wfctl` with `args` from the repository's root, with the variables `env` set.
pub fn wfctl_env<I, S, E, K, V>(args: I, env: E) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
    E: IntoIterator<Item = (K, V)>,
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let out: Output = Command::new(env!("CARGO_BIN_EXE_wfctl"))
        .args(args)
        .current_dir(repo())
        .env("WEFT_HOME", home())
        .env("WEFT_CACHE_DIR", cache_dir())
        .env_remove("WEFT_LOG")
        // The operator's egress policy is what each test passes, never the caller's.
        .env_remove("WEFT_EGRESS_ALLOW")
        .env_remove("WEFT_EGRESS_ALLOW_NETS")
        .env_remove("WEFT_EGRESS_CA_FILE")
        .envs(env)
        .output()
        .expect("wfctl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `examples/<name>` built with `wfctl build`; the component's path. Once per test process,
/// and a Python or TypeScript example once per suite run however many processes ask (see
/// [`shared_build`]).
pub fn example(name: &'static str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let project = repo().join("examples").join(name);
    let path = match interpreted_component(&project) {
        Some(component) => shared_build(&project, &component),
        None => build(&project),
    };
    built.insert(name, path.clone());
    path
}

/// `wfctl build PROJECT`; the component's path.
fn build(project: &Path) -> PathBuf {
    let run = wfctl(["build".as_ref(), project.as_os_str()]);
    assert_eq!(run.code, 0, "wfctl build {}: {run:?}", project.display());
    let path = PathBuf::from(run.stdout.lines().last().expect("a path on the last line"));
    assert!(path.is_file(), "{} is not a file", path.display());
    path
}

/// An interpreted project built once per suite run: componentize-py and componentize-js take
/// tens of seconds. Under a file lock, a build newer than the project's files, wfctl (which
/// carries the Python SDK and the WIT world) and, for TypeScript, the SDK's build is reused,
/// as `scripts/test.sh` leaves them; an older one is built again. Rust and C examples need
/// none of this: cargo and make see what changed.
fn shared_build(project: &Path, component: &Path) -> PathBuf {
    let target = project.join("target");
    std::fs::create_dir_all(&target).expect("the project's target directory");
    let lock = std::fs::File::create(target.join(".e2e-build.lock")).expect("the lock file");
    lock.lock().expect("the build lock");
    let mut sources = vec![PathBuf::from(env!("CARGO_BIN_EXE_wfctl"))];
    sources.extend(
        std::fs::read_dir(project)
            .expect("the project")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| !is_built(path)),
    );
    if project.join("package.json").is_file() {
        // The TypeScript SDK, which the project's node_modules links to.
        sources.push(repo().join("sdk/js/dist"));
    }
    let built = newest(component);
    let fresh = built.is_some()
        && sources
            .iter()
            .all(|s| newest(s).is_some_and(|changed| Some(changed) < built));
    // A reused component is loaded by the test's own commands, which fail if it does not load.
    let path = if fresh {
        component.to_path_buf()
    } else {
        build(project)
    };
    assert_eq!(path, component, "wfctl build wrote elsewhere");
    lock.unlock().expect("unlock the build");
    path
}

/// Whether `path` is what a build or a tool wrote, not a source.
fn is_built(path: &Path) -> bool {
    path.file_name().is_some_and(|name| {
        ["target", "node_modules", "__pycache__", ".pytest_cache"]
            .iter()
            .any(|built| name == *built)
    })
}

/// The newest modification time of `path`, a file or every source file under a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| !is_built(path))
        .filter_map(|path| newest(&path))
        .max()
}

/// `wfctl COMMAND PATH ARGS... --output json`.
pub fn wfctl_json(command: &str, path: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&std::ffi::OsStr> = vec![command.as_ref(), path.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.extend(["--output", "json"].map(std::ffi::OsStr::new));
    wfctl(all)
}

/// The messages of the log lines of a `wfctl run --output json` report at `level`.
pub fn logged(report: &serde_json::Value, level: &str) -> Vec<String> {
    report["log"]["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter(|l| l["level"] == level)
                .filter_map(|l| l["message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Task `id` of a `wfctl test --output json` report or an `inspect` DAG.
pub fn task<'a>(run: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    run["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["task_id"] == id))
        .unwrap_or_else(|| panic!("no task {id} in {run}"))
}

/// Body of the test server's one response.
pub const GREETING: &str = "hello from the test server";

/// A real HTTP server on a free loopback port that answers one request with `GREETING`;
/// the thread returns the request line it read.
pub fn serve_one_greeting() -> (std::net::SocketAddr, std::thread::JoinHandle<String>) {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a connection");
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut request_line = String::new();
        reader
            .read_line(&mut request_line)
            .expect("read the request line");
        let mut header = String::new();
        while reader.read_line(&mut header).expect("read a header") > 2 {
            header.clear();
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{GREETING}",
            GREETING.len()
        );
        (&stream)
            .write_all(response.as_bytes())
            .expect("write the response");
        request_line.trim_end().to_owned()
    });
    (addr, server)
}

/// The PostgreSQL role of scripts/services.sh that logs in with a password:
/// `WEFT_TEST_POSTGRES_SQL_URL`, its `host:port` and its password.
pub fn postgres_sql() -> (String, String, String) {
    let url = std::env::var("WEFT_TEST_POSTGRES_SQL_URL").unwrap_or_else(|_| {
        panic!(
            "WEFT_TEST_POSTGRES_SQL_URL is not set: run `source scripts/services.sh; weft_services_start` first"
        )
    });
    let rest = url.split_once("://").expect("the URL has a scheme").1;
    let (auth, rest) = rest.split_once('@').expect("the URL has user:password@");
    let password = auth.split_once(':').expect("the URL has a password").1;
    let endpoint = rest.split_once('/').expect("the URL has a database").0;
    (url.clone(), endpoint.to_owned(), password.to_owned())
}

/// `wfctl run` of the hello example's `fetch` task (in any language) on `url`, loopback addresses allowed, with the
/// `operator`'s further flags.
fn run_fetch(component: &Path, url: &str, operator: &[&str]) -> Run {
    let conf = serde_json::json!({ "url": url }).to_string();
    let mut args = vec!["fetch", "--conf", &conf, "--egress-allow-net", "127.0.0.1"];
    args.extend(operator);
    wfctl_json("run", component, &args)
}

/// The hello example's `fetch` (any language) reaches a real server only under the
/// operator's rule: without it the request never leaves the sandbox, the task fails with
/// the host's error code and the attempt as `egress_denied`.
pub fn fetches_only_what_the_operator_allows(component: &Path) {
    let inspect = wfctl_json("inspect", component, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert_eq!(
        task(&inspect.json(), "fetch")["resources"]["egress_allowlist"],
        serde_json::json!(["GET http://127.0.0.1:*"]),
        "{inspect:?}"
    );

    let (addr, server) = serve_one_greeting();
    let url = format!("http://{addr}/greeting");
    let allowed = run_fetch(
        component,
        &url,
        &["--egress-allow", &format!("GET http://{addr}")],
    );
    assert_eq!(allowed.code, 0, "{allowed:?}");
    let report = allowed.json();
    assert_eq!(report["state"], "success", "{report}");
    assert_eq!(
        report["detail"]["output"],
        serde_json::json!({"status": 200, "bytes": GREETING.len(), "body": GREETING}),
        "{report}"
    );
    assert_eq!(
        server.join().expect("the server thread"),
        "GET /greeting HTTP/1.1"
    );

    // Without the operator's rule the request never leaves the sandbox: the task fails with
    // the host's error code, and the attempt as egress_denied.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let denied = run_fetch(component, &format!("http://{addr}/greeting"), &[]);
    assert_eq!(denied.code, 1, "{denied:?}");
    let report = denied.json();
    assert_eq!(report["state"], "failed", "{report}");
    assert_eq!(report["detail"]["error_class"], "egress_denied", "{report}");
    assert!(
        report["detail"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("HttpRequestDenied")),
        "{report}"
    );
    // No connection was made: the kernel would have queued one for `accept`.
    listener.set_nonblocking(true).expect("non-blocking");
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "the server received no connection"
    );
}

/// `wfctl run` of the hello example's `query` task (in any language) with `postgres_default` at `url`, loopback
/// addresses allowed, with the `operator`'s further flags.
fn run_query(component: &Path, url: &str, operator: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), component.as_os_str()];
    args.extend(
        [
            "query",
            "--conf",
            r#"{"number": 41}"#,
            "--egress-allow-net",
            "127.0.0.1",
        ]
        .iter()
        .chain(operator)
        .chain(&["--output", "json"])
        .map(std::ffi::OsStr::new),
    );
    wfctl_env(args, [("AIRFLOW_CONN_POSTGRES_DEFAULT", url)])
}

/// The hello example's `query` (any language) runs SQL through the host on the connection
/// `postgres_default` only under the operator's `tcp://` rule, and never shows its password.
pub fn queries_postgres_through_the_host(component: &Path) {
    let inspect = wfctl_json("inspect", component, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert_eq!(
        task(&inspect.json(), "query")["resources"]["connections"],
        serde_json::json!(["postgres_default"]),
        "{inspect:?}"
    );

    let (url, endpoint, password) = postgres_sql();
    let rule = format!("tcp://{endpoint}");
    let allowed = run_query(component, &url, &["--egress-allow", &rule]);
    assert_eq!(allowed.code, 0, "{allowed:?}");
    let report = allowed.json();
    assert_eq!(report["state"], "success", "{report}");
    assert_eq!(
        report["detail"]["output"],
        serde_json::json!({"rows": [{"answer": 42, "database": "weft_sql"}]}),
        "{report}"
    );

    // Without the operator's tcp rule the host never connects: the task fails permanently,
    // naming the denial and the rule it lacks, and the attempt is classed as a denial, as
    // for HTTP.
    let denied = run_query(component, &url, &[]);
    assert_eq!(denied.code, 1, "{denied:?}");
    let report = denied.json();
    assert_eq!(report["state"], "failed", "{report}");
    assert_eq!(report["detail"]["error_class"], "egress_denied", "{report}");
    let error = report["detail"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("Denied") && error.contains(&rule),
        "the error names the denial and the rule: {report}"
    );
    for run in [&allowed, &denied] {
        assert!(
            !run.stdout.contains(&password) && !run.stderr.contains(&password),
            "the password never shows: {run:?}"
        );
    }
}
