//! The test guests that try to escape or exhaust the sandbox: each is contained with its exact
//! error class, and the runtime then runs a normal task fine (part of the `guests` and
//! `guests_baseline` test binaries).

use super::*;

#[test]
pub fn exit() {
    let report = run(&load(guests::EXIT), "exit");
    let TaskFailure::Trap { message, .. } = failure(&report) else {
        panic!("expected a trap: {report:?}")
    };
    assert!(message.contains("exited with status 0"), "{message}");
    still_healthy();
}

#[test]
pub fn memory_residue() {
    // A runtime of its own with one instance's worth of slots: 4 memories (see engine.rs),
    // one per attempt of this guest. The attempts below outnumber them twice over, so the
    // pool runs out, the decommit batch is flushed, and freed slots (the writer's among
    // them) are handed out again.
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_instances: 1,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let bytes = std::fs::read(guests::MEMORY_RESIDUE).expect("guest");
    let component = runtime.load(&bytes).expect("load");
    let attempt = |task_id: &str, conf: Value| {
        output_json(&run_on(
            &runtime,
            &component,
            task_id,
            Call {
                conf,
                ..Call::default()
            },
        ))
    };
    let field = |report: &Value, name: &str| report[name].as_u64().expect(name);
    let written = attempt("write", json!({}));
    // The writer's own scan sees its heap, static and stack marks: the scan can find them.
    assert!(field(&written, "found") >= 200_000, "{written}");
    for n in 1..=9 {
        // Each scan first grows to the writer's size, so it reads every page the writer could.
        let scanned = attempt("scan", json!({ "pages": field(&written, "pages") }));
        assert_eq!(field(&scanned, "found"), 0, "attempt {n}: {scanned}");
        assert!(
            field(&scanned, "pages") < field(&written, "pages"),
            "attempt {n} starts with the grown memory: {scanned} after {written}"
        );
    }
}

#[test]
pub fn memory_bomb() {
    let component = load(guests::MEMORY_BOMB);
    let report = run_with(
        &component,
        "memory_bomb",
        Call::with_limits(limits(|l| l.memory_bytes = 64 << 20)),
    );
    assert_eq!(
        failure(&report),
        &TaskFailure::MemoryLimit { limit: 64 << 20 }
    );
    still_healthy();
}

#[test]
pub fn stack_overflow() {
    let component = load(guests::STACK_OVERFLOW);
    let report = run(&component, "stack_overflow");
    let TaskFailure::Trap { message, backtrace } = failure(&report) else {
        panic!("expected a trap: {report:?}")
    };
    assert!(message.contains("call stack exhausted"), "{message}");
    assert!(backtrace.contains("stack_overflow"), "{backtrace}");
    still_healthy();
}

#[test]
pub fn panic() {
    let component = load(guests::PANIC);
    let report = run(&component, "panic");
    let TaskFailure::Trap { message, backtrace } = failure(&report) else {
        panic!("expected a trap: {report:?}")
    };
    assert!(message.contains("weft-test-panic: boom"), "{message}");
    assert!(backtrace.contains("run_task"), "{backtrace}");
    assert!(
        report
            .log
            .lines
            .iter()
            .any(|l| l.source == LogSource::Stderr && l.message.contains("boom"))
    );
    assert!(failure(&report).is_retryable());
    still_healthy();
}

#[test]
pub fn read_passwd() {
    let out = output_json(&run(&load(guests::READ_PASSWD), "read_passwd"));
    assert_eq!(out["ok"], json!(false), "{out}");
    assert_eq!(out["bytes"], Value::Null, "{out}");
    assert_eq!(out["list_root"]["ok"], json!(false), "{out}");
}

#[test]
pub fn open_socket() {
    let out = output_json(&run(&load(guests::OPEN_SOCKET), "open_socket"));
    assert_eq!(out["tcp_connect"]["ok"], json!(false), "{out}");
    assert_eq!(out["udp_bind"]["ok"], json!(false), "{out}");
    assert!(
        out["tcp_connect"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("PermissionDenied")),
        "{out}"
    );
}

#[test]
pub fn read_env() {
    let out = output_json(&run(&load(guests::READ_ENV), "read_env"));
    assert_eq!(out, json!({ "args": [], "vars": {} }));
}

#[test]
pub fn huge_output() {
    let component = load(guests::HUGE_OUTPUT);
    // Memory to hold it, but an output limit below it.
    let report = run(&component, "huge_output");
    assert_eq!(
        failure(&report),
        &TaskFailure::OutputTooLarge {
            size: 64 << 20,
            limit: Limits::default().output_bytes
        }
    );
    still_healthy();
}

#[test]
pub fn log_flood() {
    let component = load(guests::LOG_FLOOD);
    let report = run_with(
        &component,
        "log_flood",
        Call::with_limits(limits(|l| l.log_bytes = 256 << 10)),
    );
    assert!(
        matches!(report.outcome, TaskOutcome::Success(_)),
        "{:?}",
        report.outcome
    );
    let kept: usize = report.log.lines.iter().map(|l| l.message.len()).sum();
    assert!(kept <= 256 << 10, "kept {kept} bytes");
    // Empty lines are charged too: a million of them cannot all be kept.
    assert!(
        report.log.lines.len() < 256 << 10 >> 6,
        "kept {} lines",
        report.log.lines.len()
    );
    assert!(
        report.log.dropped_bytes > 100 << 20,
        "dropped only {}",
        report.log.dropped_bytes
    );
    still_healthy();
}

/// With `RUST_BACKTRACE` and `WASMTIME_BACKTRACE_DETAILS` set for the worker's process, a
/// trapping task's error holds its message and the guest's frames, never a host backtrace
/// nor source paths (and the worker symbolizes nothing for it).
#[test]
pub fn a_trap_carries_no_host_backtrace() {
    if !backtraces::in_child() {
        backtraces::rerun_with_backtraces(module_path!(), "a_trap_carries_no_host_backtrace");
        return;
    }
    let report = run(&load(guests::PANIC), "panic");
    let TaskFailure::Trap { message, backtrace } = failure(&report) else {
        panic!("expected a trap: {report:?}")
    };
    let shown = format!("{}\n{message}\n{backtrace}", failure(&report));
    assert!(message.contains("weft-test-panic: boom"), "{shown}");
    // The guest's own panic message names its own source file, which is the guest's.
    backtraces::assert_nothing_of_the_host(&shown);
    assert!(backtrace.contains("run_task"), "{backtrace}");
}

#[test]
pub fn scratch_flood() {
    const QUOTA: u64 = 1 << 20;
    let root = tempfile::tempdir().expect("scratch root");
    let runtime = Runtime::new(RuntimeConfig {
        scratch_root: Some(root.path().to_owned()),
        scratch_max_bytes: QUOTA,
        max_concurrent_instances: 2,
        baseline_min_bytes: on_baseline().then_some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let component = runtime
        .load(&std::fs::read(guests::SCRATCH_FLOOD).expect("guest"))
        .expect("load");
    let left = || std::fs::read_dir(root.path()).expect("root").count();
    for conf in [
        json!({"how": "write"}),
        json!({"how": "stream"}),
        json!({"how": "set_size", "max": 1u64 << 30}),
        json!({"how": "files", "max": 100_000}),
    ] {
        let call = Call {
            conf: conf.clone(),
            ..Call::default()
        };
        let out = output_json(&run_on(&runtime, &component, "flood", call));
        // The write past the quota fails in the task: as a full disk (`ENOSPC`), or, for
        // writes through a file's stream, as `EIO` (wasi-libc turns every failed stream write
        // into that; the host's `filesystem-error-code` says `insufficient-space`, see the
        // runtime's `scratch` tests). What the directory holds stays within the quota.
        let full = out["error"].as_str().is_some_and(|e| {
            e.starts_with("StorageFull") || (conf["how"] != "set_size" && conf["how"] != "files" && e.contains("(os error 29)"))
        });
        assert!(full, "{conf}: {out}");
        let on_disk = out["on_disk"].as_u64().expect("on_disk");
        assert!(on_disk <= QUOTA, "{conf}: {out}");
        assert!(out["written"].as_u64().expect("written") <= QUOTA, "{conf}: {out}");
        assert_eq!(left(), 0, "{conf}: the scratch directory outlived its attempt");
    }
    // A task that dies with its directory full leaves nothing behind either.
    let call = Call {
        conf: json!({"how": "panic"}),
        ..Call::default()
    };
    let report = run_on(&runtime, &component, "flood", call);
    assert!(matches!(failure(&report), TaskFailure::Trap { .. }), "{report:?}");
    assert_eq!(left(), 0, "the scratch directory outlived a trapped attempt");
    // A task that declares no directory sees none.
    let out = output_json(&run_on(&runtime, &component, "bare", Call::default()));
    assert_eq!(out["stat"]["ok"], json!(false), "{out}");
    assert_eq!(out["create"]["ok"], json!(false), "{out}");
    assert_eq!(left(), 0);
}
