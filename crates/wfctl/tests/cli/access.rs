//! `wfctl connections` and `wfctl secrets` against real servers: values go in, never come
//! out; and `wfctl standalone` generating its key file, then refusing to start with the
//! wrong `WEFT_SECRET_KEY`.

use crate::common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Run;

const PASSWORD: &str = "pw-Lq2Zx8Wm";
const SECRET: &str = "sv-Rt6Yp1Nc";
const ENV_PASSWORD: &str = "pw-env-4FgH";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `wfctl standalone` in `home` with `env`, killed when dropped.
struct Standalone {
    child: std::process::Child,
    url: String,
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(home: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wfctl"));
    command
        .current_dir(common::repo())
        .env("WEFT_HOME", home)
        .env_remove("WEFT_LOG")
        .env_remove("WEFT_SECRET_KEY")
        .env_remove("WEFT_SECRET_KEY_FILE")
        .env_remove("WEFT_SECRET_KEY_PREVIOUS");
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn start(home: &Path, env: &[(&str, &str)]) -> Standalone {
    let port = free_port();
    let child = command(home, env)
        .args(["standalone", "--port", &port.to_string(), "--home"])
        .arg(home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wfctl standalone starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{url}/api/v1/health")).call().is_err() {
        assert!(Instant::now() < deadline, "standalone did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    Standalone { child, url }
}

/// `wfctl ARGS --server URL` with `env` and `stdin`.
fn run(home: &Path, server: &Standalone, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut child = command(home, env)
        .args(args)
        .args(["--server", &server.url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wfctl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wfctl ends");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for needle in [PASSWORD, SECRET, ENV_PASSWORD] {
        assert!(!run.stdout.contains(needle), "{needle} printed: {run:?}");
        assert!(!run.stderr.contains(needle), "{needle} printed: {run:?}");
    }
    run
}

#[test]
fn credentials_go_in_and_never_come_out() {
    let home = tempfile::tempdir().expect("home");
    let server = start(home.path(), &[]);
    // Standalone generated its key file, private to its owner.
    let key_file = home.path().join("secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let ok = |args: &[&str], env: &[(&str, &str)], stdin: &str| {
        let run = run(home.path(), &server, args, env, stdin);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run
    };
    let add = [
        "connections",
        "add",
        "warehouse",
        "--type",
        "postgres",
        "--host",
        "db.internal",
        "--port",
        "5432",
        "--login",
        "etl",
        "--password",
        PASSWORD,
        "--extra",
        r#"{"sslmode": "require"}"#,
    ];
    ok(&add, &[], "");
    let shown = ok(&["connections", "get", "warehouse"], &[], "");
    assert!(shown.stdout.contains("password: *** (set)"), "{shown:?}");
    assert!(
        shown.stdout.contains("extra: sslmode (values hidden)"),
        "{shown:?}"
    );
    let uri = format!("aws://AKIAEXAMPLE:{PASSWORD}@?region_name=eu-west-1");
    ok(&["connections", "add", "lake", "--uri", &uri], &[], "");
    let list = ok(&["connections", "list"], &[], "");
    assert!(list.stdout.contains("lake  aws  AKIAEXAMPLE@"), "{list:?}");
    assert!(
        list.stdout
            .contains("warehouse  postgres  etl@db.internal:5432  [password]"),
        "{list:?}"
    );
    let json = ok(&["connections", "get", "lake", "--output", "json"], &[], "").json();
    assert_eq!(json["has_password"], true);

    let imported = ok(
        &["connections", "import-env"],
        &[
            (
                "AIRFLOW_CONN_FROM_AIRFLOW",
                &format!("postgres://u:{ENV_PASSWORD}@h:1/d"),
            ),
            (
                "WEFT_CONN_FROM_JSON",
                r#"{"conn_type": "http", "host": "api.example"}"#,
            ),
        ],
        "",
    );
    assert!(
        imported
            .stdout
            .contains("connection from_airflow imported from AIRFLOW_CONN_FROM_AIRFLOW"),
        "{imported:?}"
    );
    assert!(
        imported
            .stdout
            .contains("connection from_json imported from WEFT_CONN_FROM_JSON"),
        "{imported:?}"
    );
    let bad = run(
        home.path(),
        &server,
        &["connections", "import-env"],
        &[("WEFT_CONN_BAD", "no-scheme")],
        "",
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("WEFT_CONN_BAD"), "{bad:?}");

    ok(
        &["secrets", "set", "from_stdin", "--description", "piped"],
        &[],
        &format!("{SECRET}\n"),
    );
    let file = home.path().join("value.txt");
    std::fs::write(&file, format!("{SECRET}-file\n")).expect("value file");
    let set = run(
        home.path(),
        &server,
        &[
            "secrets",
            "set",
            "from_file",
            "--from-file",
            file.to_str().expect("path"),
        ],
        &[],
        "",
    );
    assert_eq!(set.code, 0, "{set:?}");
    let list = ok(&["secrets", "list"], &[], "");
    assert!(list.stdout.contains("from_stdin  # piped"), "{list:?}");
    let json = ok(&["secrets", "list", "--output", "json"], &[], "").json();
    assert!(json["secrets"][0].get("value").is_none(), "{json}");

    let rotated = ok(&["secrets", "rotate-key"], &[], "");
    assert!(
        rotated.stdout.contains("values sealed again with key"),
        "{rotated:?}"
    );
    ok(&["secrets", "delete", "from_stdin"], &[], "");
    ok(&["connections", "delete", "lake"], &[], "");

    // The database file holds none of the values.
    drop(server);
    for entry in std::fs::read_dir(home.path()).expect("home") {
        let path = entry.expect("entry").path();
        if path.is_file() && path != file {
            let bytes = std::fs::read(&path).expect("read");
            for needle in [PASSWORD, SECRET, ENV_PASSWORD] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} found in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_wrong_key_stops_standalone_at_start() {
    let home = tempfile::tempdir().expect("home");
    let server = start(home.path(), &[]);
    let set = run(
        home.path(),
        &server,
        &["secrets", "set", "s", "--value", SECRET],
        &[],
        "",
    );
    assert_eq!(set.code, 0, "{set:?}");
    drop(server);
    let generated = weft_vault::KeySettings {
        key_file: Some(home.path().join("secret.key")),
        ..weft_vault::KeySettings::default()
    }
    .keyring()
    .expect("key file")
    .expect("a key");

    let wrong = weft_vault::SecretKey::generate();
    let wrong_text = wrong.to_base64().to_string();
    let out = command(home.path(), &[("WEFT_SECRET_KEY", &wrong_text)])
        .args(["standalone", "--port", &free_port().to_string(), "--home"])
        .arg(home.path())
        .output()
        .expect("wfctl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("WEFT_SECRET_KEY does not match the database"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&generated.current_id().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains(&wrong_text), "{stderr}");

    let out = command(home.path(), &[("WEFT_SECRET_KEY", "c2hvcnQ=")])
        .args(["standalone", "--port", &free_port().to_string(), "--home"])
        .arg(home.path())
        .output()
        .expect("wfctl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("WEFT_SECRET_KEY must be the base64 of exactly 32 bytes, not 5"),
        "{stderr}"
    );
}
