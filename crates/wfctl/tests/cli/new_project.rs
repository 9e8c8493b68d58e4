//! `wfctl new`: a project made outside the repository builds, passes its own tests, and runs,
//! calling an HTTP API through a connection once the operator allows it.

use crate::common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;

use common::{repo, wfctl, wfctl_env};

/// The token the test's connection holds, which the task sends as a bearer token.
const TOKEN: &str = "t0k-from-the-connection";

/// `wfctl new NAME --lang LANG --dir DIR`; the project's path.
fn new_project(dir: &Path, name: &str, lang: &str) -> PathBuf {
    let run = wfctl([
        "new",
        name,
        "--lang",
        lang,
        "--dir",
        &dir.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let project = PathBuf::from(run.stdout.trim());
    assert_eq!(project, dir.join(name));
    project
}

/// Point the project's egress rule (`API_EGRESS`) at any port of the loopback address, as a
/// user points it at their API.
fn allow_loopback(file: &Path) {
    let text = std::fs::read_to_string(file).expect("read the DAG's source");
    assert!(text.contains("GET https://api.example.com"), "{text}");
    let text = text.replace("GET https://api.example.com", "GET http://127.0.0.1:*");
    std::fs::write(file, text).expect("write the DAG's source");
}

/// A real HTTP server on a free loopback port answering one request with `pong`; the thread
/// returns the request's head, lower-cased.
fn serve_one() -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a connection");
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read the head") <= 2 {
                break;
            }
            head.push_str(&line);
        }
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong";
        (&stream)
            .write_all(response.as_bytes())
            .expect("write the response");
        head.to_lowercase()
    });
    (addr, server)
}

/// The project's tasks as `wfctl test --output json` reports them: (state, output) by id.
fn tasks(run: &common::Run) -> std::collections::HashMap<String, (String, serde_json::Value)> {
    run.json()["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| {
            let id = t["task_id"].as_str().expect("task_id").to_owned();
            let state = t["state"].as_str().expect("state").to_owned();
            (id, (state, t["output"].clone()))
        })
        .collect()
}

/// Test `project` (a directory or its component): without the connection `call_api` is
/// skipped; with it, and the operator's rule, `component` calls the test server with the
/// connection's token.
fn runs_and_calls_the_api(project: &Path, component: &Path) {
    let alone = wfctl([
        "test",
        &project.display().to_string(),
        "--conf",
        r#"{"name": "Ada"}"#,
        "--output",
        "json",
    ]);
    assert_eq!(alone.code, 0, "{alone:?}");
    let states = tasks(&alone);
    assert_eq!(states["hello"].0, "success", "{alone:?}");
    assert_eq!(states["hello"].1["greeting"], "hello, Ada", "{alone:?}");
    assert_eq!(
        states["call_api"].0, "skipped",
        "without its connection: {alone:?}"
    );

    let (addr, server) = serve_one();
    let connection = serde_json::json!({
        "conn_type": "http", "host": "127.0.0.1", "port": addr.port(), "password": TOKEN,
    })
    .to_string();
    let project_arg = component.display().to_string();
    let rule = format!("GET http://{addr}");
    let called = wfctl_env(
        [
            "test",
            &project_arg,
            "--conf",
            r#"{"path": "/ping"}"#,
            "--egress-allow",
            &rule,
            "--egress-allow-net",
            "127.0.0.1",
            "--output",
            "json",
        ],
        [("AIRFLOW_CONN_API_DEFAULT", connection.as_str())],
    );
    assert_eq!(called.code, 0, "{called:?}");
    let states = tasks(&called);
    assert_eq!(states["call_api"].0, "success", "{called:?}");
    assert_eq!(states["call_api"].1["status"], 200, "{called:?}");
    assert_eq!(states["call_api"].1["body"], "pong", "{called:?}");
    let head = server.join().expect("the server thread");
    assert!(head.starts_with("get /ping http/1.1"), "{head}");
    assert!(
        head.contains(&format!("authorization: bearer {}", TOKEN.to_lowercase())),
        "{head}"
    );
    assert!(
        !called.stdout.contains(TOKEN) && !called.stderr.contains(TOKEN),
        "the token never shows: {called:?}"
    );
}

#[test]
fn a_python_project_builds_passes_its_tests_and_calls_an_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = new_project(dir.path(), "my-py-dag", "python");
    for file in [
        "app.py",
        "tests/test_app.py",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".weft/python/weft/__init__.py",
    ] {
        assert!(project.join(file).is_file(), "{file} is missing");
    }
    // The project's own unit tests pass on the SDK copy it was given.
    let pytest = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(&project)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pytest");
    assert!(
        pytest.status.success(),
        "{}",
        String::from_utf8_lossy(&pytest.stdout)
    );
    allow_loopback(&project.join("app.py"));
    // `wfctl test DIR` builds the project first, to `target/`.
    runs_and_calls_the_api(&project, &project.join("target/my_py_dag.wasm"));
}

#[test]
fn a_typescript_project_builds_type_checks_and_calls_an_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = new_project(dir.path(), "my-ts-dag", "ts");
    for file in [
        "src/app.ts",
        "package.json",
        "tsconfig.json",
        "README.md",
        ".gitignore",
        ".weft/js/src/index.ts",
        ".weft/js/src/wit/dag.d.ts",
    ] {
        assert!(project.join(file).is_file(), "{file} is missing");
    }
    allow_loopback(&project.join("src/app.ts"));
    // `wfctl build` installs the toolchain the project pins (npm), then builds it.
    let built = wfctl(["build", &project.display().to_string()]);
    assert_eq!(built.code, 0, "{built:?}");
    let component = project.join("target/my_ts_dag.wasm");
    assert!(component.is_file(), "{built:?}");
    // The DAG and the SDK copy type-check with the project's own tsc.
    let tsc = Command::new(project.join("node_modules/.bin/tsc"))
        .args(["--noEmit", "-p", "."])
        .current_dir(&project)
        .output()
        .expect("run the project's tsc");
    assert!(
        tsc.status.success(),
        "{}",
        String::from_utf8_lossy(&tsc.stdout)
    );
    runs_and_calls_the_api(&project, &component);
}

#[test]
fn a_rust_project_builds_outside_the_repository_and_calls_an_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = new_project(dir.path(), "my-rs-dag", "rust");
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        ".weft/sdk/rust/Cargo.toml",
        ".weft/sdk/rust/src/lib.rs",
        ".weft/wit/dag.wit",
    ] {
        assert!(project.join(file).is_file(), "{file} is missing");
    }
    allow_loopback(&project.join("src/lib.rs"));
    // The examples' target directory already holds the SDK's dependencies, built for the
    // guest with the same profile: only the SDK and the project compile here.
    let target = repo().join("examples/target");
    let built = wfctl_env(
        ["build", &project.display().to_string()],
        [("CARGO_TARGET_DIR", target.display().to_string())],
    );
    assert_eq!(built.code, 0, "{built:?}");
    let component = PathBuf::from(built.stdout.lines().last().expect("a path"));
    assert!(
        component.ends_with("my_rs_dag.wasm"),
        "{}",
        component.display()
    );
    // Testing the component (not the directory) leaves the build to the step above.
    let copy = dir.path().join("my-rs-dag.wasm");
    std::fs::copy(&component, &copy).expect("copy the component");
    runs_and_calls_the_api(&copy, &copy);
}

#[test]
fn bad_names_and_taken_directories_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = wfctl([
        "new",
        "../escape",
        "--dir",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("is not a project name"), "{bad:?}");

    std::fs::create_dir(dir.path().join("taken")).expect("mkdir");
    std::fs::write(dir.path().join("taken/keep.txt"), "mine").expect("write");
    let taken = wfctl(["new", "taken", "--dir", &dir.path().display().to_string()]);
    assert_eq!(taken.code, 2, "{taken:?}");
    assert!(
        taken.stderr.contains("exists and is not empty"),
        "{taken:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken/keep.txt")).expect("read"),
        "mine"
    );

    let lang = wfctl([
        "new",
        "x",
        "--lang",
        "cobol",
        "--dir",
        &dir.path().display().to_string(),
    ]);
    assert_eq!(lang.code, 2, "{lang:?}");
}
