//! The servers really start, answer, and stop: when dropped, and when the process that
//! started them ends without dropping them.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use weft_testkit::{PostgresServer, RedisServer, TestkitError, port_open, unique_name};

fn wait_closed(port: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if !port_open(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn postgres_starts_creates_databases_and_stops_on_drop() {
    let server = PostgresServer::start().unwrap();
    let port = server.port().unwrap();
    assert!(port_open(port));
    assert!(server.url().ends_with(&format!(":{port}/postgres")));
    let a = server.fresh_database();
    let b = server.fresh_database();
    assert_ne!(a, b);
    let name = a.rsplit('/').next().unwrap();
    let found = server
        .psql(&format!(
            "SELECT datname FROM pg_database WHERE datname = '{name}'"
        ))
        .unwrap();
    assert_eq!(found.trim(), name);
    let err = server.psql("SELECT * FROM no_such_table").unwrap_err();
    assert!(err.to_string().contains("no_such_table"), "{err}");
    drop(server);
    assert!(
        wait_closed(port),
        "PostgreSQL still listening on {port} after drop"
    );
}

#[test]
fn redis_starts_answers_and_stops_on_drop() {
    let server = RedisServer::start().unwrap();
    let port = server.port().unwrap();
    assert_eq!(server.url(), format!("redis://127.0.0.1:{port}/"));
    assert_eq!(server.cli(&["ping"]).unwrap().trim(), "PONG");
    server.cli(&["set", "k", "v"]).unwrap();
    assert_eq!(server.cli(&["get", "k"]).unwrap().trim(), "v");
    drop(server);
    assert!(
        wait_closed(port),
        "Redis still listening on {port} after drop"
    );
}

#[test]
fn servers_stop_when_their_process_exits() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leave_servers_running"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ports = Vec::new();
    let mut output = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        // libtest may print "test <name> ... " on the same line first.
        if let Some((_, port)) = line.split_once("PORT=") {
            ports.push(port.parse::<u16>().unwrap());
        }
        output.push_str(&line);
        output.push('\n');
    }
    let mut errors = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut errors).unwrap();
    child.wait().unwrap();
    assert_eq!(
        ports.len(),
        2,
        "the child reports a Redis and a PostgreSQL port:\n{output}\n{errors}"
    );
    for port in ports {
        assert!(
            wait_closed(port),
            "server on {port} outlived the process that started it"
        );
    }
}

#[test]
fn shared_servers_are_started_once() {
    let first = weft_testkit::redis();
    let second = weft_testkit::redis();
    assert!(std::ptr::eq(first, second));
    assert!(first.url().starts_with("redis://"));
    let pg = weft_testkit::postgres();
    assert!(std::ptr::eq(pg, weft_testkit::postgres()));
    assert!(pg.fresh_database().starts_with("postgres"));
}

#[test]
fn external_servers_need_their_scheme() {
    let err = RedisServer::external("http://127.0.0.1:1/").unwrap_err();
    assert!(matches!(err, TestkitError::BadUrl { .. }), "{err}");
    assert!(err.to_string().contains("redis://"), "{err}");
    let err = PostgresServer::external("mysql://x").unwrap_err();
    assert!(err.to_string().contains("WEFT_TEST_POSTGRES_URL"), "{err}");
    let redis = RedisServer::external("redis://127.0.0.1:1/").unwrap();
    assert_eq!(redis.port(), None);
    assert!(
        redis.cli(&["ping"]).is_err(),
        "redis-cli is not run against external servers"
    );
}

#[test]
fn unique_names_differ() {
    let a = unique_name("Weft");
    let b = unique_name("Weft");
    assert_ne!(a, b);
    assert!(a.starts_with("weft_"));
    assert_eq!(a, a.to_lowercase());
}

#[test]
fn tls_servers_answer_over_tls_only_and_to_clients_trusting_their_ca() {
    let ca = weft_testkit::tls::TestCa::new().unwrap();
    let files = ca.server_files(&["localhost", "127.0.0.1"]).unwrap();

    let redis = RedisServer::start_tls(&files).unwrap();
    let port = redis.port().unwrap();
    assert_eq!(redis.url(), format!("rediss://localhost:{port}/"));
    assert_eq!(redis.cli(&["ping"]).unwrap().trim(), "PONG");
    let plain = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "ping"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&plain.stdout);
    assert!(
        !said.contains("PONG"),
        "a plain client was answered: {said}"
    );

    let postgres = PostgresServer::start_tls(&files).unwrap();
    assert!(
        postgres.url().contains("sslmode=verify-full"),
        "{}",
        postgres.url()
    );
    let database = postgres.fresh_database();
    let one = postgres.psql_on(
        &database,
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    assert_eq!(one.unwrap().trim(), "t");
    let plain = database.replace("sslmode=verify-full", "sslmode=disable");
    let refused = postgres
        .psql_on(&plain, "SELECT 1")
        .unwrap_err()
        .to_string();
    assert!(refused.contains("no encryption"), "{refused}");
    let stranger = weft_testkit::tls::TestCa::new().unwrap();
    let other = stranger.server_files(&["localhost"]).unwrap();
    let untrusted = database.replace(
        &format!(
            "sslrootcert={}",
            postgres.url().rsplit("sslrootcert=").next().unwrap()
        ),
        &format!("sslrootcert={}", other.ca.display()),
    );
    let refused = postgres
        .psql_on(&untrusted, "SELECT 1")
        .unwrap_err()
        .to_string();
    // OpenSSL words the failed verification differently by version.
    assert!(
        refused.contains("certificate verify failed") || refused.contains("SSL error"),
        "{refused}"
    );

    // Both stop when dropped, though neither answers a plain client.
    let postgres_port = postgres.port().unwrap();
    drop(redis);
    drop(postgres);
    assert!(wait_closed(port), "the TLS Redis still listens on {port}");
    assert!(
        wait_closed(postgres_port),
        "the TLS PostgreSQL still listens on {postgres_port}"
    );
}
