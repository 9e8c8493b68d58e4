//! The in-process sandbox figures, with no services: per-task cost of a fresh store,
//! instantiation, call and teardown of a no-op Rust task, and the compile and cached-load
//! times of a new component (the approach of `weft-runtime`'s `sandbox` bench).

use std::path::Path;
use std::time::{Duration, Instant};

use weft_runtime::{DagComponent, Runtime, RuntimeConfig, TaskContext, TaskOutcome, TaskRequest};

use crate::error::BenchError;
use crate::figure::{Figure, Figures, IN_PROCESS, Stat, Unit};
use crate::figures::{Outcome, SandboxFigures};
use crate::nonce;
use crate::procfs;
use crate::stats::Summary;
use crate::{format, goals};

/// Measure `iterations` no-op tasks (after a warm-up) and the compile and cached load of a
/// never-seen copy of the `noop` guest.
pub fn measure(iterations: usize) -> Result<SandboxFigures, BenchError> {
    let path = weft_test_guests_artifacts::NOOP;
    let bytes = std::fs::read(path).map_err(|e| BenchError::io(path, e))?;
    let per_task_us = per_task(&bytes, iterations)?;
    let fresh = nonce::with_custom_section(&bytes, "weft-bench-nonce", unique().as_bytes());
    let (compile, cached) = compile_and_cached_load(&fresh)?;
    Ok(SandboxFigures {
        per_task_us,
        component: Path::new(path)
            .file_name()
            .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned()),
        size_kib: bytes.len() as f64 / 1024.0,
        compile_ms: ms(compile),
        cached_load_ms: ms(cached),
    })
}

fn per_task(bytes: &[u8], iterations: usize) -> Result<Summary, BenchError> {
    let runtime = Runtime::new(RuntimeConfig::default()).map_err(sandbox)?;
    let component = runtime.load(bytes).map_err(sandbox)?;
    let timed = timed_tasks(&runtime, &component, "noop", iterations, <[u8]>::is_empty)?;
    Ok(timed.us)
}

/// Tasks run in process, one after another: each one's time and the page faults they took.
pub struct TimedTasks {
    /// Each task's fresh store, instantiation, call and drop, in µs.
    pub us: Summary,
    /// The process's minor page faults per task.
    pub page_faults: f64,
}

/// Run task `task_id` of `component` `iterations` times after a warm-up, timing each; every
/// run must succeed with an output `expected` accepts.
pub fn timed_tasks(
    runtime: &Runtime,
    component: &DagComponent,
    task_id: &str,
    iterations: usize,
    expected: fn(&[u8]) -> bool,
) -> Result<TimedTasks, BenchError> {
    let request = TaskRequest::local(TaskContext::local(component.dag().id(), task_id, 1, 1));
    // Warm up the instance pool's slots and the allocator.
    for _ in 0..iterations.min(500) {
        runtime.run_task(component, request.clone());
    }
    let mut samples = Vec::with_capacity(iterations);
    let faults_before = procfs::own_minor_faults()?;
    for _ in 0..iterations {
        let started = Instant::now();
        let report = runtime.run_task(component, request.clone());
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        if !matches!(&report.outcome, TaskOutcome::Success(output) if expected(output)) {
            return Err(BenchError::Sandbox(format!(
                "task `{task_id}` of `{}` did not succeed as expected: {:?}",
                component.dag().id(),
                report.outcome
            )));
        }
    }
    let faults = procfs::own_minor_faults()?.saturating_sub(faults_before);
    Ok(TimedTasks {
        us: Summary::of(&samples)
            .ok_or_else(|| BenchError::Sandbox("no task was run".to_owned()))?,
        page_faults: faults as f64 / iterations.max(1) as f64,
    })
}

/// Compile `bytes` in a runtime with an empty cache, then load it in a second runtime that
/// finds it in that cache.
fn compile_and_cached_load(bytes: &[u8]) -> Result<(Duration, Duration), BenchError> {
    let cache = tempfile::tempdir().map_err(|e| BenchError::io("a temp dir", e))?;
    // Cranelift's compile: the baseline compiler's is measured by the runtime's own bench.
    let config = RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        baseline_min_bytes: None,
        ..RuntimeConfig::default()
    };
    let first = Runtime::new(config.clone()).map_err(sandbox)?;
    let compiled = first.load(bytes).map_err(sandbox)?;
    let second = Runtime::new(config).map_err(sandbox)?;
    let cached = second.load(bytes).map_err(sandbox)?;
    if cached.compile_source() != weft_runtime::CompileSource::DiskCache {
        return Err(BenchError::Sandbox(
            "the second load did not come from the disk cache".to_owned(),
        ));
    }
    Ok((compiled.compile_time(), cached.compile_time()))
}

fn sandbox(e: impl std::fmt::Display) -> BenchError {
    BenchError::Sandbox(e.to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A text no earlier benchmark used: the time and this process's id.
pub fn unique() -> String {
    format!(
        "{}-{}",
        jiff::Timestamp::now().as_nanosecond(),
        std::process::id()
    )
}

/// The sandbox's figures: per task (mean, judged by the goal; p50, p99), the compile of a
/// new component and its load from the disk cache.
pub fn rows(outcome: &Outcome<SandboxFigures>) -> Vec<Figure> {
    let goal = Some(goals::SANDBOX_PER_TASK_US);
    Figures::new("sandbox", IN_PROCESS).of(
        outcome,
        ("per_task", "per task", Unit::Us, goal),
        |f, s| {
            let samples = s.per_task_us;
            let count = format::number(samples.count as f64);
            let label = format!("per task, mean of {count} ({})", s.component);
            f.stat("per_task", &label, Unit::Us, Stat::Mean, samples)
                .with_goal(goals::SANDBOX_PER_TASK_US);
            f.stat(
                "per_task_p50",
                "per task, p50",
                Unit::Us,
                Stat::Median,
                samples,
            );
            f.stat(
                "per_task_p99",
                "per task, p99",
                Unit::Us,
                Stat::P99,
                samples,
            );
            let label = format!("compile a new component ({:.0} KiB)", s.size_kib);
            f.number("compile", &label, Unit::Ms, s.compile_ms);
            let label = "load it from the disk cache";
            f.number("cached_load", label, Unit::Ms, s.cached_load_ms);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_tasks_give_every_figure() {
        let figures = measure(20).expect("sandbox figures");
        assert_eq!(figures.per_task_us.count, 20);
        assert!(figures.per_task_us.median > 0.0);
        assert!(figures.compile_ms > figures.cached_load_ms);
        assert_eq!(figures.component, "noop.wasm");
    }
}
