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
