//! `wfctl build`, `inspect`, `run` and `test` on `examples/hello-ts`, the hello DAG in
//! TypeScript on `@weft/sdk`, end to end: its outputs, what a task throws, an egress denial,
//! and SQL through the host.
//!
//! A TypeScript component embeds a JavaScript engine (14 MB), which takes seconds to compile.
//! The tests build it once per suite run, whatever runs them (see `common::example`), and
//! every wfctl they start shares one compile cache (`target/e2e-compile-cache`, as the
//! embedded stack's end-to-end tests do).
//!
//! Needs the TypeScript toolchain (`npm ci` and `npm run build` in sdk/js, which
//! `scripts/setup.sh` runs) and, for the SQL test, `source scripts/services.sh;
//! weft_services_start`.

use crate::common;

use std::path::PathBuf;

use common::{example, logged, task, wfctl_json};
use serde_json::json;

/// `examples/hello-ts`, built once per suite run.
fn hello_ts() -> PathBuf {
    example("hello-ts")
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

#[test]
fn hello_ts_fetches_only_what_the_operator_allows() {
    common::fetches_only_what_the_operator_allows(&hello_ts());
}

#[test]
fn hello_ts_queries_postgres_through_the_host() {
    common::queries_postgres_through_the_host(&hello_ts());
}
