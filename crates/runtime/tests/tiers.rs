//! A large component starts on baseline (Winch) code and moves to optimized (Cranelift) code
//! compiled in the background, which the disk cache then serves.

use std::time::Duration;

use weft_runtime::{
    CompileSource, DagComponent, Runtime, RuntimeConfig, TaskContext, TaskOutcome, TaskRequest,
    Tier,
};
use weft_test_guests_artifacts as guests;

/// A runtime caching in `dir` that starts components of `min` bytes or more on baseline code.
fn runtime(dir: &std::path::Path, min: Option<usize>) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.to_path_buf()),
        baseline_min_bytes: min,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn noop_succeeds(runtime: &Runtime, component: &DagComponent) {
    let request = TaskRequest::local(TaskContext::local("noop", "noop", 1, 1));
    let report = runtime.run_task(component, request);
    assert_eq!(
        report.outcome,
        TaskOutcome::Success(Vec::new()),
        "{report:?}"
    );
}

#[test]
fn a_component_moves_from_baseline_to_optimized_code_and_the_cache_keeps_the_optimized() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(guests::NOOP).expect("guest");
    let first = runtime(dir.path(), Some(0));
    let optimizing = &weft_metrics::metrics().components_optimizing;
    assert_eq!(optimizing.get(), 0);
    let component = first.load(&bytes).expect("load");
    assert_eq!(component.compile_source(), CompileSource::Baseline);
    // Cranelift takes tens of milliseconds at least on it: still compiling.
    assert_eq!(
        optimizing.get(),
        1,
        "the metric counts the component compiling"
    );
    // The first task runs at once, on whichever code is in place.
    noop_succeeds(&first, &component);
    assert!(
        component.wait_optimized(Duration::from_secs(300)),
        "optimized code never came"
    );
    assert_eq!(component.tier(), Tier::Optimized);
    // The count falls right after the code is swapped in, on the optimizing thread.
    let swapped = std::time::Instant::now();
    while optimizing.get() != 0 {
        assert!(
            swapped.elapsed() < Duration::from_secs(10),
            "the metric still counts a component whose optimized code is in place"
        );
        std::thread::yield_now();
    }
    noop_succeeds(&first, &component);

    // Another process on the same cache takes the optimized code from it.
    let second = runtime(dir.path(), Some(0));
    let cached = second.load(&bytes).expect("load");
    assert_eq!(cached.compile_source(), CompileSource::DiskCache);
    assert_eq!(cached.tier(), Tier::Optimized);
    noop_succeeds(&second, &cached);
}

#[test]
fn small_components_and_a_runtime_without_baseline_compile_optimized_code_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(guests::NOOP).expect("guest");
    for min in [Some(bytes.len() + 1), None] {
        let dir = dir.path().join(format!("{min:?}"));
        let runtime = runtime(&dir, min);
        let component = runtime.load(&bytes).expect("load");
        assert_eq!(
            component.compile_source(),
            CompileSource::Compiled,
            "{min:?}"
        );
        assert_eq!(component.tier(), Tier::Optimized, "{min:?}");
        // Nothing is waited for: the code is optimized already.
        assert!(component.wait_optimized(Duration::ZERO));
        noop_succeeds(&runtime, &component);
    }
}

#[test]
fn a_component_kept_on_baseline_code_says_so() {
    let runtime = Runtime::new(RuntimeConfig {
        baseline_min_bytes: Some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let component = runtime
        .load(&std::fs::read(guests::NOOP).expect("guest"))
        .expect("load");
    assert_eq!(component.tier(), Tier::Baseline);
    noop_succeeds(&runtime, &component);
    assert!(!component.wait_optimized(Duration::ZERO));
}

/// Each thread of this process whose name starts with `prefix`, with its nice value.
#[cfg(target_os = "linux")]
fn threads_named(prefix: &str) -> Vec<(String, i32)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .flatten()
    {
        let path = task.path();
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("stat")),
        ) else {
            continue; // the thread ended meanwhile
        };
        let name = name.trim().to_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        // After the name's closing parenthesis: the state, field 3; nice is field 19.
        let nice = stat
            .rsplit_once(')')
            .and_then(|(_, fields)| fields.split_whitespace().nth(16))
            .and_then(|n| n.parse().ok())
            .expect("a nice value in stat");
        threads.push((name, nice));
    }
    threads
}

#[cfg(target_os = "linux")]
#[test]
fn optimized_code_is_compiled_on_threads_of_a_lower_priority() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = runtime(dir.path(), Some(0));
    let component = runtime
        .load(&std::fs::read(guests::NOOP).expect("guest"))
        .expect("load");
    assert!(component.wait_optimized(Duration::from_secs(300)));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The rest of the process keeps its priority: the tasks run at it.
    let (_, base) = threads_named("")
        .into_iter()
        .find(|(name, _)| !name.starts_with("weft-optimize"))
        .expect("another thread");
    let lower = (base + weft_runtime::OPTIMIZER_NICENESS).min(19);
    assert!(lower > base || base == 19, "{base}");
    // The pool's threads lower their priority as they start: wait for every one.
    let started = std::time::Instant::now();
    loop {
        let threads = threads_named("weft-optimize");
        let lowered = threads.iter().filter(|(_, nice)| *nice == lower).count();
        if threads.len() == cores + 1 && lowered == threads.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the optimizing threads, one and a pool of {cores}, at nice {lower}: {threads:?}"
        );
        std::thread::yield_now();
    }
    noop_succeeds(&runtime, &component);
}

#[test]
fn a_runtime_keeps_its_room_of_loaded_components_and_loads_one_let_go_from_the_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        baseline_min_bytes: None,
        max_loaded_components: 1,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let noop = std::fs::read(guests::NOOP).expect("guest");
    let single = std::fs::read(guests::BENCH_SINGLE).expect("guest");
    let held = runtime.load(&noop).expect("load noop");
    assert_eq!(held.compile_source(), CompileSource::Compiled);
    let other = runtime.load(&single).expect("load bench_single");
    assert_eq!(runtime.loaded_count(), 1);
    assert!(runtime.loaded(&held.digest()).is_none(), "noop was let go");
    assert!(runtime.loaded(&other.digest()).is_some());
    // Let go, it still runs where it is held, and loads again from the disk cache.
    noop_succeeds(&runtime, &held);
    let again = runtime.load(&noop).expect("load noop again");
    assert_eq!(again.compile_source(), CompileSource::DiskCache);
    noop_succeeds(&runtime, &again);
    assert_eq!(runtime.loaded_count(), 1);
}
