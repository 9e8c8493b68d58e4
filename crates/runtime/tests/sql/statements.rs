//! Statements on either server: typed values both ways, rows affected, transactions, the
//! caps on rows and statements, and database errors.

use serde_json::json;
use weft_runtime::SqlLimits;

use crate::fixture::{
    Server, message, oks, plain, results, run, runtime, runtime_limited, step, table,
};
use crate::task::{log_text, output};

/// Every type of `sql-value` goes in as a parameter and comes back from a query, NULLs too.
pub fn types_round_trip(s: &Server) {
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
            plain("execute", &create),
            step("execute", &insert, values.clone()),
            step("execute", &insert, nulls.clone()),
            plain("query", &format!("SELECT * FROM {t} ORDER BY c_int IS NULL, c_int")),
            plain("execute", &format!("DROP TABLE {t}")),
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

/// One statement run again and again, then with a parameter of another type, then as first:
/// each run binds its own value with its own type (statements are kept prepared per
/// parameter types).
pub fn repeated_statements_take_each_runs_types(s: &Server) {
    let rt = runtime();
    let query = if s.is_pg() {
        "SELECT $1 AS v"
    } else {
        "SELECT ? AS v"
    };
    let ask = |value: serde_json::Value| step("query", query, json!([value]));
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [
            ask(json!({"int": 7})),
            ask(json!({"int": 8})),
            ask(json!({"text": "x"})),
            ask(json!({"int": 9})),
            ask(json!({"text": "y"})),
        ]}),
    ));
    let values: Vec<serde_json::Value> = oks(&out)
        .iter()
        .map(|result| result["rows"][0][0].clone())
        .collect();
    assert_eq!(
        values,
        [
            json!({"int": 7}),
            json!({"int": 8}),
            json!({"text": "x"}),
            json!({"int": 9}),
            json!({"text": "y"}),
        ],
        "{out}"
    );
}

/// `execute` counts rows; transactions commit and roll back, and one left open is rolled
/// back when the attempt ends.
pub fn rows_affected_and_transactions(s: &Server) {
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
            plain("begin", ""),
            plain("begin", ""),
            step("execute", &insert, json!([{"int": 3}, {"int": 30}])),
            plain("rollback", ""),
            plain("commit", ""),
            plain("begin", ""),
            step("execute", &insert, json!([{"int": 4}, {"int": 40}])),
            plain("commit", ""),
            // Left open: the session is dropped at the end of the task.
            plain("begin", ""),
            step("execute", &insert, json!([{"int": 5}, {"int": 50}])),
        ]}),
    ));
    let results = results(&out);
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
            plain("begin", ""),
            step("execute", &insert, json!([{"int": 6}, {"int": 60}])),
            {"op": "forget"},
        ]}),
    ));
    oks(&out);
    // Rolled back: the rows are not there, and the primary keys are free again (an open
    // transaction would hold their locks and make these inserts wait).
    let lock_wait = s.pick(
        "SET lock_timeout = '5s'",
        "SET SESSION innodb_lock_wait_timeout = 5",
    );
    let ids = s.direct(&[
        lock_wait,
        &format!("INSERT INTO {t} VALUES (5, 0)"),
        &format!("INSERT INTO {t} VALUES (6, 0)"),
        &format!(
            "SELECT CAST(id AS {}) FROM {t} WHERE v <> 0 ORDER BY id",
            s.pick("TEXT", "CHAR")
        ),
    ]);
    assert_eq!(ids, ["1", "2", "4"], "committed rows only");
    s.direct(&[&format!("DROP TABLE {t}")]);
}

/// The caps on rows and statements end the attempt's SQL, and the log says so.
pub fn caps(s: &Server) {
    let rt = runtime_limited(SqlLimits {
        max_statements: 3,
        max_rows: 10,
        ..SqlLimits::default()
    });
    let many = s.pick(
        "SELECT g FROM generate_series(1, 100) AS g",
        "SELECT seq FROM seq_1_to_100",
    );
    let report = run(
        &rt,
        json!({"conn": s.id(), "steps": [
            plain("query", many),
            plain("execute", "SELECT 1"),
            plain("execute", "SELECT 2"),
            plain("execute", "SELECT 3"),
        ]}),
    );
    let out = output(&report);
    let results = results(&out);
    assert_eq!(results[0]["error"]["kind"], "limit", "{out}");
    assert!(message(&results[0]["error"]).contains("10 rows"), "{out}");
    assert!(results[1].get("ok").is_some(), "{out}");
    assert_eq!(results[3]["error"]["kind"], "limit", "{out}");
    assert!(
        message(&results[3]["error"]).contains("3 statements"),
        "{out}"
    );
    assert!(log_text(&report).contains("sql limit:"), "{:?}", report.log);
}

/// A database error reaches the guest with its SQLSTATE, `code` on `s`.
pub fn errors_carry_their_sqlstate(s: &Server, code: &str) {
    let rt = runtime();
    let out = output(&run(
        &rt,
        json!({"conn": s.id(), "steps": [plain("query", "SELECT * FROM no_such_table")]}),
    ));
    let error = &out["results"][0]["error"];
    assert_eq!(error["kind"], "database", "{out}");
    assert_eq!(error["code"], code, "{out}");
}
