//! Sandbox costs, printed as figures (not judged): per-task fresh Store + instantiate + run +
//! drop of a no-op Rust task, the same for the greeting task `t1` of the hello example in each
//! guest language (on optimized and on baseline code), and compile (Cranelift, and Winch for
//! a fast start) and cached-load times of components.
//!
//! `cargo bench -p weft-runtime --bench sandbox`; `WEFT_BENCH_ITERATIONS` sets the number of
//! task runs (default 10,000). The compile figures cover the test guests and every example
//! that has been built (`wfctl build examples/NAME`); `WEFT_BENCH_COMPONENTS` adds more
//! components (paths, `:`-separated, relative to the repository's root).
//! `WEFT_BENCH_LANGUAGES=Python,TypeScript` prints only those languages' `t1` rows (to
//! profile one guest's per-task path).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use weft_runtime::{Runtime, RuntimeConfig, TaskContext, TaskOutcome, TaskRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::var("WEFT_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!(
        "weft-runtime sandbox benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Only some languages' rows, and nothing else: for profiling one guest's per-task path.
    if let Ok(only) = std::env::var("WEFT_BENCH_LANGUAGES") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        return per_language(&root, iterations.min(1_000), &only);
    }
    per_task(iterations)?;
    per_language(&root, iterations.min(1_000), &[])?;
    let mut components = vec![
        PathBuf::from(weft_test_guests_artifacts::NOOP),
        PathBuf::from(weft_test_guests_artifacts::NORMAL),
    ];
    components.extend(EXAMPLES.iter().map(|p| root.join(p)));
    if let Ok(extra) = std::env::var("WEFT_BENCH_COMPONENTS") {
        components.extend(
            extra
                .split(':')
                .filter(|p| !p.is_empty())
                .map(|p| root.join(p)),
        );
    }
    println!(
        "\n{:<40} {:>10} {:>16} {:>16} {:>14}",
        "component", "size", "compile", "baseline (Winch)", "cached load"
    );
    for path in &components {
        if path.is_file() {
            compile_and_cache(path)?;
        } else {
            println!("{:<40} not built", path.display());
        }
    }
    second_dag(&root)?;
    Ok(())
}

/// Where `wfctl build examples/NAME` puts each example's component.
const EXAMPLES: &[&str] = &[
    "examples/target/wasm32-wasip2/release/hello.wasm",
    "examples/target/wasm32-wasip2/release/mall_customers.wasm",
    "examples/target/wasm32-wasip2/release/queues.wasm",
    "examples/hello-python/target/hello_python.wasm",
    "examples/mall-customers-python/target/mall_customers_python.wasm",
    "examples/hello-ts/target/hello_ts.wasm",
    "examples/hello-c/target/hello_c.wasm",
];

/// The hello example in each guest language, whose task `t1` only greets (and logs a line).
const HELLOS: &[(&str, &str)] = &[
    ("Rust", "examples/target/wasm32-wasip2/release/hello.wasm"),
    ("Python", "examples/hello-python/target/hello_python.wasm"),
    ("TypeScript", "examples/hello-ts/target/hello_ts.wasm"),
    ("C", "examples/hello-c/target/hello_c.wasm"),
];

/// Timings of repeated runs: mean, p50 and p99, and the process's minor page faults per run
/// (a task's copies of its component's memory image, mostly).
struct Timings {
    mean: Duration,
    p50: Duration,
    p99: Duration,
    faults: f64,
}

/// The process's minor page faults so far (`minflt`, field 10 of `/proc/self/stat`); none
/// where that file cannot be read.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` do not.
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(7)?.parse().ok()
}

/// Run `request` on `component` `iterations` times after a warm-up; every run must succeed.
fn timed_runs(
    runtime: &Runtime,
    component: &weft_runtime::DagComponent,
    request: &TaskRequest,
    iterations: usize,
) -> Result<Timings, Box<dyn std::error::Error>> {
    // Warm up the pool's slots and the allocator.
    for _ in 0..iterations.min(500) {
        runtime.run_task(component, request.clone());
    }
    let mut samples = Vec::with_capacity(iterations);
    let faults_before = minor_faults();
    let started = Instant::now();
    for _ in 0..iterations {
        let t = Instant::now();
        let report = runtime.run_task(component, request.clone());
        samples.push(t.elapsed());
        if !matches!(report.outcome, TaskOutcome::Success(_)) {
            return Err(format!("task did not succeed: {:?}", report.outcome).into());
        }
    }
    let total = started.elapsed();
    let faults = match (faults_before, minor_faults()) {
        (Some(before), Some(after)) => {
            after.saturating_sub(before) as f64 / iterations.max(1) as f64
        }
        _ => f64::NAN,
    };
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    Ok(Timings {
        mean: total / u32::try_from(iterations.max(1))?,
        p50: pct(0.50),
        p99: pct(0.99),
        faults,
    })
}

/// `t1` of each language's hello, on Cranelift's code and on Winch's.
fn per_language(
    root: &Path,
    iterations: usize,
    only: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "\nhello's t1 per language (fresh store + instantiate + run + drop), {iterations} runs"
    );
    println!(
        "{:<12} {:<10} {:>12} {:>12} {:>12} {:>14}",
        "language", "code", "mean", "p50", "p99", "faults a run"
    );
    for (language, path) in HELLOS {
        if !only.is_empty() && !only.iter().any(|l| l.eq_ignore_ascii_case(language)) {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            println!("{language:<12} not built ({path})");
            continue;
        };
        for (code, min) in [("optimized", None), ("baseline", Some(0))] {
            let runtime = Runtime::new(RuntimeConfig {
                baseline_min_bytes: min,
                optimize_baseline: false,
                ..RuntimeConfig::default()
            })?;
            let component = runtime.load(&bytes)?;
            let request = TaskRequest::local(TaskContext::local(component.dag().id(), "t1", 1, 1));
            let t = timed_runs(&runtime, &component, &request, iterations)?;
            println!(
                "{language:<12} {code:<10} {:>12} {:>12} {:>12} {:>14.0}",
                us(t.mean),
                us(t.p50),
                us(t.p99),
                t.faults
            );
        }
    }
    Ok(())
}

fn per_task(iterations: usize) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new(RuntimeConfig::default())?;
    let component = runtime.load(&std::fs::read(weft_test_guests_artifacts::NOOP)?)?;
    let request = TaskRequest::local(TaskContext::local("noop", "noop", 1, 1));
    let t = timed_runs(&runtime, &component, &request, iterations)?;
    println!(
        "per task (fresh store + instantiate + run + drop), {iterations} runs: mean {}, p50 {}, p99 {}, {:.1} page faults a run  (goal <= 30 µs)",
        us(t.mean),
        us(t.p50),
        us(t.p99),
        t.faults
    );
    Ok(())
}

/// The two Python examples: a second Python DAG loaded where the first's shared libraries
/// (the interpreter) are compiled already.
const PYTHON_DAGS: [&str; 2] = [
    "examples/hello-python/target/hello_python.wasm",
    "examples/mall-customers-python/target/mall_customers_python.wasm",
];

/// How long a second Python DAG takes to load (compile, link and `describe`) after a first:
/// in the same process, in a new process on the same disk cache, and on baseline code.
fn second_dag(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let [first, second] = PYTHON_DAGS.map(|p| root.join(p));
    if !first.is_file() || !second.is_file() {
        println!("\nsecond Python DAG: the Python examples are not built");
        return Ok(());
    }
    let [first, second] = [std::fs::read(&first)?, std::fs::read(&second)?];
    println!("\na second Python DAG, after a first (load: compile, link and describe)");
    let timed = |runtime: &Runtime,
                 bytes: &[u8]|
     -> Result<(Duration, Duration, usize), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let component = runtime.load(bytes)?;
        Ok((
            started.elapsed(),
            component.compile_time(),
            component.shared_libraries().compiled,
        ))
    };
    let cache = tempfile::tempdir()?;
    let optimized = RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        baseline_min_bytes: None,
        ..RuntimeConfig::default()
    };
    let baseline = RuntimeConfig {
        baseline_min_bytes: Some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    };
    let one = Runtime::new(optimized.clone())?;
    let cases = [
        ("first, Cranelift", timed(&one, &first)?),
        ("second, same process", timed(&one, &second)?),
        ("second, new process, disk cache", {
            let fresh = tempfile::tempdir()?;
            // The libraries on disk, not the second DAG's own code.
            for entry in std::fs::read_dir(cache.path())? {
                let dir = entry?.path();
                let into = fresh.path().join(dir.file_name().unwrap_or_default());
                std::fs::create_dir_all(&into)?;
                for file in std::fs::read_dir(&dir)? {
                    let file = file?.path();
                    if file
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("library-"))
                    {
                        std::fs::copy(&file, into.join(file.file_name().unwrap_or_default()))?;
                    }
                }
            }
            timed(
                &Runtime::new(RuntimeConfig {
                    cache_dir: Some(fresh.path().to_owned()),
                    ..optimized.clone()
                })?,
                &second,
            )?
        }),
    ];
    let winch = Runtime::new(baseline)?;
    let winch_cases = [
        ("first, Winch", timed(&winch, &first)?),
        ("second, Winch, same process", timed(&winch, &second)?),
    ];
    println!(
        "{:<40} {:>12} {:>12} {:>20}",
        "case", "load", "compile", "libraries compiled"
    );
    for (name, (load, compile, compiled)) in cases.iter().chain(&winch_cases) {
        println!(
            "{name:<40} {:>12} {:>12} {compiled:>20}",
            ms(*load),
            ms(*compile)
        );
    }
    Ok(())
}

fn compile_and_cache(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cache = tempfile::tempdir()?;
    let config = RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        baseline_min_bytes: None,
        ..RuntimeConfig::default()
    };
    // First process: compiles with Cranelift and fills the cache. Second: loads from the
    // cache. Third: compiles with Winch, the baseline a large component starts on.
    let compiled = Runtime::new(config.clone())?.load(&bytes)?.compile_time();
    let cached = Runtime::new(config)?.load(&bytes)?.compile_time();
    let baseline = Runtime::new(RuntimeConfig {
        baseline_min_bytes: Some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })?
    .load(&bytes)?
    .compile_time();
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    println!(
        "{name:<40} {:>8} KB {:>16} {:>16} {:>14}",
        bytes.len() / 1024,
        ms(compiled),
        ms(baseline),
        ms(cached)
    );
    Ok(())
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
