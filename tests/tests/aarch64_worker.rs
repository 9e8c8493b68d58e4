//! One `dag.wasm` on machines of two architectures: a worker built for aarch64 (the worker
//! machine's build of `wfctl`, run under `qemu-aarch64`) beside an x86_64 worker, both serving
//! queue `default` of one installation. Both fetch the component by its digest and run its
//! tasks; each compiles it for its own machine, and the compile cache they share keeps the
//! two codes apart, so that neither ever loads the other's.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use weft_client::RunDetail;
use weft_e2e::process::aarch64_wfctl;
use weft_e2e::{Api, Cluster, WorkerSpec, example};
use weft_model::{DagRunState, TaskState};

/// An emulated machine compiles and runs many times slower than the real one.
const RUN_WAIT: Duration = Duration::from_secs(300);

/// ELF `e_machine` of x86_64 and of aarch64 code.
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

#[test]
fn an_aarch64_worker_and_an_x86_64_worker_run_one_component() {
    let cache = tempfile::Builder::new()
        .prefix("weft-e2e-arch-cache-")
        .tempdir()
        .expect("temp dir");
    let cache_env = vec![(
        "WEFT_CACHE_DIR".to_owned(),
        cache.path().to_string_lossy().into_owned(),
    )];
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    // Heartbeats of an emulated worker compiling a component come late: the production lease.
    let spec = |id: &str, host: &str| WorkerSpec {
        concurrency: 1,
        lease_secs: 30.0,
        env: cache_env.clone(),
        ..WorkerSpec::new(id, host, &["default"])
    };
    let _arm = cluster.worker(&WorkerSpec {
        launcher: aarch64_wfctl(),
        ..spec("worker-arm", "arm-host")
    });
    let api = cluster.api();
    let deployed = api.deploy(&example("hello"));
    let digest = deployed.digest.as_str();
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest).to_owned();

    // Alone, the aarch64 worker runs every task of a run.
    api.trigger("hello", json!({}), Some("on-arm"));
    let run = api.wait_run("hello", "on-arm", RUN_WAIT);
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    assert_eq!(hosts(&run), ["arm-host"; 4], "{run:?}");
    let shouted = Api::task(&run, "t4");
    assert_eq!(shouted.state, TaskState::Success, "{shouted:?}");

    // An x86_64 worker joins the same queue; runs now go to both, and end the same. Until
    // it has started and compiled the component the aarch64 worker may take every task, so
    // runs go three at a time until one of its tasks ran on the x86_64 worker (five rounds
    // at most).
    let _x86 = cluster.worker(&spec("worker-x86", "x86-host"));
    let mut ran_on = Vec::new();
    let on_arm = result("on-arm", &api);
    for round in 1..=5 {
        let ids: Vec<String> = (1..=3).map(|k| format!("both-{round}-{k}")).collect();
        for id in &ids {
            api.trigger("hello", json!({}), Some(id));
        }
        for id in &ids {
            let run = api.wait_run("hello", id, RUN_WAIT);
            assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
            ran_on.extend(hosts(&run));
            assert_eq!(result(id, &api), on_arm, "run {id} on {:?}", hosts(&run));
        }
        if ran_on.iter().any(|h| h == "x86-host") {
            break;
        }
    }
    assert!(
        ran_on.iter().any(|h| h == "x86-host"),
        "the x86_64 worker ran none of {ran_on:?}"
    );

    // Each worker says what machine it is on.
    let (code, out) = cluster.wfctl(&["workers", "list"]);
    assert_eq!(code, 0, "{out}");
    for (worker, arch) in [("worker-arm", "aarch64"), ("worker-x86", "x86_64")] {
        let line = out
            .lines()
            .find(|l| l.contains(worker))
            .unwrap_or_else(|| panic!("no {worker} in:\n{out}"));
        assert!(
            line.contains(arch),
            "{worker} is not shown on {arch}: {line}"
        );
    }

    // The shared cache holds the component twice, once compiled per machine.
    let mut machines: Vec<u16> = std::fs::read_dir(cache.path())
        .expect("the cache directory")
        .map(|entry| {
            let dir = entry.expect("a cache entry").path();
            elf_machine(&dir.join(format!("{hex}.cwasm")))
        })
        .collect();
    machines.sort_unstable();
    assert_eq!(machines, [EM_X86_64, EM_AARCH64]);
}

/// The host each task of a `hello` run ran on, in task order.
fn hosts(run: &RunDetail) -> Vec<String> {
    ["t1", "t2", "t3", "t4"]
        .iter()
        .map(|t| {
            Api::task(run, t)
                .hostname
                .clone()
                .unwrap_or_else(|| "-".to_owned())
        })
        .collect()
}

/// What run `run_id` of `hello` computed: the return value of its last task, `t4`, without
/// the run's id.
fn result(run_id: &str, api: &Api) -> Value {
    let xcoms = api.xcoms("hello", run_id);
    let mut value = Api::output(&xcoms, "t4")
        .map(|x| x.value.clone())
        .unwrap_or_else(|| panic!("no return value of t4 in {xcoms:?}"));
    let run = value.as_object_mut().and_then(|v| v.remove("run"));
    assert_eq!(run, Some(json!(run_id)), "{xcoms:?}");
    value
}

/// The `e_machine` of the ELF file at `path` (a compiled component).
fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.get(..4), Some(&b"\x7fELF"[..]), "{}", path.display());
    u16::from_le_bytes([bytes[18], bytes[19]])
}
