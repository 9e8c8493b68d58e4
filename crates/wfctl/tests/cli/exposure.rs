//! `wfctl server` and `wfctl standalone` beyond loopback: without the tokens that close the
//! API (and, for `server`, the worker API) they refuse to start and say why; with
//! `--insecure-no-auth` they start all the same.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `wfctl ARGS` in `home`, with no token or bind from the environment.
fn wfctl(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wfctl"));
    command
        .current_dir(common::repo())
        .env("WEFT_HOME", home)
        .env_remove("WEFT_LOG")
        .env_remove("WEFT_BIND")
        .env_remove("WEFT_API_TOKENS")
        .env_remove("WEFT_WORKER_TOKENS")
        .env_remove("WEFT_INSECURE_NO_AUTH")
        .env_remove("WEFT_SECRET_KEY")
        .env_remove("WEFT_SECRET_KEY_FILE")
        .args(args);
    command
}

/// The exit code and stderr of `wfctl ARGS`, which must end by itself.
fn refused(home: &Path, args: &[&str]) -> String {
    let out = wfctl(home, args)
        .stdin(Stdio::null())
        .output()
        .expect("wfctl runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0, which is beyond loopback"),
        "{stderr}"
    );
    assert!(stderr.contains("--insecure-no-auth"), "{stderr}");
    stderr
}

/// Start `wfctl ARGS` and wait until the API answers on `port` of loopback; killed when
/// the test ends.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn started(home: &Path, args: &[&str], port: u16) -> Started {
    let mut child = Started(
        wfctl(home, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wfctl starts"),
    );
    let url = format!("http://127.0.0.1:{port}/api/v1/health");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&url).call().is_err() {
        if let Some(status) = child.0.try_wait().expect("status") {
            panic!("{args:?} exited with {status}");
        }
        assert!(Instant::now() < deadline, "{args:?} did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn the_server_refuses_to_listen_beyond_loopback_without_tokens() {
    let home = tempfile::tempdir().expect("home");
    let db = format!("sqlite:{}", home.path().join("weft.db").display());
    let port = free_port().to_string();
    let redis = weft_testkit::redis().url().to_owned();
    let namespace = weft_testkit::unique_name("exposure");
    let base = [
        "server",
        "--bind",
        "0.0.0.0",
        "--port",
        &port,
        "--database",
        &db,
        "--redis",
        &redis,
        "--namespace",
        &namespace,
    ];

    let stderr = refused(home.path(), &base);
    assert!(stderr.contains("without --api-tokens"), "{stderr}");
    assert!(stderr.contains("without --worker-tokens"), "{stderr}");
    let with_api = [&base[..], &["--api-tokens", "admin-token"]].concat();
    let stderr = refused(home.path(), &with_api);
    assert!(!stderr.contains("without --api-tokens"), "{stderr}");
    assert!(stderr.contains("without --worker-tokens"), "{stderr}");

    let insecure = [&base[..], &["--insecure-no-auth"]].concat();
    let _server = started(home.path(), &insecure, port.parse().expect("port"));
}

#[test]
fn standalone_refuses_to_listen_beyond_loopback_without_tokens() {
    let home = tempfile::tempdir().expect("home");
    let port = free_port().to_string();
    let home_arg = home.path().to_str().expect("home path");
    let base = [
        "standalone",
        "--bind",
        "0.0.0.0",
        "--port",
        &port,
        "--home",
        home_arg,
    ];
    let stderr = refused(home.path(), &base);
    assert!(stderr.contains("without --api-tokens"), "{stderr}");
    // Its worker API is closed to all: there is no worker token to ask for.
    assert!(!stderr.contains("--worker-tokens"), "{stderr}");

    let insecure = [&base[..], &["--insecure-no-auth"]].concat();
    let _standalone = started(home.path(), &insecure, port.parse().expect("port"));
}
