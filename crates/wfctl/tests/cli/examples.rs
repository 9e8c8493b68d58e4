//! `wfctl build`, `inspect`, `run` and `test` on every example, end to end.

use crate::common;

use common::{example, repo, task, wfctl, wfctl_json};
use serde_json::json;

#[test]
fn hello_builds_inspects_and_runs() {
    let hello = example("hello");
    let inspect = wfctl_json("inspect", &hello, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    let dag = inspect.json();
    assert_eq!(dag["dag_id"], "hello");
    assert_eq!(dag["schedule"], "@daily");
    let ids: Vec<&str> = dag["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["task_id"].as_str())
        .collect();
    assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
    assert_eq!(task(&dag, "t4")["upstream"], json!(["t2", "t3"]));
    assert_eq!(task(&dag, "t1")["downstream"], json!(["t2", "t3"]));
    assert_eq!(task(&dag, "t2")["retries"], 2);

    let test = wfctl_json("test", &hello, &["--conf", r#"{"name": "Ada"}"#]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    assert_eq!(run["state"], "success");
    for id in ["t1", "t2", "t3", "t4"] {
        assert_eq!(task(&run, id)["state"], "success", "{run}");
    }
    let t4 = &task(&run, "t4")["output"];
    assert_eq!(t4["shouted"], "HELLO, ADA!", "{t4}");
    assert_eq!(t4["words"], 2, "{t4}");
    assert_eq!(t4["letters"], 8, "{t4}");
}

#[test]
fn hello_text_output_shows_each_task() {
    let hello = example("hello");
    let test = wfctl(["test".as_ref(), hello.as_os_str()]);
    assert_eq!(test.code, 0, "{test:?}");
    for id in ["t1", "t2", "t3", "t4"] {
        assert!(
            test.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(id) && l.contains("success")),
            "{test:?}"
        );
    }
    assert!(test.stdout.contains("DAG run hello: success"), "{test:?}");
    assert!(
        test.stderr.contains("greets world"),
        "task logs go to stderr: {test:?}"
    );
}

#[test]
fn run_executes_one_task_with_given_xcom() {
    let hello = example("hello");
    let t1 = wfctl([
        "run".as_ref(),
        hello.as_os_str(),
        "t1".as_ref(),
        "--conf".as_ref(),
        r#"{"name":"Bo"}"#.as_ref(),
    ]);
    assert_eq!(t1.code, 0, "{t1:?}");
    let out: serde_json::Value = serde_json::from_str(t1.stdout.trim()).expect("t1 output is JSON");
    assert_eq!(out["greeting"], "Hello, Bo!");
    assert!(t1.stderr.contains("INFO"), "the log goes to stderr: {t1:?}");

    let t2 = wfctl([
        "run".as_ref(),
        hello.as_os_str(),
        "t2".as_ref(),
        "--xcom".as_ref(),
        r#"t1={"name":"x","greeting":"hi there"}"#.as_ref(),
    ]);
    assert_eq!(t2.code, 0, "{t2:?}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(t2.stdout.trim()).expect("JSON"),
        json!({"shouted": "HI THERE"})
    );

    // Without its upstream output, t2 fails permanently: exit 1 with the class.
    let alone = wfctl(["run".as_ref(), hello.as_os_str(), "t2".as_ref()]);
    assert_eq!(alone.code, 1, "{alone:?}");
    assert!(
        alone.stderr.contains("[task_error]") && alone.stderr.contains("no greeting"),
        "{alone:?}"
    );

    let keyed = wfctl_json("run", &hello, &["t4", "--xcom", "t3/letters=7"]);
    assert_eq!(keyed.code, 0, "{keyed:?}");
    assert_eq!(keyed.json()["detail"]["output"]["letters"], 7);
}

#[test]
fn mall_customers_sorts_and_aggregates() {
    let mall = example("mall-customers");
    let test = wfctl_json("test", &mall, &[]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    // Without `s3` and `sql` in the conf there is nothing to upload and no table to read.
    for skipped in ["upload", "top_spenders"] {
        assert_eq!(task(&run, skipped)["state"], "skipped", "{run}");
    }
    let report = &task(&run, "report")["output"];
    let text = report.to_string();
    let scores: Vec<i64> = find_scores(report);
    assert!(scores.len() >= 10, "sorted rows in the report: {text}");
    assert!(
        scores.windows(2).all(|w| w[0] <= w[1]),
        "ascending by spending score: {scores:?}"
    );
    assert!(text.contains("Female") && text.contains("Male"), "{text}");

    let csv = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n1,Male,19,15,39\n2,Female,21,15,81\n3,Female,20,16,6\n";
    let conf = json!({ "csv": csv }).to_string();
    let small = wfctl_json("test", &mall, &["--conf", &conf]);
    assert_eq!(small.code, 0, "{small:?}");
    assert_eq!(
        find_scores(&task(&small.json(), "report")["output"]),
        [6, 39, 81]
    );

    let bad = json!({ "csv": "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n1,Male,old,15,39\n" }).to_string();
    let failed = wfctl_json("test", &mall, &["--conf", &bad]);
    assert_eq!(failed.code, 1, "{failed:?}");
    let run = failed.json();
    assert_eq!(run["state"], "failed");
    let extract = task(&run, "extract");
    assert_eq!(extract["state"], "failed");
    assert_eq!(
        extract["tries"], 1,
        "a permanent error is not retried: {extract}"
    );
    assert!(
        extract["error"]
            .as_str()
            .is_some_and(|e| e.contains("line 2") && e.contains("Age")),
        "{extract}"
    );
    assert_eq!(task(&run, "report")["state"], "upstream_failed");
}

/// The spending scores of the sorted rows in a report, in order.
fn find_scores(report: &serde_json::Value) -> Vec<i64> {
    let rows = report["sorted_by_spending"]
        .as_array()
        .unwrap_or_else(|| panic!("no sorted rows in {report}"));
    rows.iter()
        .filter_map(|r| r["spending_score"].as_i64())
        .collect()
}

#[test]
fn queues_report_their_queue_and_worker() {
    let queues = example("queues");
    let test = wfctl_json("test", &queues, &[]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    for (id, queue) in [("on_vm2", "vm2_queue"), ("on_vm3", "vm3_queue")] {
        let out = &task(&run, id)["output"];
        assert_eq!(out["queue"], queue, "{out}");
        assert_eq!(out["task"], id, "{out}");
        assert!(
            out["worker_id"]
                .as_str()
                .is_some_and(|w| w.starts_with("local-")),
            "{out}"
        );
        assert!(
            out["hostname"].as_str().is_some_and(|h| !h.is_empty()),
            "{out}"
        );
    }
}

#[test]
fn hello_python_builds_and_runs() {
    let py = example("hello-python");
    let inspect = wfctl_json("inspect", &py, &[]);
    assert_eq!(inspect.code, 0, "{inspect:?}");
    assert_eq!(inspect.json()["dag_id"], "hello_python");
    let test = wfctl_json("test", &py, &["--conf", r#"{"name": "py"}"#]);
    assert_eq!(test.code, 0, "{test:?}");
    let run = test.json();
    assert_eq!(run["state"], "success");
    let t4 = &task(&run, "t4")["output"];
    assert_eq!(t4["upper"], "HELLO, PY", "{t4}");
    assert_eq!(t4["length"], 9, "{t4}");
    // With no `url` in the configuration, fetch sends nothing and returns `{}`.
    assert_eq!(task(&run, "fetch")["state"], "success", "{run}");
    assert_eq!(task(&run, "fetch")["output"], json!({}), "{run}");
    // With no `number`, query opens no connection and returns `{}`.
    assert_eq!(task(&run, "query")["state"], "success", "{run}");
    assert_eq!(task(&run, "query")["output"], json!({}), "{run}");
}

#[test]
fn hello_python_fetches_only_what_the_operator_allows() {
    common::fetches_only_what_the_operator_allows(&example("hello-python"));
}

#[test]
fn hello_python_queries_postgres_through_the_host() {
    common::queries_postgres_through_the_host(&example("hello-python"));
}

#[test]
fn build_output_flag_writes_where_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("nested").join("queues.wasm");
    let run = wfctl([
        "build".as_ref(),
        repo().join("examples/queues").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().last().map(std::path::PathBuf::from),
        Some(out.clone())
    );
    assert!(out.is_file());
}

#[test]
fn inspect_shows_what_each_task_may_reach() {
    let mall = example("mall-customers");
    let text = wfctl(["inspect".as_ref(), mall.as_os_str()]);
    assert_eq!(text.code, 0, "{text:?}");
    // The rules the example was built with: `WEFT_MALL_S3_EGRESS`, `;`-separated.
    let egress = std::env::var("WEFT_MALL_S3_EGRESS")
        .unwrap_or_else(|_| "GET,PUT http://127.0.0.1:9000".to_owned())
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let lines: Vec<&str> = text.stdout.lines().map(str::trim).collect();
    for expected in [
        format!("egress {egress}"),
        "connections aws_default".to_owned(),
    ] {
        assert!(
            lines.iter().any(|l| *l == expected),
            "`{expected}` in the text output: {text:?}"
        );
    }

    let json = wfctl_json("inspect", &mall, &[]).json();
    let tasks = json["tasks"].as_array().expect("tasks");
    let declaring = |conn: &str| -> Vec<&str> {
        tasks
            .iter()
            .filter(|t| {
                t["resources"]["connections"]
                    .as_array()
                    .is_some_and(|c| c.contains(&json!(conn)))
            })
            .map(|t| t["task_id"].as_str().expect("an id"))
            .collect()
    };
    // Every task but `report` and `top_spenders` reads or writes the bucket, with room for a
    // large CSV; the SQL step's two tasks open the database.
    let s3_tasks = [
        "extract",
        "sort_by_spending",
        "aggregate_by_gender",
        "upload",
    ];
    assert_eq!(declaring("aws_default"), s3_tasks, "{json}");
    assert_eq!(
        declaring("postgres_default"),
        ["sort_by_spending", "top_spenders"],
        "{json}"
    );
    for task in tasks
        .iter()
        .filter(|t| s3_tasks.contains(&t["task_id"].as_str().unwrap_or_default()))
    {
        assert_eq!(task["resources"]["memory_bytes"], 1u64 << 30, "{task}");
    }
    let report = tasks
        .iter()
        .find(|t| t["task_id"] == "report")
        .expect("report");
    assert_eq!(
        report["resources"]["egress_allowlist"],
        json!([]),
        "{report}"
    );
    assert_eq!(report["resources"]["memory_bytes"], json!(null), "{report}");
}
