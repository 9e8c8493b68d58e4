//! Connections and secrets in a distributed installation (real PostgreSQL and Redis): the
//! API shows no stored value, a dump of the database holds none, and a server started with
//! the wrong `WEFT_SECRET_KEY`, or none, while sealed values are stored, stops at start
//! saying which key it needs.

use std::process::Command;
use std::time::Duration;

use weft_e2e::Cluster;

/// 32 zero bytes, base64.
const KEY_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// Another 32 bytes, base64.
const KEY_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=";
const PASSWORD: &str = "pw-e2e-Vb7Kq3";
const SECRET: &str = "sv-e2e-Mn5Tz9";

/// `pg_dump` on PATH, or from PostgreSQL's versioned directories.
fn pg_dump() -> std::path::PathBuf {
    let mut candidates = vec![std::path::PathBuf::from("pg_dump")];
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        candidates.extend(dirs.flatten().map(|d| d.path().join("bin/pg_dump")));
    }
    candidates
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("pg_dump is needed for this test")
}

#[test]
fn stored_values_stay_sealed_and_the_key_is_checked_at_start() {
    let mut cluster = Cluster::on_shared_redis();
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), KEY_A.into())];
    let mut server = cluster.server();
    let (code, out) = cluster.wfctl(&[
        "connections",
        "add",
        "warehouse",
        "--type",
        "postgres",
        "--host",
        "db.internal",
        "--login",
        "etl",
        "--password",
        PASSWORD,
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = cluster.wfctl(&["secrets", "set", "api_token", "--value", SECRET]);
    assert_eq!(code, 0, "{out}");
    for args in [
        &["connections", "get", "warehouse", "--output", "json"][..],
        &["connections", "list", "--output", "json"],
        &["secrets", "list", "--output", "json"],
    ] {
        let (code, out) = cluster.wfctl(args);
        assert_eq!(code, 0, "{out}");
        assert!(
            !out.contains(PASSWORD) && !out.contains(SECRET),
            "{args:?}: {out}"
        );
    }

    let dump = Command::new(pg_dump())
        .args(["--no-owner", "--format=plain", &cluster.database])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(
        text.contains("db.internal"),
        "the dump holds the connection's row"
    );
    assert!(
        !text.contains(PASSWORD) && !text.contains(SECRET),
        "plaintext in pg_dump"
    );

    let log = server.output();
    // (The log may colour field names: look for the value alone.)
    let key_id = log
        .split("secret key checked")
        .nth(1)
        .and_then(|rest| rest.split("Some(\"").nth(1))
        .and_then(|rest| rest.get(..16))
        .unwrap_or_else(|| panic!("the server logs its key id:\n{log}"))
        .to_owned();
    assert!(!log.contains(KEY_A), "the key is never logged");
    assert!(!log.contains(PASSWORD) && !log.contains(SECRET), "{log}");
    server.terminate(Duration::from_secs(10));

    // The wrong key: the server stops at once, naming the key it needs.
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), KEY_B.into())];
    let mut wrong = cluster.spawn_server();
    let code = wrong.wait_exit(Duration::from_secs(30));
    let output = wrong.output();
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("WEFT_SECRET_KEY does not match the database"),
        "{output}"
    );
    assert!(output.contains(&key_id), "{output}");
    assert!(!output.contains(KEY_B), "{output}");

    // No key at all: the same.
    cluster.server_env = Vec::new();
    let mut keyless = cluster.spawn_server();
    let code = keyless.wait_exit(Duration::from_secs(30));
    let output = keyless.output();
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("no secret key configured"), "{output}");
    assert!(output.contains("WEFT_SECRET_KEY"), "{output}");

    // Rotation: the new key current, the old one previous; afterwards the new key alone.
    cluster.server_env = vec![
        ("WEFT_SECRET_KEY".into(), KEY_B.into()),
        ("WEFT_SECRET_KEY_PREVIOUS".into(), KEY_A.into()),
    ];
    let mut rotating = cluster.server();
    let (code, out) = cluster.wfctl(&["secrets", "rotate-key", "--output", "json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"resealed\": 2"), "{out}");
    rotating.terminate(Duration::from_secs(10));
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), KEY_B.into())];
    let _after = cluster.server();
    let (code, out) = cluster.wfctl(&["secrets", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("api_token"), "{out}");
}
