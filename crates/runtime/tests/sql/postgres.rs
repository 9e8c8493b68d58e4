//! `weft:dag/sql` on PostgreSQL: the tests both servers share, and what only PostgreSQL
//! does (a `COMMIT` of an aborted transaction, a session busy with a stream).

use serde_json::json;
use weft_runtime::SqlLimits;

use crate::fixture::{message, pg, plain, results, run, runtime, runtime_limited};
use crate::task::output;
use crate::{sessions, statements};

#[test]
fn every_type_round_trips() {
    statements::types_round_trip(&pg());
}

#[test]
fn repeated_statements_take_each_runs_types() {
    statements::repeated_statements_take_each_runs_types(&pg());
}

#[test]
fn execute_counts_rows_and_open_transactions_roll_back() {
    statements::rows_affected_and_transactions(&pg());
}

#[test]
fn row_and_statement_caps_hold() {
    statements::caps(&pg());
}

#[test]
fn database_errors_carry_their_sqlstate() {
    statements::errors_carry_their_sqlstate(&pg(), "42P01");
}

#[test]
fn a_hundred_thousand_rows_stream_in_batches() {
    sessions::streams(&pg());
}

#[test]
fn a_statement_past_its_timeout_is_cancelled() {
    sessions::timeouts_cancel_on_the_server(&pg());
}

#[test]
fn session_state_never_reaches_the_next_attempt() {
    sessions::session_state_does_not_leak(&pg());
}

#[test]
fn the_password_stays_out_of_the_guest_and_the_log() {
    sessions::password_stays_out(&pg());
}

#[test]
fn pools_are_reused_and_never_shared_across_passwords() {
    sessions::pools_are_reused_not_shared(&pg());
}

#[test]
fn a_session_runs_nothing_else_while_a_stream_is_open() {
    let rt = runtime();
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [
            {"op": "hold", "sql": "SELECT g FROM generate_series(1, 10) AS g"},
            plain("query", "SELECT 1"),
            plain("begin", ""),
            {"op": "release"},
            plain("query", "SELECT 1"),
        ]}),
    ));
    let results = results(&out);
    assert_eq!(results[1]["error"]["kind"], "state", "{out}");
    assert_eq!(results[2]["error"]["kind"], "state", "{out}");
    assert_eq!(results[4]["ok"]["rows"], json!([[{"int": 1}]]), "{out}");
}

#[test]
fn rows_of_nulls_count_against_the_bytes_cap() {
    let rt = runtime_limited(SqlLimits {
        max_bytes: 64 * 1024,
        ..SqlLimits::default()
    });
    let nulls = "SELECT NULL::int AS a, NULL::int AS b, NULL::int AS c, NULL::int AS d FROM generate_series(1, 10000)";
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [plain("query", nulls)]}),
    ));
    assert_eq!(out["results"][0]["error"]["kind"], "limit", "{out}");
    assert!(
        message(&out["results"][0]["error"]).contains("max_bytes"),
        "{out}"
    );
}

#[test]
fn commit_of_a_failed_transaction_fails() {
    let rt = runtime();
    let out = output(&run(
        &rt,
        json!({"conn": "pg", "steps": [
            plain("begin", ""),
            plain("query", "SELECT 1/0"),
            plain("commit", ""),
            plain("query", "SELECT 1"),
            plain("begin", ""),
            plain("commit", ""),
        ]}),
    ));
    let results = results(&out);
    assert_eq!(results[1]["error"]["kind"], "database", "{out}");
    assert_eq!(results[2]["error"]["kind"], "database", "{out}");
    assert_eq!(results[2]["error"]["code"], "25P02", "{out}");
    assert!(
        message(&results[2]["error"]).contains("rolled back"),
        "{out}"
    );
    for i in [3, 4, 5] {
        assert!(results[i].get("ok").is_some(), "step {i}: {out}");
    }
}
