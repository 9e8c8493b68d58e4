//! A large component starts on baseline (Winch) code and moves to optimized (Cranelift) code
//! compiled in the background, which the disk cache then serves.

#[path = "support/files.rs"]
mod files;

use std::time::Duration;

use files::walk;
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

/// A runtime caching in `dir` that starts every component on baseline code and keeps it
/// there, as a short-lived process (`wfctl run`) does.
fn kept_on_baseline(dir: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.to_path_buf()),
        baseline_min_bytes: Some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

#[test]
fn baseline_code_is_cached_for_the_next_process_which_is_optimized_in_turn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(guests::NOOP).expect("guest");
    // A process that ends on baseline code keeps it for the next one.
    let first = kept_on_baseline(dir.path());
    assert_eq!(
        first.load(&bytes).expect("load").compile_source(),
        CompileSource::Baseline
    );
    drop(first);
    let second = kept_on_baseline(dir.path());
    let cached = second.load(&bytes).expect("load");
    assert_eq!(cached.compile_source(), CompileSource::DiskCache);
    assert_eq!(cached.tier(), Tier::Baseline);
    noop_succeeds(&second, &cached);

    // A process that optimizes starts on the cached baseline code and is optimized in turn.
    let third = runtime(dir.path(), Some(0));
    let component = third.load(&bytes).expect("load");
    assert_eq!(component.compile_source(), CompileSource::DiskCache);
    assert_eq!(component.tier(), Tier::Baseline);
    assert!(
        component.wait_optimized(Duration::from_secs(300)),
        "optimized code never came"
    );
    noop_succeeds(&third, &component);
    // The baseline code went once the optimized code was kept: one engine's directory holds
    // the component's code, and it is the optimized code, which loads on the optimizing
    // runtime's engine (below).
    let left = walk(dir.path());
    assert_eq!(left.len(), 1, "{left:?}");
    // From then on the cache serves the optimized code, even to a process that would stay on
    // baseline code.
    let fourth = kept_on_baseline(dir.path());
    let optimized = fourth.load(&bytes).expect("load");
    assert_eq!(optimized.compile_source(), CompileSource::DiskCache);
    assert_eq!(optimized.tier(), Tier::Optimized);
    noop_succeeds(&fourth, &optimized);
}

#[test]
fn unusable_cached_baseline_code_is_compiled_again_and_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(guests::NOOP).expect("guest");
    kept_on_baseline(dir.path()).load(&bytes).expect("load");
    // The one entry: the baseline engine's directory, the component's code.
    let entries: Vec<_> = walk(dir.path());
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::write(&entries[0], b"not compiled code").expect("overwrite");

    let runtime = kept_on_baseline(dir.path());
    let component = runtime.load(&bytes).expect("load");
    assert_eq!(component.compile_source(), CompileSource::Baseline);
    noop_succeeds(&runtime, &component);
    let again = kept_on_baseline(dir.path()).load(&bytes).expect("load");
    assert_eq!(again.compile_source(), CompileSource::DiskCache);
}

#[test]
fn past_its_bound_the_cache_removes_the_least_recently_used_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [noop, single, third] = [guests::NOOP, guests::BENCH_SINGLE, guests::BENCH_CHAIN40]
        .map(|g| std::fs::read(g).expect("guest"));
    let bounded = |dir: &std::path::Path, max: u64| {
        Runtime::new(RuntimeConfig {
            cache_dir: Some(dir.to_path_buf()),
            cache_max_bytes: max,
            baseline_min_bytes: None,
            ..RuntimeConfig::default()
        })
        .expect("runtime")
    };
    let size_under = |dir: &std::path::Path| -> u64 {
        walk(dir)
            .iter()
            .map(|f| std::fs::metadata(f).expect("size").len())
            .sum()
    };
    // Room for both, of sizes alike: each is compiled once (the noop first), then served by
    // the cache, the single-task DAG used first. A load marks the code as used: the noop,
    // stored first, is now the one used last.
    let roomy = bounded(dir.path(), 1 << 30);
    let noop_size = {
        let source = roomy.load(&noop).expect("load").compile_source();
        assert_eq!(source, CompileSource::Compiled);
        size_under(dir.path())
    };
    let single_size = {
        let source = roomy.load(&single).expect("load").compile_source();
        assert_eq!(source, CompileSource::Compiled);
        size_under(dir.path()) - noop_size
    };
    for bytes in [&single, &noop] {
        let source = bounded(dir.path(), 1 << 30)
            .load(bytes)
            .expect("load")
            .compile_source();
        assert_eq!(source, CompileSource::DiskCache);
    }
    let third_size = {
        let elsewhere = tempfile::tempdir().expect("tempdir");
        bounded(elsewhere.path(), 1 << 30)
            .load(&third)
            .expect("load");
        size_under(elsewhere.path())
    };
    // A bound the three pass, whose three quarters hold two of them: storing the third
    // evicts the least recently used, the single-task DAG, and only it. (Eviction goes down
    // to three quarters of the bound, in whole quarters: hence the 8.)
    let bound = (noop_size + third_size) * 4 / 3 + 8;
    assert!(
        noop_size + single_size + third_size > bound,
        "sizes {noop_size}, {single_size}, {third_size}: no bound evicts one alone"
    );
    let source = bounded(dir.path(), bound)
        .load(&third)
        .expect("load")
        .compile_source();
    assert_eq!(source, CompileSource::Compiled);
    let fresh = bounded(dir.path(), bound);
    assert_eq!(
        fresh.load(&noop).expect("load").compile_source(),
        CompileSource::DiskCache
    );
    assert_eq!(
        fresh.load(&single).expect("load").compile_source(),
        CompileSource::Compiled
    );
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
