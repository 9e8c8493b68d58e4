//! Bad input gets exit code 2 and a message naming what is wrong; failing tasks get exit 1
//! with their error class.

use crate::common;

use common::wfctl;
use weft_test_guests_artifacts as guests;

fn assert_usage_error(args: &[&str], needle: &str) {
    let run = wfctl(args);
    assert_eq!(run.code, 2, "{args:?}: {run:?}");
    assert!(
        run.stderr.contains(needle),
        "{args:?}: expected {needle:?} in stderr: {run:?}"
    );
}

#[test]
fn invalid_components_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.wasm");
    std::fs::write(&text, guests::NOT_WASM).expect("write");
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, guests::CORE_MODULE).expect("write");
    for command in ["inspect", "test"] {
        assert_usage_error(
            &[command, &text.to_string_lossy()],
            "not a WebAssembly binary",
        );
        assert_usage_error(
            &[command, &core.to_string_lossy()],
            "core WebAssembly module, not a component",
        );
        assert_usage_error(
            &[command, guests::NOT_A_DAG],
            "does not implement a weft:dag world (0.6.0, 0.5.0, 0.4.0, 0.3.0, 0.2.0 or 0.1.0)",
        );
        assert_usage_error(&[command, guests::CYCLE], "cycle: a -> b -> c -> a");
        assert_usage_error(
            &[command, guests::UNKNOWN_UPSTREAM],
            "unknown upstream \"nope\"",
        );
    }
    assert_usage_error(
        &["inspect", "/nonexistent/dag.wasm"],
        "cannot read /nonexistent/dag.wasm",
    );
    assert_usage_error(&["inspect", guests::CYCLE], "[class: invalid_dag_spec]");
}

#[test]
fn bad_flags_are_named() {
    let noop = guests::NOOP;
    assert_usage_error(
        &["run", noop, "nope"],
        "has no task \"nope\"; its tasks are: noop",
    );
    assert_usage_error(
        &["run", noop, "noop", "--conf", "{oops"],
        "invalid --conf: not JSON",
    );
    assert_usage_error(
        &["run", noop, "noop", "--conf", "[1, 2]"],
        "must be a JSON object",
    );
    assert_usage_error(
        &["run", noop, "noop", "--timeout", "soon"],
        "invalid --timeout",
    );
    assert_usage_error(
        &["run", noop, "noop", "--memory", "lots"],
        "invalid --memory",
    );
    assert_usage_error(
        &["run", noop, "noop", "--var", "novalue"],
        "expected KEY=VALUE",
    );
    assert_usage_error(&["run", noop, "noop", "--xcom", "t1"], "expected TASK=JSON");
    assert_usage_error(&["test", noop, "--conf", "42"], "must be a JSON object");
    assert_usage_error(&["run", noop], "TASK_ID");
}

#[test]
fn the_cache_size_is_applied_and_a_bad_one_is_named() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().to_string_lossy().into_owned();
    // The compiled code in the cache, by file name.
    let held = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("cache")
            .flatten()
            .filter_map(|engine| std::fs::read_dir(engine.path()).ok())
            .flat_map(|files| files.flatten())
            .map(|file| file.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let run = |guest: &str, task: &str, size: &str| {
        common::wfctl_env(
            ["run", guest, task],
            [
                ("WEFT_CACHE_DIR", cache_dir.as_str()),
                ("WEFT_CACHE_MAX_SIZE", size),
            ],
        )
    };
    let first = run(guests::NOOP, "noop", "");
    assert_eq!(first.code, 0, "{first:?}");
    let noop = held(cache.path());
    assert_eq!(noop.len(), 1, "{noop:?}");
    for (size, needle) in [
        ("lots", "WEFT_CACHE_MAX_SIZE: invalid size \"lots\""),
        ("-1GiB", "WEFT_CACHE_MAX_SIZE: invalid size \"-1GiB\""),
        ("0", "WEFT_CACHE_MAX_SIZE: \"0\" keeps nothing"),
    ] {
        let refused = run(guests::NOOP, "noop", size);
        assert_eq!(refused.code, 2, "{size}: {refused:?}");
        assert!(refused.stderr.contains(needle), "{size}: {refused:?}");
        assert_eq!(held(cache.path()), noop, "{size}");
    }
    // A bound below two components: the second one's code replaces the first's.
    let second = run(guests::BENCH_SINGLE, "t0", "1KiB");
    assert_eq!(second.code, 0, "{second:?}");
    let after = held(cache.path());
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, noop);
}

#[test]
fn build_refuses_what_it_cannot_build() {
    let empty = tempfile::tempdir().expect("tempdir");
    assert_usage_error(
        &["build", &empty.path().to_string_lossy()],
        "holds neither Cargo.toml",
    );
    assert_usage_error(&["build", "/nonexistent/project"], "is not a directory");

    // A crate that does not compile: cargo's errors, then exit 2 naming the crate.
    let broken = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        broken.path().join("Cargo.toml"),
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[lib]\ncrate-type = [\"cdylib\"]\n[workspace]\n",
    )
    .expect("write");
    std::fs::create_dir(broken.path().join("src")).expect("mkdir");
    std::fs::write(broken.path().join("src/lib.rs"), "fn oops( {}\n").expect("write");
    assert_usage_error(
        &["build", &broken.path().to_string_lossy()],
        "cargo build of",
    );
}

#[test]
fn failing_tasks_exit_1_with_their_class() {
    let run = wfctl([
        "run",
        guests::INFINITE_LOOP,
        "infinite_loop",
        "--timeout",
        "300ms",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("[timeout] timed out after 300ms"),
        "{run:?}"
    );

    let run = wfctl([
        "run",
        guests::INFINITE_LOOP,
        "infinite_loop",
        "--fuel",
        "1000000",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("[cpu_budget]"), "{run:?}");

    let run = wfctl([
        "run",
        guests::MEMORY_BOMB,
        "memory_bomb",
        "--memory",
        "32MiB",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("[memory_limit]"), "{run:?}");

    let run = wfctl(["run", guests::PANIC, "panic"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("[trap]") && run.stderr.contains("weft-test-panic: boom"),
        "{run:?}"
    );

    let run = wfctl([
        "run",
        guests::HUGE_OUTPUT,
        "huge_output",
        "--max-output",
        "1MiB",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("[output_too_large]"), "{run:?}");

    let run = wfctl(["run", guests::NORMAL, "skip"]);
    assert_eq!(run.code, 0, "a skip is not a failure: {run:?}");
    assert!(
        run.stderr.contains("skipped: weft-test: skipped"),
        "{run:?}"
    );
}

#[test]
fn a_failing_dag_run_exits_1_and_follows_trigger_rules() {
    // `normal` has tasks that fail and skip on purpose; its run fails, the rest still run.
    let run = wfctl([
        "test",
        guests::NORMAL,
        "--output",
        "json",
        "--var",
        "region=eu",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    assert_eq!(report["state"], "failed");
    let state = |id: &str| {
        report["tasks"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["task_id"] == id))
            .map(|t| t["state"].clone())
    };
    assert_eq!(state("fail_permanent"), Some("failed".into()));
    assert_eq!(state("fail_retryable"), Some("failed".into()));
    assert_eq!(state("skip"), Some("skipped".into()));
    assert_eq!(state("upstream"), Some("success".into()));
    assert_eq!(state("scratch"), Some("success".into()));
}

/// A local run follows a branch as the scheduler does: what it does not pick is skipped, and
/// a pick it may not make fails the branch task.
#[test]
fn local_runs_follow_branches() {
    let run = wfctl([
        "test",
        guests::ORCHESTRATE,
        "--conf",
        r#"{"pick": ["right"]}"#,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let line = |id: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id}: {run:?}"))
            .to_owned()
    };
    assert!(line("left").contains("skipped"), "{run:?}");
    assert!(
        run.stdout.contains("branch pick did not pick it"),
        "{run:?}"
    );
    assert!(line("right").contains("success"), "{run:?}");
    assert!(line("join").contains("success"), "{run:?}");
    assert!(line("none_ran").contains("skipped"), "{run:?}");

    let run = wfctl([
        "test",
        guests::ORCHESTRATE,
        "--conf",
        r#"{"pick": "trigger"}"#,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("not one of its direct downstream tasks"),
        "{run:?}"
    );
}

/// `wfctl test` runs a mapped task once per item, as a scheduler would, and shows its
/// output as the instances' outputs in order; items that are not a JSON array fail it.
#[test]
fn local_runs_expand_mapped_tasks() {
    let run = wfctl(["test", guests::MAPPING, "--conf", r#"{"items": [2, 3]}"#]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("-> [4,9]"), "{run:?}");
    assert!(
        run.stdout
            .contains(r#"-> {"labels":["0:a","1:b","2:c"],"squares":2,"sum":13}"#),
        "{run:?}"
    );

    let run = wfctl(["test", guests::MAPPING, "--conf", r#"{"items": "x"}"#]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "cannot expand over the output of \"list\": the output is a JSON string, not an array"
        ),
        "{run:?}"
    );
}

/// An error that quotes a huge argument shows a bounded part of it, saying how much it left
/// out.
#[test]
fn an_error_quoting_a_huge_argument_is_bounded() {
    let huge = "x".repeat(100_000);
    let run = wfctl([
        "server",
        "--database",
        huge.as_str(),
        "--redis",
        "redis://127.0.0.1:1",
    ]);
    assert_eq!(run.code, 2, "{}", &run.stderr[..run.stderr.len().min(300)]);
    assert!(run.stderr.contains("--database"), "{}", &run.stderr[..300]);
    assert!(run.stderr.len() < 3_000, "{} bytes", run.stderr.len());
    assert!(
        run.stderr.contains("more bytes not shown"),
        "{}",
        run.stderr
    );
}
