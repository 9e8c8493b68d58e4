//! `weft:dag/sql` against the real PostgreSQL and MariaDB servers of scripts/services.sh
//! (`WEFT_TEST_POSTGRES_SQL_URL`, `WEFT_TEST_MYSQL_URL`): typed values both ways,
//! transactions, streams, timeouts cancelled on the server, caps, the egress policy, and
//! the password kept out of the guest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::{Connection as _, Executor as _, Row as _};
use weft_protocol::Connection;
use weft_runtime::{
    EgressPolicy, Limits, MemoryHost, Runtime, RuntimeConfig, SqlLimits, TaskContext, TaskOutcome,
    TaskReport, TaskRequest, WorkerInfo,
};
use weft_test_guests_artifacts as guests;

/// A server of the tests, from its URL.
#[derive(Clone)]
struct Server {
    url: String,
    conn_type: &'static str,
    host: String,
    port: u16,
    login: String,
    password: String,
    database: String,
}

fn server(env: &str, conn_type: &'static str) -> Server {
    let url = std::env::var(env).unwrap_or_else(|_| {
        panic!("{env} is not set: run `source scripts/services.sh; weft_services_start` first")
    });
    let rest = url.split_once("://").expect("url scheme").1;
    let (auth, rest) = rest.split_once('@').expect("url has user:password@");
    let (login, password) = auth.split_once(':').expect("url has a password");
    let (hostport, database) = rest.split_once('/').expect("url has a database");
    let (host, port) = hostport.rsplit_once(':').expect("url has a port");
    Server {
        url: url.clone(),
        conn_type,
        host: host.to_owned(),
        port: port.parse().expect("port"),
        login: login.to_owned(),
        password: password.to_owned(),
        database: database.to_owned(),
    }
}

fn pg() -> Server {
    server("WEFT_TEST_POSTGRES_SQL_URL", "postgres")
}

fn my() -> Server {
    server("WEFT_TEST_MYSQL_URL", "mariadb")
}

impl Server {
    fn connection(&self, id: &str) -> Connection {
        Connection {
            conn_id: id.into(),
            conn_type: self.conn_type.into(),
            host: Some(self.host.clone()),
            port: Some(self.port),
            schema: Some(self.database.clone()),
            login: Some(self.login.clone()),
            password: Some(self.password.clone()),
            extra: json!({"sslmode": if self.conn_type == "postgres" { "disable" } else { "disabled" }}),
        }
    }

    fn is_pg(&self) -> bool {
        self.conn_type == "postgres"
    }

    /// The id the probe opens this server by.
    fn id(&self) -> &'static str {
        if self.is_pg() { "pg" } else { "my" }
    }

    /// Runs `statements` directly (not through a task), returning the first column of the
    /// last one's rows as text.
    fn direct(&self, statements: &[&str]) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio");
        rt.block_on(async {
            let mut out = Vec::new();
            if self.is_pg() {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                for s in statements {
                    let rows = c.fetch_all(sqlx::AssertSqlSafe(*s)).await.expect(s);
                    out = rows
                        .iter()
                        .map(|r| {
                            r.try_get::<Option<String>, _>(0)
                                .ok()
                                .flatten()
                                .unwrap_or_default()
                        })
                        .collect();
                }
            } else {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect");
                for s in statements {
                    let rows = c.fetch_all(sqlx::AssertSqlSafe(*s)).await.expect(s);
                    out = rows
                        .iter()
                        .map(|r| {
                            r.try_get::<Option<String>, _>(0)
                                .ok()
                                .flatten()
                                .unwrap_or_default()
                        })
                        .collect();
                }
            }
            out
        })
    }
}

fn policy(servers: &[&Server], nets: &[&str]) -> EgressPolicy {
    EgressPolicy {
        allow: servers
            .iter()
            .flat_map(|s| {
                [
                    format!("tcp://{}:{}", s.host, s.port),
                    format!("tcp://localhost:{}", s.port),
                ]
            })
            .map(|r| r.parse().expect("rule"))
            .collect(),
        allow_nets: nets.iter().map(|n| n.parse().expect("net")).collect(),
        ..EgressPolicy::default()
    }
}

fn runtime_with(policy: EgressPolicy) -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_instances: 4,
        egress: policy,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn runtime() -> Runtime {
    runtime_with(policy(&[&pg(), &my()], &["127.0.0.0/8"]))
}

fn host(extra: impl IntoIterator<Item = Connection>) -> MemoryHost {
    let (pg, my) = (pg(), my());
    let mut pg_wrong = pg.connection("pg_wrong");
    pg_wrong.password = Some("not-the-password".into());
    let mut my_wrong = my.connection("my_wrong");
    my_wrong.password = Some("not-the-password".into());
    let mut local = pg.connection("local");
    local.host = Some("localhost".into());
    let files = Connection {
        conn_id: "files".into(),
        conn_type: "s3".into(),
        host: Some("s3.example.com".into()),
        port: None,
        schema: None,
        login: Some("key".into()),
        password: Some("s3-secret".into()),
        extra: json!({}),
    };
    let mut all = vec![
        pg.connection("pg"),
        my.connection("my"),
        pg_wrong,
        my_wrong,
        local,
        files,
    ];
    for c in extra {
        all.retain(|o| o.conn_id != c.conn_id);
        all.push(c);
    }
    MemoryHost::default().with_access(all, [])
}

fn run_on(runtime: &Runtime, host: MemoryHost, task: &str, conf: Value) -> TaskReport {
    let bytes = std::fs::read(guests::SQL_PROBE).expect("guest");
    let component = runtime.load(&bytes).expect("load");
    let mut context = TaskContext::local("sql_probe", task, 1, 1);
    context.conf = conf.to_string();
    runtime.run_task(
        &component,
        TaskRequest {
            context,
            upstream: Vec::new(),
            worker: WorkerInfo {
                worker_id: "w".into(),
                hostname: "h".into(),
                queue: "default".into(),
            },
            limits: Limits {
                timeout: Duration::from_secs(60),
                ..Limits::default()
            },
            host: Arc::new(host),
        },
    )
}

fn run(runtime: &Runtime, conf: Value) -> TaskReport {
    run_on(runtime, host([]), "probe", conf)
}

fn output(report: &TaskReport) -> Value {
    match &report.outcome {
        TaskOutcome::Success(bytes) => serde_json::from_slice(bytes).expect("json output"),
        other => panic!("expected success, got {other:?}; log: {:?}", report.log),
    }
}

fn log_text(report: &TaskReport) -> String {
    report
        .log
        .lines
        .iter()
        .map(|l| l.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

fn step(op: &str, sql: &str, params: Value) -> Value {
    json!({"op": op, "sql": sql, "params": params})
}

/// The results of the steps, all of which must have succeeded.
fn oks(out: &Value) -> Vec<Value> {
    assert_eq!(out["open"], json!({"ok": true}), "{out}");
    out["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            assert!(r.get("error").is_none(), "a step failed: {r}\n{out}");
            r["ok"].clone()
        })
        .collect()
}

fn table(name: &str) -> String {
    format!("{name}_{}", std::process::id())
}

fn types_round_trip(s: &Server) {
    let rt = runtime();
    let t = table("types");
    let (create, insert) = if s.is_pg() {
        (
            format!(
                "CREATE TABLE {t} (c_bool bool, c_int int8, c_int4 int4, c_float float8, c_text text, c_bytes bytea, c_dec numeric(20,5), c_ts timestamptz, c_dt timestamp, c_date date, c_time time, c_uuid uuid, c_json jsonb)"
            ),
            format!(
                "INSERT INTO {t} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
        )
    } else {
        (
            format!(
                "CREATE TABLE {t} (c_bool boolean, c_int bigint, c_int4 int, c_float double, c_text varchar(100), c_bytes varbinary(100), c_dec decimal(20,5), c_ts timestamp(6) NULL, c_dt datetime(6), c_date date, c_time time(6), c_uuid char(36), c_json json)"
            ),
            format!("INSERT INTO {t} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        )
    };
    let values = json!([
        {"boolean": true}, {"int": -9_000_000_000_i64}, {"int": 42}, {"float": 2.5},
        {"text": "héllo"}, {"bytes": [0, 1, 254, 255]}, {"decimal": "-12345.67890"},
        {"timestamp": "2024-05-01T12:30:00.123456Z"}, {"datetime": "2024-05-01T12:30:00.5"},
        {"date": "2024-05-01"}, {"time": "12:30:00.25"},
        {"uuid": "67e55044-10b1-426f-9247-bb680e5fe0c8"}, {"json": "{\"a\": 1}"}
    ]);
    let nulls = json!(vec![json!({"null": null}); 13]);
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            step("execute", &create, json!([])),
            step("execute", &insert, values.clone()),
            step("execute", &insert, nulls.clone()),
            step("query", &format!("SELECT * FROM {t} ORDER BY c_int IS NULL, c_int"), json!([])),
            step("execute", &format!("DROP TABLE {t}"), json!([])),
        ]}),
    ));
    let results = oks(&out);
    let rows = results[3]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{out}");
    let mut expected = values.as_array().expect("values").clone();
    if !s.is_pg() {
        // MySQL has no UUID type and MariaDB's JSON is LONGTEXT (with a binary collation,
        // still text): both come back as text.
        expected[11] = json!({"text": "67e55044-10b1-426f-9247-bb680e5fe0c8"});
        let json_back = rows[0][12].clone();
        let text = "{\"a\": 1}";
        assert!(
            json_back == json!({"text": text}) || json_back == json!({"json": text}),
            "{json_back}"
        );
        expected[12] = json_back;
    }
    assert_eq!(rows[0], json!(expected), "{out}");
    assert_eq!(rows[1], nulls, "{out}");
    let types: Vec<&str> = results[3]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c[1].as_str().expect("type name"))
        .collect();
    if s.is_pg() {
        assert_eq!(&types[..3], &["BOOL", "INT8", "INT4"], "{out}");
    } else {
        assert_eq!(&types[..3], &["BOOLEAN", "BIGINT", "INT"], "{out}");
    }
}

#[test]
fn every_type_round_trips_on_postgres() {
    types_round_trip(&pg());
}

#[test]
fn every_type_round_trips_on_mariadb() {
    types_round_trip(&my());
}

fn rows_affected_and_transactions(s: &Server) {
    let rt = runtime();
    let t = table("tx");
    s.direct(&[&format!("CREATE TABLE {t} (id int PRIMARY KEY, v int)")]);
    let p = |i: usize| {
        if s.is_pg() {
            format!("${i}")
        } else {
            "?".into()
        }
    };
    let insert = format!("INSERT INTO {t} VALUES ({}, {})", p(1), p(2));
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            step("execute", &insert, json!([{"int": 1}, {"int": 10}])),
            step("execute", &insert, json!([{"int": 2}, {"int": 10}])),
            step("execute", &format!("UPDATE {t} SET v = 20 WHERE v = {}", p(1)), json!([{"int": 10}])),
            step("begin", "", json!([])),
            step("begin", "", json!([])),
            step("execute", &insert, json!([{"int": 3}, {"int": 30}])),
            step("rollback", "", json!([])),
            step("commit", "", json!([])),
            step("begin", "", json!([])),
            step("execute", &insert, json!([{"int": 4}, {"int": 40}])),
            step("commit", "", json!([])),
            // Left open: the session is dropped at the end of the task.
            step("begin", "", json!([])),
            step("execute", &insert, json!([{"int": 5}, {"int": 50}])),
        ]}),
    ));
    let results = out["results"].as_array().expect("results");
    assert_eq!(results[0]["ok"], 1, "{out}");
    assert_eq!(results[2]["ok"], 2, "rows affected: {out}");
    assert_eq!(results[4]["error"]["kind"], "state", "begin twice: {out}");
    assert_eq!(
        results[7]["error"]["kind"], "state",
        "commit without a transaction: {out}"
    );
    for i in [3, 5, 6, 8, 9, 10, 11, 12] {
        assert!(results[i].get("ok").is_some(), "step {i}: {out}");
    }
    // The same with the session leaked, so that only the attempt's end can roll back.
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            step("begin", "", json!([])),
            step("execute", &insert, json!([{"int": 6}, {"int": 60}])),
            {"op": "forget"},
        ]}),
    ));
    oks(&out);
    // Rolled back: the rows are not there, and the primary keys are free again (an open
    // transaction would hold their locks and make these inserts wait).
    let lock_wait = if s.is_pg() {
        "SET lock_timeout = '5s'"
    } else {
        "SET SESSION innodb_lock_wait_timeout = 5"
    };
    let ids = s.direct(&[
        lock_wait,
        &format!("INSERT INTO {t} VALUES (5, 0)"),
        &format!("INSERT INTO {t} VALUES (6, 0)"),
        &format!(
            "SELECT CAST(id AS {}) FROM {t} WHERE v <> 0 ORDER BY id",
            if s.is_pg() { "TEXT" } else { "CHAR" }
        ),
    ]);
    assert_eq!(ids, ["1", "2", "4"], "committed rows only");
    s.direct(&[&format!("DROP TABLE {t}")]);
}

#[test]
fn execute_counts_rows_and_open_transactions_roll_back_on_postgres() {
    rows_affected_and_transactions(&pg());
}

#[test]
fn execute_counts_rows_and_open_transactions_roll_back_on_mariadb() {
    rows_affected_and_transactions(&my());
}

fn streams(s: &Server) {
    let rt = runtime();
    let all = if s.is_pg() {
        "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 100000) AS g"
    } else {
        "SELECT seq AS n, CONCAT('row ', seq) AS label FROM seq_1_to_100000"
    };
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            // Batches are at most the host's read-ahead (1024 rows).
            {"op": "stream", "sql": all, "batch": 5000},
            // A stream dropped while its statement runs: cancelled, the connection closed.
            {"op": "stream", "sql": all, "batch": 100, "stop_after": 300},
            step("query", "SELECT 1", json!([])),
            {"op": "open"},
            step("query", "SELECT 1", json!([])),
            // A stream whose statement has ended (all its rows read ahead) gives the
            // session back.
            {"op": "stream", "sql": "SELECT 1 UNION ALL SELECT 2", "batch": 1, "stop_after": 1},
            step("query", "SELECT 1", json!([])),
        ]}),
    ));
    let all_results = out["results"].as_array().expect("results").clone();
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

#[test]
fn a_hundred_thousand_rows_stream_in_batches_on_postgres() {
    streams(&pg());
}

#[test]
fn a_hundred_thousand_rows_stream_in_batches_on_mariadb() {
    streams(&my());
}

fn timeouts_cancel_on_the_server(s: &Server) {
    let mut policy = policy(&[&pg(), &my()], &["127.0.0.0/8"]);
    policy.sql = SqlLimits {
        statement_timeout: Duration::from_secs(1),
        ..SqlLimits::default()
    };
    let rt = runtime_with(policy);
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
            step("query", &sleep, json!([])),
            step("query", "SELECT 1", json!([])),
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
            step("query", "SELECT 1", json!([])),
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

#[test]
fn a_statement_past_its_timeout_is_cancelled_on_postgres() {
    timeouts_cancel_on_the_server(&pg());
}

#[test]
fn a_statement_past_its_timeout_is_cancelled_on_mariadb() {
    timeouts_cancel_on_the_server(&my());
}

#[test]
fn undeclared_missing_and_unsupported_connections_are_refused() {
    let rt = runtime();
    let out = output(&run_on(&rt, host([]), "bare", json!({"conn": "pg"})));
    assert_eq!(out["open"]["error"]["kind"], "not-declared", "{out}");
    let out = output(&run(&rt, json!({"conn": "missing"})));
    assert_eq!(out["open"]["error"]["kind"], "not-found", "{out}");
    let out = output(&run(&rt, json!({"conn": "files"})));
    assert_eq!(out["open"]["error"]["kind"], "unsupported", "{out}");
    assert!(
        out["open"]["error"]["message"]
            .as_str()
            .expect("message")
            .contains("\"s3\""),
        "{out}"
    );
}

#[test]
fn connections_outside_the_egress_policy_are_denied() {
    let (pg, my) = (pg(), my());
    // No operator rule for the server.
    let rt = runtime_with(policy(&[], &["127.0.0.0/8"]));
    for s in [&pg, &my] {
        let report = run(&rt, json!({"conn": s.id()}));
        let out = output(&report);
        assert_eq!(out["open"]["error"]["kind"], "denied", "{out}");
        let message = out["open"]["error"]["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("tcp://{}:{}", s.host, s.port)),
            "{message}"
        );
        assert!(
            log_text(&report).contains("sql denied:"),
            "{:?}",
            report.log
        );
    }
    // A rule, but the name resolves to loopback, which the policy does not open.
    let rt = runtime_with(policy(&[&pg], &[]));
    let report = run(&rt, json!({"conn": "local"}));
    let out = output(&report);
    assert_eq!(out["open"]["error"]["kind"], "denied", "{out}");
    assert!(
        out["open"]["error"]["message"]
            .as_str()
            .expect("message")
            .contains("loopback"),
        "{out}"
    );
    let report = run(&rt, json!({"conn": "pg"}));
    assert_eq!(output(&report)["open"]["error"]["kind"], "denied");
}

fn caps(s: &Server) {
    let mut policy = policy(&[&pg(), &my()], &["127.0.0.0/8"]);
    policy.sql = SqlLimits {
        max_statements: 3,
        max_rows: 10,
        ..SqlLimits::default()
    };
    let rt = runtime_with(policy);
    let many = if s.is_pg() {
        "SELECT g FROM generate_series(1, 100) AS g"
    } else {
        "SELECT seq FROM seq_1_to_100"
    };
    let report = run(
        &rt,
        json!({"conn": s.id(), "steps": [
            step("query", many, json!([])),
            step("execute", "SELECT 1", json!([])),
            step("execute", "SELECT 2", json!([])),
            step("execute", "SELECT 3", json!([])),
        ]}),
    );
    let out = output(&report);
    let results = out["results"].as_array().expect("results");
    assert_eq!(results[0]["error"]["kind"], "limit", "{out}");
    assert!(
        results[0]["error"]["message"]
            .as_str()
            .expect("m")
            .contains("10 rows"),
        "{out}"
    );
    assert!(results[1].get("ok").is_some(), "{out}");
    assert_eq!(results[3]["error"]["kind"], "limit", "{out}");
    assert!(
        results[3]["error"]["message"]
            .as_str()
            .expect("m")
            .contains("3 statements"),
        "{out}"
    );
    assert!(log_text(&report).contains("sql limit:"), "{:?}", report.log);
}

#[test]
fn row_and_statement_caps_hold_on_postgres() {
    caps(&pg());
}

#[test]
fn row_and_statement_caps_hold_on_mariadb() {
    caps(&my());
}

#[test]
fn database_errors_carry_their_sqlstate() {
    let rt = runtime();
    for (s, code) in [(pg(), "42P01"), (my(), "42S02")] {
        let out = output(&run(
            &rt,
            json!({"conn": s.id(), "steps": [step("query", "SELECT * FROM no_such_table", json!([]))]}),
        ));
        let error = &out["results"][0]["error"];
        assert_eq!(error["kind"], "database", "{out}");
        assert_eq!(error["code"], code, "{out}");
    }
}

fn mask(secret: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mask: Vec<u8> = (0..secret.len())
        .map(|i| 0x5a ^ (i as u8).wrapping_mul(31))
        .collect();
    let masked = secret.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
    (masked, mask)
}

#[test]
fn the_password_stays_out_of_the_guest_and_the_log() {
    let rt = runtime();
    for s in [pg(), my()] {
        let (masked, mask_bytes) = mask(s.password.as_bytes());
        let report = run(
            &rt,
            json!({"conn": s.id(), "get": s.id(),
                "steps": [step("query", "SELECT 1", json!([]))],
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
            json!({"conn": s.id(), "steps": [step("query", &format!("SELECT '{marker}'"), json!([]))],
                "scan": {"masked": masked, "mask": mask_bytes}}),
        ));
        assert_eq!(
            out["found"], true,
            "the scan must see the guest's memory: {out}"
        );
    }
    // Other connection types keep their password.
    let out = output(&run(&rt, json!({"get": "files"})));
    assert_eq!(out["connection"]["has_password"], true, "{out}");
}

#[test]
fn pools_are_reused_and_never_shared_across_passwords() {
    let rt = runtime();
    for s in [pg(), my()] {
        let who = if s.is_pg() {
            "SELECT pg_backend_pid()"
        } else {
            "SELECT CONNECTION_ID()"
        };
        let before = rt.sql_pool_count();
        let first = output(&run(
            &rt,
            json!({"conn": s.id(), "steps": [step("query", who, json!([]))]}),
        ));
        // The connection goes back to its pool in the background.
        std::thread::sleep(Duration::from_millis(500));
        let second = output(&run(
            &rt,
            json!({"conn": s.id(), "steps": [step("query", who, json!([]))]}),
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
        let wrong = if s.is_pg() { "pg_wrong" } else { "my_wrong" };
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
}

#[test]
fn a_session_runs_nothing_else_while_a_stream_is_open() {
    let rt = runtime();
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [
            {"op": "hold", "sql": "SELECT g FROM generate_series(1, 10) AS g"},
            step("query", "SELECT 1", json!([])),
            step("begin", "", json!([])),
            {"op": "release"},
            step("query", "SELECT 1", json!([])),
        ]}),
    ));
    let results = out["results"].as_array().expect("results");
    assert_eq!(results[1]["error"]["kind"], "state", "{out}");
    assert_eq!(results[2]["error"]["kind"], "state", "{out}");
    assert_eq!(results[4]["ok"]["rows"], json!([[{"int": 1}]]), "{out}");
}

fn session_state_does_not_leak(s: &Server) {
    let mut policy = policy(&[&pg(), &my()], &["127.0.0.0/8"]);
    // One connection, so that the second attempt gets the first's if it is kept.
    policy.sql = SqlLimits {
        pool_size: 1,
        ..SqlLimits::default()
    };
    let rt = runtime_with(policy);
    let first = if s.is_pg() {
        json!({"conn": s.id(), "steps": [
            step("query", "SELECT pg_backend_pid()", json!([])),
            step("execute", "SELECT pg_advisory_lock(42)", json!([])),
            step("execute", "SET application_name = 'leak'", json!([])),
            step("begin", "", json!([])),
            step("execute", "SET LOCAL statement_timeout = 1234", json!([])),
            step("execute", "CREATE TEMPORARY TABLE weft_leak (n int)", json!([])),
            // Left mid-stream, in the open transaction.
            {"op": "hold", "sql": "SELECT g FROM generate_series(1, 100000) AS g"},
            {"op": "forget"},
        ]})
    } else {
        json!({"conn": s.id(), "steps": [
            step("query", "SELECT CONNECTION_ID()", json!([])),
            step("execute", "SET @leak = 1", json!([])),
            step("query", "SELECT GET_LOCK('weft_leak', 0)", json!([])),
            step("execute", "CREATE TEMPORARY TABLE weft_leak (n int)", json!([])),
            step("begin", "", json!([])),
            {"op": "hold", "sql": "SELECT seq FROM seq_1_to_100000"},
            {"op": "forget"},
        ]})
    };
    let out = output(&run(&rt, first));
    let results = out["results"].as_array().expect("results");
    for (i, r) in results.iter().enumerate() {
        assert!(r.get("error").is_none(), "step {i}: {out}");
    }
    // The connection goes back to its pool (or is closed) in the background.
    std::thread::sleep(Duration::from_millis(500));
    let second = if s.is_pg() {
        json!({"conn": s.id(), "steps": [
            step("query", "SELECT current_setting('application_name'), current_setting('statement_timeout'), (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 42), (SELECT count(*)::int FROM pg_class WHERE relname = 'weft_leak' AND relpersistence = 't')", json!([])),
        ]})
    } else {
        json!({"conn": s.id(), "steps": [
            step("query", "SELECT CAST(@leak AS CHAR), CAST(IS_USED_LOCK('weft_leak') AS CHAR), @@in_transaction", json!([])),
            step("execute", "CREATE TEMPORARY TABLE weft_leak (n int)", json!([])),
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

#[test]
fn session_state_never_reaches_the_next_attempt_on_postgres() {
    session_state_does_not_leak(&pg());
}

#[test]
fn session_state_never_reaches_the_next_attempt_on_mariadb() {
    session_state_does_not_leak(&my());
}

#[test]
fn rows_of_nulls_count_against_the_bytes_cap() {
    let mut policy = policy(&[&pg(), &my()], &["127.0.0.0/8"]);
    policy.sql = SqlLimits {
        max_bytes: 64 * 1024,
        ..SqlLimits::default()
    };
    let rt = runtime_with(policy);
    let nulls = "SELECT NULL::int AS a, NULL::int AS b, NULL::int AS c, NULL::int AS d FROM generate_series(1, 10000)";
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [step("query", nulls, json!([]))]}),
    ));
    assert_eq!(out["results"][0]["error"]["kind"], "limit", "{out}");
    assert!(
        out["results"][0]["error"]["message"]
            .as_str()
            .expect("m")
            .contains("max_bytes"),
        "{out}"
    );
}

#[test]
fn commit_of_a_failed_transaction_fails_on_postgres() {
    let rt = runtime();
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [
            step("begin", "", json!([])),
            step("query", "SELECT 1/0", json!([])),
            step("commit", "", json!([])),
            step("query", "SELECT 1", json!([])),
            step("begin", "", json!([])),
            step("commit", "", json!([])),
        ]}),
    ));
    let results = out["results"].as_array().expect("results");
    assert_eq!(results[1]["error"]["kind"], "database", "{out}");
    assert_eq!(results[2]["error"]["kind"], "database", "{out}");
    assert_eq!(results[2]["error"]["code"], "25P02", "{out}");
    assert!(
        results[2]["error"]["message"]
            .as_str()
            .expect("m")
            .contains("rolled back"),
        "{out}"
    );
    for i in [3, 4, 5] {
        assert!(results[i].get("ok").is_some(), "step {i}: {out}");
    }
}
