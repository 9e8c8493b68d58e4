//! `wfctl build`, `inspect`, `run` and `test` on `examples/hello-ts`, the hello DAG in
//! TypeScript on `@weft/sdk`, end to end: its outputs, what a task throws, an egress denial,
//! and SQL through the host.
//!
//! A TypeScript component embeds a JavaScript engine (14 MB): a debug wfctl takes minutes to
//! compile it. The tests build it once and compile it once per suite run, whatever runs them:
//! the build is shared under a file lock and reused while it is newer than its sources, and
//! every wfctl they start shares one compile cache (`target/e2e-compile-cache`, as the
//! embedded stack's end-to-end tests do).
//!
//! Needs the TypeScript toolchain (`npm ci` and `npm run build` in sdk/js, which
//! `scripts/setup.sh` runs) and, for the SQL test, `source scripts/services.sh;
//! weft_services_start`.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::SystemTime;

use serde_json::json;

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The compile cache every wfctl these tests start shares.
fn cache_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo().join("target"), PathBuf::from)
        .join("e2e-compile-cache")
}

/// A Weft home for this test process.
fn home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temporary home"))
        .path()
}

/// What a `wfctl` run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The stdout as JSON.
    fn json(&self) -> serde_json::Value {
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

/// Run `wfctl` with `args` from the repository's root, with the variables `env` set.
fn wfctl_env<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wfctl"))
        .args(args)
        .current_dir(repo())
        .env("WEFT_HOME", home())
        .env("WEFT_CACHE_DIR", cache_dir())
        .env_remove("WEFT_LOG")
        // The operator's egress policy is what each test passes, never the caller's.
        .env_remove("WEFT_EGRESS_ALLOW")
        .env_remove("WEFT_EGRESS_ALLOW_NETS")
        .env_remove("WEFT_EGRESS_CA_FILE")
        .envs(env.iter().copied())
        .output()
        .expect("wfctl runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `wfctl COMMAND PATH ARGS... --output json`.
fn wfctl_json(command: &str, path: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&OsStr> = vec![command.as_ref(), path.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    all.extend(["--output", "json"].map(OsStr::new));
    wfctl_env(&all, &[])
}

/// The newest modification time of `path`, a file or every file under a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| newest(&entry.path()))
        .max()
}

/// `examples/hello-ts` built, and compiled into the shared cache: built here unless a build
/// newer than its sources, the SDK and wfctl is there (`scripts/test.sh` builds every example
/// first), once per suite run however many processes ask, under a file lock.
fn hello_ts() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let project = repo().join("examples/hello-ts");
            let target = project.join("target");
            std::fs::create_dir_all(&target).expect("examples/hello-ts/target");
            let lock =
                std::fs::File::create(target.join(".e2e-build.lock")).expect("the lock file");
            lock.lock().expect("the build lock");
            let component = target.join("hello_ts.wasm");
            let sources = [
                project.join("src"),
                project.join("package.json"),
                project.join("package-lock.json"),
                repo().join("sdk/js/dist"),
                PathBuf::from(env!("CARGO_BIN_EXE_wfctl")),
            ];
            let built = newest(&component);
            let fresh = built.is_some()
                && sources
                    .iter()
                    .all(|s| newest(s).is_some_and(|changed| Some(changed) < built));
            if fresh {
                // Compiled into the shared cache now, under the lock, once.
                let inspect = wfctl_json("inspect", &component, &[]);
                assert_eq!(inspect.code, 0, "{inspect:?}");
            } else {
                let run = wfctl_env(&["build", "examples/hello-ts"], &[]);
                assert_eq!(run.code, 0, "wfctl build examples/hello-ts: {run:?}");
                let path = run.stdout.lines().last().expect("a path on the last line");
                assert_eq!(Path::new(path), component, "{run:?}");
            }
            lock.unlock().expect("unlock the build");
            component
        })
        .clone()
}

fn task<'a>(run: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    run["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["task_id"] == id))
        .unwrap_or_else(|| panic!("no task {id} in {run}"))
}

/// The messages of the log lines of a `wfctl run --output json` report at `level`.
fn logged(report: &serde_json::Value, level: &str) -> Vec<String> {
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

#[test]
fn hello_ts_builds_and_runs() {
    let ts = hello_ts();
    let inspect = wfctl_json("inspect", &ts, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    let dag = inspect.json();
    assert_eq!(dag["dag_id"], "hello_ts", "{dag}");
    assert_eq!(task(&dag, "t4")["upstream"], json!(["t2", "t3"]), "{dag}");

    let test = wfctl_json("test", &ts, &["--conf", r#"{"name": "ts"}"#]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    assert_eq!(run["state"], "success", "{run}");
    assert_eq!(task(&run, "t1")["output"], json!({"greeting": "hello, ts"}));
    assert_eq!(task(&run, "t2")["output"], json!({"upper": "HELLO, TS"}));
    assert_eq!(task(&run, "t3")["output"], json!({"reversed": "st ,olleh"}));
    assert_eq!(
        task(&run, "t4")["output"],
        json!({"upper": "HELLO, TS", "reversed": "st ,olleh", "length": 9})
    );
    // With no `url` in the configuration, fetch sends nothing and returns `{}`.
    assert_eq!(task(&run, "fetch")["output"], json!({}), "{run}");
    // With no `number`, query opens no connection and returns `{}`.
    assert_eq!(task(&run, "query")["output"], json!({}), "{run}");
}

#[test]
fn hello_ts_tasks_log_and_fail_as_they_throw() {
    let ts = hello_ts();
    // ctx.log writes the attempt's log at info level, formatted.
    let t1 = wfctl_json("run", &ts, &["t1", "--conf", r#"{"name": "Bo"}"#]);
    assert_eq!(t1.code, 0, "{t1:?}");
    let report = t1.json();
    assert_eq!(report["detail"]["output"], json!({"greeting": "hello, Bo"}));
    assert_eq!(logged(&report, "info"), ["t1: hello, Bo"], "{report}");

    // Its upstream output given as XCom, t2 reads it from its second argument.
    let t2 = wfctl_json("run", &ts, &["t2", "--xcom", r#"t1={"greeting":"hi"}"#]);
    assert_eq!(t2.code, 0, "{t2:?}");
    assert_eq!(t2.json()["detail"]["output"], json!({"upper": "HI"}));

    // A PermanentError fails the task for good.
    let bad = wfctl_json("run", &ts, &["t1", "--conf", r#"{"name": 5}"#]);
    assert_eq!(bad.code, 1, "{bad:?}");
    let report = bad.json();
    assert_eq!(report["state"], "failed", "{report}");
    let error = report["detail"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("permanent")
            && error.contains("the run's configuration field `name` is not a string: 5"),
        "{report}"
    );

    // Without its upstream output, t2 reads a field of undefined: a TypeError, which is
    // retryable, its stack in the log at error level.
    let alone = wfctl_json("run", &ts, &["t2"]);
    assert_eq!(alone.code, 1, "{alone:?}");
    let report = alone.json();
    let error = report["detail"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("TypeError"), "{report}");
    assert!(
        !error.contains("permanent"),
        "a TypeError is retryable: {report}"
    );
    let errors = logged(&report, "error");
    assert!(
        errors
            .iter()
            .any(|line| line.contains("TypeError") && line.contains("hello_ts.js")),
        "the stack, pointing into the bundle, is logged: {report}"
    );
}

/// Body of the test server's one response.
const GREETING: &str = "hello from the test server";

/// A real HTTP server on a free loopback port that answers one request with `GREETING`;
/// the thread returns the request line it read.
fn serve_one_greeting() -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
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

/// `wfctl run` of hello_ts's `fetch` task on `url`, loopback addresses allowed, with the
/// `operator`'s further flags.
fn run_fetch(ts: &Path, url: &str, operator: &[&str]) -> Run {
    let conf = json!({ "url": url }).to_string();
    let mut args = vec!["fetch", "--conf", &conf, "--egress-allow-net", "127.0.0.1"];
    args.extend(operator);
    wfctl_json("run", ts, &args)
}

#[test]
fn hello_ts_fetches_only_what_the_operator_allows() {
    let ts = hello_ts();
    let inspect = wfctl_json("inspect", &ts, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert_eq!(
        task(&inspect.json(), "fetch")["resources"]["egress_allowlist"],
        json!(["GET http://127.0.0.1:*"]),
        "{inspect:?}"
    );

    let (addr, server) = serve_one_greeting();
    let url = format!("http://{addr}/greeting");
    let allowed = run_fetch(
        &ts,
        &url,
        &["--egress-allow", &format!("GET http://{addr}")],
    );
    assert_eq!(allowed.code, 0, "{allowed:?}");
    let report = allowed.json();
    assert_eq!(report["state"], "success", "{report}");
    assert_eq!(
        report["detail"]["output"],
        json!({"status": 200, "bytes": GREETING.len(), "body": GREETING}),
        "{report}"
    );
    assert_eq!(
        server.join().expect("the server thread"),
        "GET /greeting HTTP/1.1"
    );

    // Without the operator's rule the request never leaves the sandbox: the task fails with
    // the host's error code, and the attempt as egress_denied.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let denied = run_fetch(&ts, &format!("http://{addr}/greeting"), &[]);
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

/// The PostgreSQL role of scripts/services.sh that logs in with a password:
/// `WEFT_TEST_POSTGRES_SQL_URL`, its `host:port` and its password.
fn postgres_sql() -> (String, String, String) {
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

/// `wfctl run` of hello_ts's `query` task with `postgres_default` at `url`, loopback
/// addresses allowed, with the `operator`'s further flags.
fn run_query(ts: &Path, url: &str, operator: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), ts.as_os_str()];
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
        .map(OsStr::new),
    );
    wfctl_env(&args, &[("AIRFLOW_CONN_POSTGRES_DEFAULT", url)])
}

#[test]
fn hello_ts_queries_postgres_through_the_host() {
    let ts = hello_ts();
    let inspect = wfctl_json("inspect", &ts, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert_eq!(
        task(&inspect.json(), "query")["resources"]["connections"],
        json!(["postgres_default"]),
        "{inspect:?}"
    );

    let (url, endpoint, password) = postgres_sql();
    let rule = format!("tcp://{endpoint}");
    let allowed = run_query(&ts, &url, &["--egress-allow", &rule]);
    assert_eq!(allowed.code, 0, "{allowed:?}");
    let report = allowed.json();
    assert_eq!(report["state"], "success", "{report}");
    assert_eq!(
        report["detail"]["output"],
        json!({"rows": [{"answer": 42, "database": "weft_sql"}]}),
        "{report}"
    );

    // Without the operator's tcp rule the host never connects: the task fails permanently,
    // naming the denial and the rule it lacks, and the attempt is classed as a denial, as
    // for HTTP.
    let denied = run_query(&ts, &url, &[]);
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
