//! Sessions on either server: row streams, timeouts cancelled on the server, pools, no
//! session state across attempts, and the password kept out of the guest.

use std::time::{Duration, Instant};

use serde_json::json;
use weft_runtime::SqlLimits;

use crate::fixture::{Server, host, oks, plain, results, run, run_on, runtime, runtime_limited};
use crate::task::{log_text, output};

/// A hundred thousand rows stream in batches; a stream cut short costs the session its
/// connection unless its rows had ended.
pub fn streams(s: &Server) {
    let rt = runtime();
    let all = s.pick(
        "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 100000) AS g",
        "SELECT seq AS n, CONCAT('row ', seq) AS label FROM seq_1_to_100000",
    );
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            // Batches are at most the host's read-ahead (1024 rows).
            {"op": "stream", "sql": all, "batch": 5000},
            // A stream dropped while its statement runs: cancelled, the connection closed.
            {"op": "stream", "sql": all, "batch": 100, "stop_after": 300},
            plain("query", "SELECT 1"),
            {"op": "open"},
            plain("query", "SELECT 1"),
            // A stream whose statement has ended (all its rows read ahead) gives the
            // session back.
            {"op": "stream", "sql": "SELECT 1 UNION ALL SELECT 2", "batch": 1, "stop_after": 1},
            plain("query", "SELECT 1"),
        ]}),
    ));
    let all_results = results(&out).clone();
    assert_eq!(all_results[2]["error"]["kind"], "state", "{out}");
    let mut out = out;
    out["results"].as_array_mut().expect("results").remove(2);
    let results = oks(&out);
    assert_eq!(results[0]["rows"], 100_000, "{out}");
    assert_eq!(results[0]["batches"], 98, "{out}");
    assert_eq!(results[5]["rows"], json!([[{"int": 1}]]), "{out}");
    assert_eq!(
        results[0]["first"],
        json!([{"int": 1}, {"text": "row 1"}]),
        "{out}"
    );
    assert_eq!(
        results[0]["last"],
        json!([{"int": 100000}, {"text": "row 100000"}]),
        "{out}"
    );
    assert_eq!(results[0]["columns"][0][0], "n", "{out}");
    assert_eq!(results[1]["rows"], 300, "{out}");
}

/// A statement or stream past its timeout is cancelled on the server.
pub fn timeouts_cancel_on_the_server(s: &Server) {
    let rt = runtime_limited(SqlLimits {
        statement_timeout: Duration::from_secs(1),
        ..SqlLimits::default()
    });
    let marker = format!("weft_timeout_{}", std::process::id());
    let sleep = if s.is_pg() {
        format!("SELECT pg_sleep(30), '{marker}'")
    } else {
        format!("SELECT SLEEP(30), '{marker}'")
    };
    let started = Instant::now();
    let report = run(
        &rt,
        json!({"conn": s.id(), "steps": [
            plain("query", &sleep),
            plain("query", "SELECT 1"),
        ]}),
    );
    let out = output(&report);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out["results"][0]["error"]["kind"], "timeout", "{out}");
    assert!(
        out["results"][1].get("ok").is_some(),
        "the session goes on: {out}"
    );
    let log = log_text(&report);
    assert!(
        log.contains("sql timeout:") && log.contains("1s timeout"),
        "{log}"
    );
    let running = if s.is_pg() {
        format!(
            "SELECT query FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%{marker}%' AND query NOT LIKE '%pg_stat_activity%'"
        )
    } else {
        format!(
            "SELECT info FROM information_schema.processlist WHERE info LIKE '%{marker}%' AND info NOT LIKE '%processlist%'"
        )
    };
    assert_eq!(
        s.direct(&[&running]),
        Vec::<String>::new(),
        "still running on the server"
    );
    // A stream whose next rows do not come within the timeout: cancelled on the server.
    let slow = if s.is_pg() {
        format!(
            "SELECT g, repeat('x', 100000), pg_sleep(CASE WHEN g > 1 THEN 30 ELSE 0 END)::text, '{marker}' FROM generate_series(1, 3) AS g"
        )
    } else {
        format!(
            "SELECT seq, REPEAT('x', 100000), SLEEP(IF(seq > 1, 30, 0)), '{marker}' FROM seq_1_to_3"
        )
    };
    // (The first row is large enough that the server sends it before sleeping.)
    let started = Instant::now();
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            {"op": "stream", "sql": slow, "batch": 10},
            plain("query", "SELECT 1"),
        ]}),
    ));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out["results"][0]["error"]["kind"], "timeout", "{out}");
    // Cut off while reading rows, the session has lost its connection; cancelled before
    // its first row, it goes on. Never does the cancel reach the next statement.
    assert!(
        out["results"][1].get("ok").is_some() || out["results"][1]["error"]["kind"] == "state",
        "{out}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        s.direct(&[&running]),
        Vec::<String>::new(),
        "the stream's statement still running on the server"
    );
}

/// Nothing a session leaves (locks, settings, temporary tables, an open transaction or
/// stream) reaches the next attempt on the same pool.
pub fn session_state_does_not_leak(s: &Server) {
    // One connection, so that the second attempt gets the first's if it is kept.
    let rt = runtime_limited(SqlLimits {
        pool_size: 1,
        ..SqlLimits::default()
    });
    let first = if s.is_pg() {
        json!({"conn": s.id(), "steps": [
            plain("query", "SELECT pg_backend_pid()"),
            plain("execute", "SELECT pg_advisory_lock(42)"),
            plain("execute", "SET application_name = 'leak'"),
            plain("begin", ""),
            plain("execute", "SET LOCAL statement_timeout = 1234"),
            plain("execute", "CREATE TEMPORARY TABLE weft_leak (n int)"),
            // Left mid-stream, in the open transaction.
            {"op": "hold", "sql": "SELECT g FROM generate_series(1, 100000) AS g"},
            {"op": "forget"},
        ]})
    } else {
        json!({"conn": s.id(), "steps": [
            plain("query", "SELECT CONNECTION_ID()"),
            plain("execute", "SET @leak = 1"),
            plain("query", "SELECT GET_LOCK('weft_leak', 0)"),
            plain("execute", "CREATE TEMPORARY TABLE weft_leak (n int)"),
            plain("begin", ""),
            {"op": "hold", "sql": "SELECT seq FROM seq_1_to_100000"},
            {"op": "forget"},
        ]})
    };
    let out = output(&run(&rt, first));
    let results = results(&out);
    for (i, r) in results.iter().enumerate() {
        assert!(r.get("error").is_none(), "step {i}: {out}");
    }
    // The connection goes back to its pool (or is closed) in the background.
    std::thread::sleep(Duration::from_millis(500));
    let second = if s.is_pg() {
        json!({"conn": s.id(), "steps": [
            plain("query", "SELECT current_setting('application_name'), current_setting('statement_timeout'), (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 42), (SELECT count(*)::int FROM pg_class WHERE relname = 'weft_leak' AND relpersistence = 't')"),
        ]})
    } else {
        json!({"conn": s.id(), "steps": [
            plain("query", "SELECT CAST(@leak AS CHAR), CAST(IS_USED_LOCK('weft_leak') AS CHAR), @@in_transaction"),
            plain("execute", "CREATE TEMPORARY TABLE weft_leak (n int)"),
        ]})
    };
    let out = output(&run(&rt, second));
    let results = oks(&out);
    if s.is_pg() {
        assert_eq!(
            results[0]["rows"],
            json!([[{"text": "weft"}, {"text": "0"}, {"int": 0}, {"int": 0}]]),
            "{out}"
        );
    } else {
        assert_eq!(
            results[0]["rows"],
            json!([[{"null": null}, {"null": null}, {"int": 0}]]),
            "{out}"
        );
    }
}

fn mask(secret: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mask: Vec<u8> = (0..secret.len())
        .map(|i| 0x5a ^ (i as u8).wrapping_mul(31))
        .collect();
    let masked = secret.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
    (masked, mask)
}

/// The connection's password is in neither the guest's memory nor the attempt's log.
pub fn password_stays_out(s: &Server) {
    let rt = runtime();
    let (masked, mask_bytes) = mask(s.password.as_bytes());
    let report = run(
        &rt,
        json!({"conn": s.id(), "get": s.id(),
            "steps": [plain("query", "SELECT 1")],
            "scan": {"masked": masked, "mask": mask_bytes}}),
    );
    let out = output(&report);
    oks(&out);
    assert_eq!(
        out["found"], false,
        "the password is in guest memory: {out}"
    );
    assert_eq!(out["connection"]["has_password"], false, "{out}");
    assert_eq!(out["connection"]["login"], s.login.as_str(), "{out}");
    let log = log_text(&report);
    assert!(!log.contains(&s.password), "{log}");
    // The scan finds what is in memory: a marker the conf carries.
    let marker = "weft-scan-marker-2f9c1";
    let (masked, mask_bytes) = mask(marker.as_bytes());
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [plain("query", &format!("SELECT '{marker}'"))],
            "scan": {"masked": masked, "mask": mask_bytes}}),
    ));
    assert_eq!(
        out["found"], true,
        "the scan must see the guest's memory: {out}"
    );
}

/// A pool serves the attempts of one connection content: reused by the next attempt,
/// never by one with another password or id.
pub fn pools_are_reused_not_shared(s: &Server) {
    let rt = runtime();
    let who = s.pick("SELECT pg_backend_pid()", "SELECT CONNECTION_ID()");
    let before = rt.sql_pool_count();
    let first = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [plain("query", who)]}),
    ));
    // The connection goes back to its pool in the background.
    std::thread::sleep(Duration::from_millis(500));
    let second = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [plain("query", who)]}),
    ));
    if s.is_pg() {
        assert_eq!(
            oks(&first)[0]["rows"][0],
            oks(&second)[0]["rows"][0],
            "the second attempt reuses the first's connection"
        );
    } else {
        // A MySQL session that ran statements cannot be reset: its connection is closed.
        assert_ne!(
            oks(&first)[0]["rows"][0],
            oks(&second)[0]["rows"][0],
            "a used MariaDB connection is not reused"
        );
    }
    assert_eq!(rt.sql_pool_count(), before + 1);
    // Same server and login, another password: a pool of its own, and no login.
    let wrong = s.pick("pg_wrong", "my_wrong");
    let out = output(&run(&rt, json!({"conn": wrong})));
    assert_eq!(out["open"]["error"]["kind"], "connect", "{out}");
    assert_eq!(rt.sql_pool_count(), before + 2);
    // The right password under the wrong id also gets a pool of its own.
    let mut renamed = s.connection(wrong);
    renamed.conn_id = wrong.into();
    let out = output(&run_on(
        &rt,
        host([renamed]),
        "probe",
        json!({"conn": wrong}),
    ));
    assert_eq!(out["open"], json!({"ok": true}), "{out}");
    assert_eq!(rt.sql_pool_count(), before + 3);
}
