// The body of the `guests` and `guests_baseline` test binaries (see guests.rs).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use weft_runtime::{
    DagComponent, ErrorClass, Limits, LoadError, LogLevel, LogSource, MemoryHost, Runtime,
    RuntimeConfig, TaskContext, TaskFailure, TaskOutcome, TaskReport, TaskRequest, Tier,
    UpstreamOutput, WorkerInfo,
};
use weft_test_guests_artifacts as guests;

#[path = "assets.rs"]
mod assets;
#[path = "../support/backtraces.rs"]
mod backtraces;
#[path = "cpu.rs"]
mod cpu;
#[path = "hostile.rs"]
mod hostile;
#[path = "orchestration.rs"]
mod orchestration;

// The tests of `assets`, `cpu`, `hostile` and `orchestration` are named after their guests,
// as every guest's test is.
#[allow(unused_imports)]
use assets::{asset_raw, asset_report, asset_sorted};
#[allow(unused_imports)]
use cpu::{fuel_budget, infinite_loop};
#[allow(unused_imports)]
use hostile::{
    exit, huge_output, log_flood, memory_bomb, memory_residue, open_socket, panic, read_env,
    read_passwd, scratch_flood, stack_overflow,
};
#[allow(unused_imports)]
use orchestration::{mapping, notify, orchestrate, sensor, waits, waits_child};

macro_rules! assert_test_exists {
    ($name:ident) => {
        #[allow(unused_imports)]
        use self::$name as _;
    };
}
guests::foreach_guest!(assert_test_exists);

/// Whether this binary runs the guests on baseline (Winch) code: `guests_baseline` does, so
/// that every limit of the sandbox is shown to hold on both compilers' code.
fn on_baseline() -> bool {
    env!("CARGO_CRATE_NAME") == "guests_baseline"
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let config = if on_baseline() {
            RuntimeConfig {
                baseline_min_bytes: Some(0),
                optimize_baseline: false,
                ..RuntimeConfig::default()
            }
        } else {
            RuntimeConfig::default()
        };
        Runtime::new(config).expect("runtime")
    })
}

fn load(path: &str) -> Arc<DagComponent> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let component = runtime()
        .load(&bytes)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let expected = if on_baseline() { Tier::Baseline } else { Tier::Optimized };
    assert_eq!(component.tier(), expected, "{path}");
    component
}

fn load_err(bytes: &[u8]) -> LoadError {
    match runtime().load(bytes) {
        Ok(component) => panic!("loaded {component:?}, expected an error"),
        Err(e) => e,
    }
}

struct Call {
    conf: Value,
    limits: Limits,
    upstream: Vec<UpstreamOutput>,
    host: MemoryHost,
    event: Option<String>,
    /// The map index and item (JSON) of an instance of a mapped task.
    map: Option<(u32, String)>,
}

impl Default for Call {
    fn default() -> Self {
        Call {
            conf: json!({}),
            limits: Limits::default(),
            upstream: Vec::new(),
            host: MemoryHost::default(),
            event: None,
            map: None,
        }
    }
}

impl Call {
    /// A call with `conf`, and defaults otherwise.
    fn with_conf(conf: Value) -> Call {
        Call {
            conf,
            ..Call::default()
        }
    }

    /// A call under `limits`, and defaults otherwise.
    fn with_limits(limits: Limits) -> Call {
        Call {
            limits,
            ..Call::default()
        }
    }
}

fn run_with(component: &DagComponent, task_id: &str, call: Call) -> TaskReport {
    run_on(runtime(), component, task_id, call)
}

fn run_on(runtime: &Runtime, component: &DagComponent, task_id: &str, call: Call) -> TaskReport {
    let mut context = TaskContext::local(component.dag().id(), task_id, 1, 1);
    context.conf = call.conf.to_string();
    context.event = call.event.clone();
    if let Some((index, item)) = call.map.clone() {
        context.map_index = Some(index);
        context.map_item = Some(item);
    }
    runtime.run_task(component, request(context, call))
}

fn request(context: TaskContext, call: Call) -> TaskRequest {
    TaskRequest {
        context,
        upstream: call.upstream,
        worker: WorkerInfo {
            worker_id: "w-1".into(),
            hostname: "host-a".into(),
            queue: "default".into(),
        },
        limits: call.limits,
        tenant_egress: None,
        host: Arc::new(call.host),
    }
}

fn run(component: &DagComponent, task_id: &str) -> TaskReport {
    run_with(component, task_id, Call::default())
}

fn failure(report: &TaskReport) -> &TaskFailure {
    match &report.outcome {
        TaskOutcome::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn output_json(report: &TaskReport) -> Value {
    match &report.outcome {
        TaskOutcome::Success(bytes) => serde_json::from_slice(bytes).expect("JSON output"),
        other => panic!("expected success, got {other:?}"),
    }
}

/// The runtime still runs a well-behaved task after whatever the previous test did to it.
fn still_healthy() {
    let report = run(&load(guests::NOOP), "noop");
    assert_eq!(report.outcome, TaskOutcome::Success(Vec::new()));
}

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    f(&mut limits);
    limits
}

#[test]
fn noop() {
    let component = load(guests::NOOP);
    assert_eq!(component.dag().id(), "noop");
    let report = run(&component, "noop");
    assert_eq!(report.outcome, TaskOutcome::Success(Vec::new()));
    assert!(report.log.lines.is_empty());
}

#[test]
fn slow_host_loop() {
    let component = load(guests::SLOW_HOST_LOOP);
    let report = run_with(
        &component,
        "slow_host_loop",
        Call::with_limits(limits(|l| l.timeout = Duration::from_millis(200))),
    );
    assert_eq!(
        failure(&report),
        &TaskFailure::Timeout {
            limit: Duration::from_millis(200)
        }
    );
    still_healthy();
}

#[test]
fn flow() {
    let component = load(guests::FLOW);
    let dag = component.dag();
    let order: Vec<&str> = dag.tasks().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(order.first(), Some(&"start"));
    assert_eq!(
        dag.task("flaky").map(|t| (t.retries, t.retry_delay)),
        Some((2, Duration::from_millis(10)))
    );
    let first = run_with(&component, "flaky", Call::default());
    assert_eq!(
        failure(&first),
        &TaskFailure::Error {
            retryable: true,
            message: "flaky: first try fails".into()
        }
    );
}

#[test]
fn slow_chain() {
    let component = load(guests::SLOW_CHAIN);
    let report = run_with(&component, "slow", Call::with_conf(json!({"sleep_ms": 20})));
    assert_eq!(output_json(&report), json!({"try": 1}));
    assert!(report.duration >= Duration::from_millis(20));
}

#[test]
fn ui_flow() {
    let component = load(guests::UI_FLOW);
    for task in ["extract", "audit", "report"] {
        let report = run(&component, task);
        assert_eq!(output_json(&report), json!(task));
        assert_eq!(report.log.lines[0].message, format!("{task} done"));
    }
    // A live log hands out each line while the task still runs, and the final log holds
    // them all in the same order.
    let live = weft_runtime::LiveLog::new();
    let report = std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            let mut context = TaskContext::local("ui_flow", "transform", 1, 1);
            context.conf = json!({"ticks": 6, "tick_ms": 50}).to_string();
            runtime().run_task_live(&component, request(context, Call::default()), Some(&live))
        });
        let mut taken = Vec::new();
        while !running.is_finished() {
            taken.extend(live.take_new_lines().into_iter().map(|l| l.message));
            std::thread::sleep(Duration::from_millis(10));
        }
        let report = running.join().expect("the task's thread");
        assert!(
            taken.len() >= 2,
            "lines were taken while the task ran: {taken:?}"
        );
        let all: Vec<String> = report.log.lines.iter().map(|l| l.message.clone()).collect();
        assert!(
            all.starts_with(&taken),
            "each line once, in order, as the final log has them: {taken:?} of {all:?}"
        );
        report
    });
    assert_eq!(output_json(&report), json!({"ticks": 6}));
    assert_eq!(report.log.lines.len(), 6);
}

#[test]
fn sleep() {
    let component = load(guests::SLEEP);
    let report = run_with(
        &component,
        "sleep",
        Call::with_limits(limits(|l| l.timeout = Duration::from_millis(300))),
    );
    assert_eq!(
        failure(&report),
        &TaskFailure::Timeout {
            limit: Duration::from_millis(300)
        }
    );
    assert!(
        report.duration < Duration::from_secs(10),
        "a sleeping guest held the host for {:?}",
        report.duration
    );
    still_healthy();
}

#[test]
fn xcom_flood() {
    let component = load(guests::XCOM_FLOOD);
    let report = run_with(
        &component,
        "xcom_flood",
        Call::with_limits(limits(|l| l.xcom_bytes = 4 << 20)),
    );
    let out = output_json(&report);
    assert_eq!(
        out,
        json!({ "pushed": 4, "error": format!("too_large {}", 4 << 20) })
    );
    let kept: usize = report.xcom.iter().map(|p| p.value.len()).sum();
    assert_eq!(kept, 4 << 20, "all values together stay within the limit");
}

#[test]
fn cycle() {
    let e = load_err(&std::fs::read(guests::CYCLE).expect("guest"));
    assert_eq!(e.class(), ErrorClass::InvalidDagSpec);
    assert!(e.to_string().contains("cycle: a -> b -> c -> a"), "{e}");
}

#[test]
fn unknown_upstream() {
    let e = load_err(&std::fs::read(guests::UNKNOWN_UPSTREAM).expect("guest"));
    assert_eq!(e.class(), ErrorClass::InvalidDagSpec);
    assert!(
        e.to_string()
            .contains("\"t1\" has unknown upstream \"nope\""),
        "{e}"
    );
}

#[test]
fn not_a_dag() {
    let e = load_err(&std::fs::read(guests::NOT_A_DAG).expect("guest"));
    assert_eq!(e.class(), ErrorClass::NotADagComponent);
    assert!(e.to_string().contains("describe"), "{e}");
    still_healthy();
}

#[test]
fn bytes_that_are_not_a_component() {
    let e = load_err(guests::NOT_WASM);
    assert_eq!(e.class(), ErrorClass::InvalidComponent);
    assert!(e.to_string().contains("not a WebAssembly binary"), "{e}");
    let e = load_err(guests::CORE_MODULE);
    assert_eq!(e.class(), ErrorClass::InvalidComponent);
    assert!(
        e.to_string()
            .contains("core WebAssembly module, not a component"),
        "{e}"
    );
    let mut truncated = std::fs::read(guests::NOOP).expect("guest");
    truncated.truncate(truncated.len() / 2);
    assert_eq!(load_err(&truncated).class(), ErrorClass::InvalidComponent);
    still_healthy();
}

mod normal {
    use super::*;

    #[test]
    fn passes_context_and_worker() {
        let component = load(guests::NORMAL);
        let out = output_json(&run_with(
            &component,
            "echo_context",
            Call::with_conf(json!({"x": 1})),
        ));
        assert_eq!(out["context"], out["runtime_context"]);
        assert_eq!(out["context"]["task_id"], "echo_context");
        assert_eq!(out["context"]["dag_id"], "normal");
        assert_eq!(out["context"]["conf"], "{\"x\":1}");
        assert_eq!(
            out["worker"],
            json!({"worker_id": "w-1", "hostname": "host-a", "queue": "default"})
        );
    }

    #[test]
    fn xcom_push_and_pull_are_checked() {
        let component = load(guests::NORMAL);
        let host = MemoryHost::default();
        host.put_xcom("echo_context", None, b"ctx-out".to_vec());
        let report = run_with(
            &component,
            "xcom",
            Call {
                conf: json!({"pull": "echo_context"}),
                host,
                ..Call::default()
            },
        );
        assert_eq!(
            output_json(&report),
            json!({"push": {"ok": null}, "pull": {"ok": "ctx-out"}})
        );
        assert_eq!(report.xcom.len(), 1);
        assert_eq!(
            (report.xcom[0].key.as_str(), report.xcom[0].value.as_slice()),
            ("k", b"xcom-value".as_slice())
        );

        let not_upstream = output_json(&run_with(
            &component,
            "xcom",
            Call::with_conf(json!({"pull": "logs"})),
        ));
        assert!(
            not_upstream["pull"]["error"]["not_upstream"].is_string(),
            "{not_upstream}"
        );
        let bad_key = output_json(&run_with(
            &component,
            "xcom",
            Call::with_conf(json!({"push_key": "no spaces"})),
        ));
        assert!(
            bad_key["push"]["error"]["invalid_key"].is_string(),
            "{bad_key}"
        );
        let too_large = output_json(&run_with(
            &component,
            "xcom",
            Call::with_limits(limits(|l| l.xcom_bytes = 4)),
        ));
        assert_eq!(too_large["push"]["error"], json!({"too_large": 4}));
    }

    #[test]
    fn a_failed_attempt_keeps_no_xcom() {
        // `xcom` pushes a value, then returns an output larger than this limit allows: the
        // attempt fails after a successful push, and that push must not survive it.
        let component = load(guests::NORMAL);
        let report = run_with(
            &component,
            "xcom",
            Call::with_limits(limits(|l| l.output_bytes = 4)),
        );
        assert_eq!(failure(&report).class(), ErrorClass::OutputTooLarge);
        assert!(
            report.xcom.is_empty(),
            "pushes of a failed attempt are dropped: {:?}",
            report.xcom
        );
    }

    #[test]
    fn variables_come_from_the_host() {
        let component = load(guests::NORMAL);
        let host =
            MemoryHost::with_variables(HashMap::from([("region".to_owned(), "eu".to_owned())]));
        let set = run_with(
            &component,
            "variables",
            Call {
                conf: json!({"key": "region"}),
                host,
                ..Call::default()
            },
        );
        assert_eq!(output_json(&set), json!("eu"));
        let unset = run_with(
            &component,
            "variables",
            Call::with_conf(json!({"key": "nope"})),
        );
        assert_eq!(output_json(&unset), Value::Null);
    }

    #[test]
    fn logs_and_stdio_are_captured() {
        let report = run(&load(guests::NORMAL), "logs");
        let lines: Vec<(LogLevel, LogSource, &str)> = report
            .log
            .lines
            .iter()
            .map(|l| (l.level, l.source, l.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (LogLevel::Trace, LogSource::Task, "weft-test-log trace"),
                (LogLevel::Debug, LogSource::Task, "weft-test-log debug"),
                (LogLevel::Info, LogSource::Task, "weft-test-log info"),
                (LogLevel::Warn, LogSource::Task, "weft-test-log warn"),
                (LogLevel::Error, LogSource::Task, "weft-test-log error"),
                (LogLevel::Info, LogSource::Stdout, "weft-test-stdout"),
                (LogLevel::Warn, LogSource::Stderr, "weft-test-stderr"),
            ]
        );
    }

    #[test]
    fn upstream_outputs_are_handed_over() {
        let upstream = vec![
            UpstreamOutput {
                task_id: "echo_context".into(),
                value: b"a".to_vec(),
            },
            UpstreamOutput {
                task_id: "xcom".into(),
                value: b"b".to_vec(),
            },
        ];
        let out = output_json(&run_with(
            &load(guests::NORMAL),
            "upstream",
            Call {
                upstream,
                ..Call::default()
            },
        ));
        assert_eq!(
            out,
            json!([{"task_id": "echo_context", "value": "a"}, {"task_id": "xcom", "value": "b"}])
        );
    }

    #[test]
    fn task_errors_keep_their_kind() {
        let component = load(guests::NORMAL);
        let retry = run(&component, "fail_retryable");
        assert_eq!(
            failure(&retry),
            &TaskFailure::Error {
                retryable: true,
                message: "weft-test: retryable failure".into()
            }
        );
        let permanent = run(&component, "fail_permanent");
        assert!(!failure(&permanent).is_retryable());
        assert_eq!(
            run(&component, "skip").outcome,
            TaskOutcome::Skipped("weft-test: skipped".into())
        );
        let unknown = run(&component, "no_such_task");
        assert_eq!(failure(&unknown).class(), ErrorClass::TaskError);
        assert!(
            failure(&unknown)
                .to_string()
                .contains("has no task \"no_such_task\"")
        );
    }

    #[test]
    fn scratch_directory_is_granted_and_fresh() {
        let component = load(guests::NORMAL);
        // The guest fails if its file is already there: the second attempt proves freshness.
        for _ in 0..2 {
            let report = run(&component, "scratch");
            assert_eq!(
                report.outcome,
                TaskOutcome::Success(b"weft-test-scratch".to_vec())
            );
        }
    }

    #[test]
    fn directories_are_refused_when_policy_says_so() {
        let strict = Runtime::new(RuntimeConfig {
            allow_directories: false,
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        let component = strict
            .load(&std::fs::read(guests::NORMAL).expect("guest"))
            .expect("load");
        let report = strict.run_task(
            &component,
            TaskRequest {
                context: TaskContext::local("normal", "scratch", 1, 1),
                upstream: Vec::new(),
                worker: WorkerInfo {
                    worker_id: "w".into(),
                    hostname: "h".into(),
                    queue: "default".into(),
                },
                limits: Limits::default(),
                tenant_egress: None,
                host: Arc::new(MemoryHost::default()),
            },
        );
        let failure = failure(&report);
        assert!(!failure.is_retryable());
        assert!(failure.to_string().contains("does not grant"), "{failure}");
    }
}

/// A benchmark DAG: `tasks` no-op tasks `t0`, `t1`, … with limits that never bind and no
/// retries; every task runs to an empty output and an unknown task is refused.
fn assert_bench_dag(path: &str, dag_id: &str, tasks: usize) -> Arc<DagComponent> {
    let component = load(path);
    let dag = component.dag();
    assert_eq!(dag.id(), dag_id);
    assert_eq!(dag.tasks().len(), tasks);
    assert!(dag.max_active_tasks().is_some_and(|n| n >= 10_000));
    assert!(dag.max_active_runs().is_some_and(|n| n >= 100));
    assert!(dag.tasks().iter().all(|t| t.retries == 0));
    for id in [0, tasks / 2, tasks - 1].map(|i| format!("t{i}")) {
        assert!(dag.task(&id).is_some(), "{dag_id} has no task {id}");
        assert_eq!(
            run(&component, &id).outcome,
            TaskOutcome::Success(Vec::new())
        );
    }
    let outside = format!("t{tasks}");
    assert!(dag.task(&outside).is_none());
    let report = run(&component, &outside);
    assert!(!failure(&report).is_retryable());
    component
}

#[test]
fn bench_chain40() {
    let component = assert_bench_dag(guests::BENCH_CHAIN40, "bench_chain40", 40);
    let dag = component.dag();
    for i in 1..40 {
        let upstream = &dag.task(&format!("t{i}")).expect("task").upstream;
        assert_eq!(upstream, &vec![format!("t{}", i - 1)]);
    }
    assert!(dag.task("t0").expect("task").upstream.is_empty());
}

/// Every task of a fan DAG stands alone.
fn assert_independent(component: &DagComponent) {
    assert!(
        component
            .dag()
            .tasks()
            .iter()
            .all(|t| t.upstream.is_empty())
    );
}

#[test]
fn bench_fan100() {
    assert_independent(&assert_bench_dag(guests::BENCH_FAN100, "bench_fan100", 100));
}

#[test]
fn bench_fan500() {
    assert_independent(&assert_bench_dag(guests::BENCH_FAN500, "bench_fan500", 500));
}

#[test]
fn bench_fan10000() {
    assert_independent(&assert_bench_dag(
        guests::BENCH_FAN10000,
        "bench_fan10000",
        10_000,
    ));
}


#[test]
fn bench_etl6() {
    let component = load(guests::BENCH_ETL6);
    let dag = component.dag();
    assert_eq!(dag.id(), "bench_etl6");
    assert_eq!(dag.tasks().len(), 6);
    assert!(dag.max_active_tasks().is_some_and(|n| n >= 10_000));
    assert!(dag.max_active_runs().is_some_and(|n| n >= 10_000));
    assert!(dag.tasks().iter().all(|t| t.retries == 0));
    let middle = ["clean", "enrich", "score", "audit"];
    assert!(dag.task("extract").expect("extract").upstream.is_empty());
    for id in middle {
        assert_eq!(dag.task(id).expect(id).upstream, vec!["extract".to_owned()]);
    }
    let mut load_upstream = dag.task("load").expect("load").upstream.clone();
    load_upstream.sort_unstable();
    let mut expected = middle.map(str::to_owned).to_vec();
    expected.sort_unstable();
    assert_eq!(load_upstream, expected);
    for task in dag.tasks() {
        assert_eq!(
            run(&component, &task.id).outcome,
            TaskOutcome::Success(Vec::new())
        );
    }
    assert!(!failure(&run(&component, "transform")).is_retryable());
}
#[test]
fn bench_single() {
    assert_bench_dag(guests::BENCH_SINGLE, "bench_single", 1);
}

/// A benchmark DAG of deferred waits: `tasks` independent waits `t0`, `t1`, … on the run of
/// `bench_single` with the same logical date, an hour's timeout, limits that never bind and
/// no retries; a wait asked to run code is refused for good.
fn assert_bench_waits(path: &str, dag_id: &str, tasks: usize) {
    use weft_model::{RunSelector, TaskKind, WaitCondition};
    let component = load(path);
    assert_eq!(component.world_version(), "0.3.0");
    let dag = component.dag();
    assert_eq!(dag.id(), dag_id);
    assert_eq!(dag.tasks().len(), tasks);
    assert!(dag.has_waits());
    assert!(dag.max_active_tasks().is_some_and(|n| n >= 10_000));
    assert!(dag.max_active_runs().is_some_and(|n| n >= 100));
    for task in dag.tasks() {
        assert!(task.upstream.is_empty(), "{}", task.id);
        assert_eq!(task.retries, 0, "{}", task.id);
        assert_eq!(task.sensor.timeout_ms, Some(3_600_000), "{}", task.id);
        let TaskKind::Wait(WaitCondition::External(wait)) = &task.kind else {
            panic!("{} is not an external wait: {:?}", task.id, task.kind);
        };
        assert_eq!(
            (wait.dag_id.as_str(), &wait.run, wait.task_id.as_deref()),
            ("bench_single", &RunSelector::LogicalDateOffsetMs(0), None)
        );
        assert!(wait.allowed_states.is_empty() && wait.failed_states.is_empty());
    }
    assert!(dag.task(&format!("t{}", tasks - 1)).is_some());
    assert!(!failure(&run(&component, "t0")).is_retryable());
    still_healthy();
}

/// A benchmark DAG of a mapped task: `list` returns `[0, …, items-1]`, and `each` is mapped
/// over it, returning nothing; limits never bind, no retries.
fn assert_bench_map(path: &str, dag_id: &str, items: usize) {
    let component = load(path);
    assert_eq!(component.world_version(), "0.3.0");
    let dag = component.dag();
    assert_eq!(dag.id(), dag_id);
    assert!(dag.max_active_tasks().is_some_and(|n| n >= 10_000));
    let each = dag.task("each").expect("each");
    assert_eq!(
        each.expand,
        Some(weft_model::Expand::Upstream("list".into()))
    );
    assert_eq!(each.retries, 0);
    let list = output_json(&run(&component, "list"));
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), items);
    assert_eq!(list[items - 1], json!(items - 1));
    let report = run_with(
        &component,
        "each",
        Call {
            map: Some((0, "0".into())),
            ..Call::default()
        },
    );
    assert!(matches!(report.outcome, TaskOutcome::Success(ref b) if b.is_empty()));
    still_healthy();
}

#[test]
fn bench_map500() {
    assert_bench_map(guests::BENCH_MAP500, "bench_map500", 500);
}

#[test]
fn bench_map10000() {
    assert_bench_map(guests::BENCH_MAP10000, "bench_map10000", 10_000);
}

#[test]
fn bench_waits100() {
    assert_bench_waits(guests::BENCH_WAITS100, "bench_waits100", 100);
}

#[test]
fn bench_waits1000() {
    assert_bench_waits(guests::BENCH_WAITS1000, "bench_waits1000", 1000);
}

/// The default policy allows no egress at all, whatever the task declares (the policy itself
/// is tested in `tests/egress.rs`).
#[test]
fn egress_probe() {
    let component = load(guests::EGRESS_PROBE);
    assert_eq!(component.world_version(), "0.2.0");
    let conf = json!({"requests": [{"method": "GET", "url": "http://127.0.0.1:9/"}], "fail_on_error": true});
    let report = run_with(
        &component,
        "probe",
        Call {
            conf,
            ..Call::default()
        },
    );
    let TaskOutcome::Failed(failure) = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome)
    };
    assert_eq!(failure.class(), ErrorClass::EgressDenied, "{failure}");
    assert_eq!(load(guests::NOOP).world_version(), "0.1.0");
}

/// The default policy allows no raw TCP, whatever the task declares (the policy itself is
/// tested in `tests/tcp.rs`).
#[test]
fn tcp_probe() {
    let component = load(guests::TCP_PROBE);
    let conf = json!({"connect": ["127.0.0.1:9"], "fail_on_error": true});
    let report = run_with(
        &component,
        "probe",
        Call {
            conf,
            ..Call::default()
        },
    );
    let TaskOutcome::Failed(failure) = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome)
    };
    assert_eq!(failure.class(), ErrorClass::EgressDenied, "{failure}");
}

/// Without a declaration the session is refused; the SQL itself is tested against real
/// servers in `tests/sql/`.
#[test]
fn sql_probe() {
    let component = load(guests::SQL_PROBE);
    assert_eq!(component.world_version(), "0.2.0");
    let report = run_with(&component, "bare", Call::with_conf(json!({"conn": "pg"})));
    let TaskOutcome::Success(bytes) = &report.outcome else {
        panic!("expected success, got {:?}", report.outcome)
    };
    let out: Value = serde_json::from_slice(bytes).expect("json");
    assert_eq!(out["open"]["error"]["kind"], "not-declared", "{out}");
}

#[test]
fn zoned_daily() {
    let component = load(guests::ZONED_DAILY);
    let dag = component.dag();
    assert_eq!(dag.zone().iana_name(), Some("Europe/Berlin"));
    assert_eq!(
        dag.start_date().map(|t| t.to_string()).as_deref(),
        Some("2023-12-31T23:00:00Z"),
        "midnight in Berlin"
    );
    assert_eq!(
        run(&component, "t0").outcome,
        TaskOutcome::Success(Vec::new())
    );
}
