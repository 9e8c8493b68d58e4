//! `wfctl build`, `inspect`, `run` and `test` on `examples/hello-c`, the hello DAG in C on
//! `sdk/c/weft.h`, end to end: its outputs and logs, XCom between its tasks, bad input, and
//! projects that do not build.
//!
//! Needs clang, lld, wasi-libc and compiler-rt for wasm32 (`scripts/setup.sh` installs
//! them from Debian's packages).

use crate::common;

use common::{example, logged, repo, task, wfctl, wfctl_json};
use serde_json::json;

#[test]
fn hello_c_builds_and_runs() {
    let c = example("hello-c");
    let inspect = wfctl_json("inspect", &c, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    let dag = inspect.json();
    assert_eq!(dag["dag_id"], "hello_c", "{dag}");
    assert_eq!(dag["schedule"], "@daily", "{dag}");
    assert_eq!(task(&dag, "t4")["upstream"], json!(["t2", "t3"]), "{dag}");
    assert_eq!(task(&dag, "t4")["retries"], 2, "{dag}");

    // A name that needs escaping, and one beyond ASCII, come back whole.
    let test = wfctl_json("test", &c, &["--conf", r#"{"name": "Ada \"Ö\""}"#]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    assert_eq!(run["state"], "success", "{run}");
    assert_eq!(
        task(&run, "t1")["output"],
        json!({"greeting": "hello, Ada \"Ö\""})
    );
    // toupper leaves bytes beyond ASCII alone.
    assert_eq!(
        task(&run, "t2")["output"],
        json!({"upper": "HELLO, ADA \"Ö\""})
    );
    // Reversed character by character: Ö stays whole.
    assert_eq!(
        task(&run, "t3")["output"],
        json!({"reversed": "\"Ö\" adA ,olleh"})
    );
    let t4 = &task(&run, "t4")["output"];
    assert_eq!(t4["upper"], "HELLO, ADA \"Ö\"", "{t4}");
    assert_eq!(t4["length"], 15, "the length in bytes: {t4}");

    let plain = wfctl_json("test", &c, &["--conf", r#"{"name": "c"}"#]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert_eq!(
        task(&plain.json(), "t4")["output"],
        json!({"upper": "HELLO, C", "reversed": "c ,olleh", "length": 8})
    );
}

#[test]
fn hello_c_tasks_log_and_fail_on_bad_input() {
    let c = example("hello-c");
    let t1 = wfctl_json("run", &c, &["t1"]);
    assert_eq!(t1.code, 0, "{t1:?}");
    let report = t1.json();
    assert_eq!(
        report["detail"]["output"],
        json!({"greeting": "hello, world"})
    );
    assert_eq!(logged(&report, "info"), ["t1: hello, world"], "{report}");

    // t2 reads its upstream output as given.
    let t2 = wfctl_json("run", &c, &["t2", "--xcom", r#"t1={"greeting":"hi"}"#]);
    assert_eq!(t2.code, 0, "{t2:?}");
    assert_eq!(t2.json()["detail"]["output"], json!({"upper": "HI"}));

    // A name of another type, a conf that is not JSON's object and an upstream output
    // without its field each fail the task for good, saying what was wrong.
    for (args, says) in [
        (
            vec!["t1", "--conf", r#"{"name": 5}"#],
            "the run's conf field `name` is of another type",
        ),
        (
            vec!["t2", "--xcom", r#"t1={"other":"x"}"#],
            "t1's output field `greeting` is absent",
        ),
        (vec!["t2"], "t1's output field `greeting` is absent"),
    ] {
        let bad = wfctl_json("run", &c, &args);
        assert_eq!(bad.code, 1, "{args:?}: {bad:?}");
        let report = bad.json();
        assert_eq!(report["state"], "failed", "{report}");
        let error = report["detail"]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("permanent") && error.contains(says),
            "{args:?}: {report}"
        );
    }

    // t4 refuses a `length` that is not an integer.
    let t4 = wfctl_json(
        "run",
        &c,
        &[
            "t4",
            "--xcom",
            r#"t2={"upper":"A"}"#,
            "--xcom",
            r#"t3={"reversed":"a"}"#,
            "--xcom",
            r#"t3/length="long""#,
        ],
    );
    assert_eq!(t4.code, 1, "{t4:?}");
    let error = t4.json()["detail"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("t3's `length` is of another type"),
        "{error}"
    );
}

/// A copy of `examples/hello-c` in a temporary directory, with `src/hello.c` replaced by
/// `source`.
fn project_with(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = repo().join("examples/hello-c");
    std::fs::copy(example.join("Makefile"), dir.path().join("Makefile")).expect("Makefile");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(dir.path().join("src/hello.c"), source).expect("hello.c");
    dir
}

#[test]
fn a_c_project_that_does_not_compile_says_so() {
    let broken = project_with("#include \"weft.h\"\nthis is not C;\n");
    let build = wfctl(["build".as_ref(), broken.path().as_os_str()]);
    assert_ne!(build.code, 0, "{build:?}");
    assert!(build.stderr.contains("make weft failed"), "{build:?}");
    assert!(
        build.stderr.contains("hello.c"),
        "the compiler names the file: {build:?}"
    );
    assert!(build.stdout.is_empty(), "{build:?}");

    // Code that compiles but describes no DAG does not link.
    let no_dag = project_with("#include \"weft.h\"\nint unused(void) { return 0; }\n");
    let build = wfctl(["build".as_ref(), no_dag.path().as_os_str()]);
    assert_ne!(build.code, 0, "{build:?}");
    assert!(build.stderr.contains("exports_dag_describe"), "{build:?}");
}

#[test]
fn a_c_dag_that_breaks_the_rules_is_refused_at_build() {
    // A cycle: the component builds, and the DAG check after it names the problem.
    let cyclic = project_with(
        "#include \"weft.h\"\n\
         WEFT_DESCRIBE(dag) {\n\
             weft_dag_init(dag, \"cyclic_c\", NULL);\n\
             weft_add_task(dag, \"a\", \"b\", NULL);\n\
             weft_add_task(dag, \"b\", \"a\", NULL);\n\
         }\n\
         static bool a(weft_task *t) { weft_json_object o = {0}; return weft_ok(t, &o); }\n\
         WEFT_TASKS({\"a\", a}, {\"b\", a})\n",
    );
    let build = wfctl(["build".as_ref(), cyclic.path().as_os_str()]);
    assert_ne!(build.code, 0, "{build:?}");
    assert!(build.stderr.contains("cycl"), "{build:?}");
}

#[test]
fn a_c_dag_declares_every_task_setting_the_sdk_offers() {
    let settings = project_with(
        "#include \"weft.h\"\n\
         WEFT_DESCRIBE(dag) {\n\
             weft_dag_init(dag, \"settings_c\", \"every setting\");\n\
             weft_dag_tags(dag, \"a\", \"b\", NULL);\n\
             weft_add_task(dag, \"first\", NULL);\n\
             weft_dag_types_task_spec_t *t = weft_add_task(dag, \"second\", \"first\", NULL);\n\
             weft_task_retries(t, 3, 2000);\n\
             weft_task_timeout(t, 5000);\n\
             weft_task_trigger_rule(t, WEFT_DAG_TYPES_TRIGGER_RULE_ALL_DONE);\n\
             weft_task_queue(t, \"q2\");\n\
             weft_task_connections(t, \"warehouse\", NULL);\n\
             weft_task_secrets(t, \"token\", NULL);\n\
             weft_task_egress(t, \"GET https://api.example.com\", NULL);\n\
             weft_task_worker_labels(t, \"gpu\", \"ssd\", NULL);\n\
             weft_task_arch(t, \"aarch64\");\n\
             weft_task_memory(t, 64u << 20);\n\
         }\n\
         static bool run(weft_task *t) { weft_json_object o = {0}; return weft_ok(t, &o); }\n\
         WEFT_TASKS({\"first\", run}, {\"second\", run})\n",
    );
    let inspect = wfctl_json("inspect", settings.path(), &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    let dag = inspect.json();
    assert_eq!(dag["tags"], json!(["a", "b"]), "{dag}");
    assert_eq!(dag["schedule"], serde_json::Value::Null, "{dag}");
    let first = task(&dag, "first");
    assert_eq!(first["queue"], "default", "{first}");
    let second = task(&dag, "second");
    assert_eq!(second["upstream"], json!(["first"]), "{second}");
    assert_eq!(second["retries"], 3, "{second}");
    assert_eq!(second["retry_delay_ms"], 2000, "{second}");
    assert_eq!(second["execution_timeout_ms"], 5000, "{second}");
    assert_eq!(second["trigger_rule"], "all_done", "{second}");
    assert_eq!(second["queue"], "q2@arch=aarch64+gpu+ssd", "{second}");
    let resources = &second["resources"];
    assert_eq!(resources["connections"], json!(["warehouse"]), "{second}");
    assert_eq!(resources["secrets"], json!(["token"]), "{second}");
    assert_eq!(
        resources["egress_allowlist"],
        json!(["GET https://api.example.com"]),
        "{second}"
    );
    assert_eq!(
        resources["worker_labels"],
        json!(["gpu", "ssd"]),
        "{second}"
    );
    assert_eq!(resources["arch"], "aarch64", "{second}");
    assert_eq!(resources["memory_bytes"], 64 << 20, "{second}");
}

#[test]
fn a_c_task_that_ends_without_an_output_or_an_error_fails_saying_so() {
    let careless = project_with(
        "#include \"weft.h\"\n\
         WEFT_DESCRIBE(dag) {\n\
             weft_dag_init(dag, \"careless_c\", NULL);\n\
             weft_add_task(dag, \"no_output\", NULL);\n\
             weft_add_task(dag, \"no_error\", NULL);\n\
         }\n\
         static bool no_output(weft_task *t) { (void)t; return true; }\n\
         static bool no_error(weft_task *t) { (void)t; return false; }\n\
         WEFT_TASKS({\"no_output\", no_output}, {\"no_error\", no_error})\n",
    );
    let build = wfctl(["build".as_ref(), careless.path().as_os_str()]);
    assert_eq!(build.code, 0, "{build:?}");
    let component = std::path::PathBuf::from(build.stdout.trim());
    for (task_id, says) in [
        ("no_output", "returned true without an output"),
        ("no_error", "returned false without an error"),
    ] {
        let run = wfctl_json("run", &component, &[task_id]);
        assert_eq!(run.code, 1, "{run:?}");
        let report = run.json();
        let error = report["detail"]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("permanent") && error.contains(says),
            "{task_id}: {report}"
        );
    }
}

#[test]
fn a_directory_with_another_makefile_is_not_a_c_dag() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Makefile"), "all:\n\ttrue\n").expect("Makefile");
    let build = wfctl(["build".as_ref(), dir.path().as_os_str()]);
    assert_ne!(build.code, 0, "{build:?}");
    assert!(
        build.stderr.contains("target/weft/weft.mk"),
        "the error says what a C project's Makefile needs: {build:?}"
    );
}
