//! Sandbox costs, printed as figures (not judged): per-task fresh Store + instantiate + run +
//! drop of a no-op Rust task, the same for the greeting task `t1` of the hello example in each
//! guest language (on optimized and on baseline code), and compile (Cranelift, and Winch for
//! a fast start) and cached-load times of components.
//!
//! `cargo bench -p weft-runtime --bench sandbox`; `WEFT_BENCH_ITERATIONS` sets the number of
//! task runs (default 10,000). The compile figures cover the test guests and every example
//! that has been built (`wfctl build examples/NAME`); `WEFT_BENCH_COMPONENTS` adds more
//! components (paths, `:`-separated, relative to the repository's root). Each component is
//! compiled once by each compiler, for the compile figures; the per-language rows and the
//! second Python DAG's load code from the caches those compiles filled.
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
        return per_language(&root, iterations.min(1_000), &only, &[]);
    }
    per_task(iterations)?;
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
    let mut compiled = Vec::new();
    for path in &components {
        if path.is_file() {
            compiled.push(compile_and_cache(path)?);
        } else {
            println!("{:<40} not built", path.display());
        }
    }
    // The code compiled above serves the rows below: each component is compiled once by
    // each compiler.
    per_language(&root, iterations.min(1_000), &[], &compiled)?;
    second_dag(&root, &compiled)?;
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

/// `t1` of each language's hello, on Cranelift's code and on Winch's: from the caches
/// `compiled` filled, or compiled here for a hello not among them.
fn per_language(
    root: &Path,
    iterations: usize,
    only: &[&str],
    compiled: &[Compiled],
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
        let caches = compiled.iter().find(|c| c.path == root.join(path));
        for (code, min) in [("optimized", None), ("baseline", Some(0))] {
            // A cache of one compiler's code each: the runtime prefers optimized code.
            let cache_dir = caches.map(|c| match min {
                None => c.optimized_cache.path().to_owned(),
                Some(_) => c.baseline_cache.path().to_owned(),
            });
            let runtime = Runtime::new(RuntimeConfig {
                cache_dir,
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

/// One load of a component: how long it took (compile, link and `describe`), its compile,
/// and how many shared libraries it compiled.
#[derive(Clone, Copy)]
struct Load {
    load: Duration,
    compile: Duration,
    libraries_compiled: usize,
}

fn timed_load(runtime: &Runtime, bytes: &[u8]) -> Result<Load, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let component = runtime.load(bytes)?;
    Ok(Load {
        load: started.elapsed(),
        compile: component.compile_time(),
        libraries_compiled: component.shared_libraries().compiled,
    })
}

/// A component as the compile table measured it, with the caches its compiles filled: one of
/// Cranelift's code, one of Winch's (a runtime prefers optimized code, so they are apart).
struct Compiled {
    path: PathBuf,
    optimized_cache: tempfile::TempDir,
    baseline_cache: tempfile::TempDir,
    optimized: Load,
    baseline: Load,
}

/// Copy the files of `from`'s engine directories that `keep` names into `to`.
fn copy_cache(
    from: &Path,
    to: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    for engine in std::fs::read_dir(from)? {
        let engine = engine?.path();
        let into = to.join(engine.file_name().ok_or("an engine directory")?);
        std::fs::create_dir_all(&into)?;
        for file in std::fs::read_dir(&engine)? {
            let file = file?;
            if keep(&file.file_name().to_string_lossy()) {
                std::fs::copy(file.path(), into.join(file.file_name()))?;
            }
        }
    }
    Ok(())
}

/// How long a second Python DAG takes to load (compile, link and `describe`) after a first:
/// in the same process, in a new process on the same disk cache, and on baseline code. The
/// first's loads are the compile table's; here it is loaded from the caches they filled.
fn second_dag(root: &Path, compiled: &[Compiled]) -> Result<(), Box<dyn std::error::Error>> {
    let [first_path, second_path] = PYTHON_DAGS.map(|p| root.join(p));
    let Some(first) = compiled.iter().find(|c| c.path == first_path) else {
        println!("\nsecond Python DAG: the Python examples are not built");
        return Ok(());
    };
    if !second_path.is_file() {
        println!("\nsecond Python DAG: the Python examples are not built");
        return Ok(());
    }
    let [first_bytes, second] = [std::fs::read(&first_path)?, std::fs::read(&second_path)?];
    println!("\na second Python DAG, after a first (load: compile, link and describe)");
    // One process: the first DAG's code, libraries included, from its cache.
    let cache = tempfile::tempdir()?;
    copy_cache(first.optimized_cache.path(), cache.path(), |_| true)?;
    let optimized = RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        baseline_min_bytes: None,
        ..RuntimeConfig::default()
    };
    let one = Runtime::new(optimized.clone())?;
    one.load(&first_bytes)?;
    let same_process = timed_load(&one, &second)?;
    // A new process: the libraries on disk, not the second DAG's own code.
    let fresh = tempfile::tempdir()?;
    copy_cache(cache.path(), fresh.path(), |name| {
        name.starts_with("library-")
    })?;
    let new_process = timed_load(
        &Runtime::new(RuntimeConfig {
            cache_dir: Some(fresh.path().to_owned()),
            ..optimized
        })?,
        &second,
    )?;
    let winch_cache = tempfile::tempdir()?;
    copy_cache(first.baseline_cache.path(), winch_cache.path(), |_| true)?;
    let winch = Runtime::new(RuntimeConfig {
        cache_dir: Some(winch_cache.path().to_owned()),
        baseline_min_bytes: Some(0),
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })?;
    winch.load(&first_bytes)?;
    let cases = [
        ("first, Cranelift", first.optimized),
        ("second, same process", same_process),
        ("second, new process, disk cache", new_process),
        ("first, Winch", first.baseline),
        ("second, Winch, same process", timed_load(&winch, &second)?),
    ];
    println!(
        "{:<40} {:>12} {:>12} {:>20}",
        "case", "load", "compile", "libraries compiled"
    );
    for (name, load) in cases {
        println!(
            "{name:<40} {:>12} {:>12} {:>20}",
            ms(load.load),
            ms(load.compile),
            load.libraries_compiled
        );
    }
    Ok(())
}

/// Compile `path` with Cranelift (a first process, filling a cache), load it from that cache
/// (a second), and compile it with Winch, the baseline a large component starts on (a third,
/// with a cache of its own); print the row, and keep the caches for the figures after.
fn compile_and_cache(path: &Path) -> Result<Compiled, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let optimized_cache = tempfile::tempdir()?;
    let baseline_cache = tempfile::tempdir()?;
    let config = RuntimeConfig {
        cache_dir: Some(optimized_cache.path().to_owned()),
        baseline_min_bytes: None,
        ..RuntimeConfig::default()
    };
    let optimized = timed_load(&Runtime::new(config.clone())?, &bytes)?;
    let cached = Runtime::new(config)?.load(&bytes)?.compile_time();
    let baseline = timed_load(
        &Runtime::new(RuntimeConfig {
            cache_dir: Some(baseline_cache.path().to_owned()),
            baseline_min_bytes: Some(0),
            optimize_baseline: false,
            ..RuntimeConfig::default()
        })?,
        &bytes,
    )?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    println!(
        "{name:<40} {:>8} KB {:>16} {:>16} {:>14}",
        bytes.len() / 1024,
        ms(optimized.compile),
        ms(baseline.compile),
        ms(cached)
    );
    Ok(Compiled {
        path: path.to_owned(),
        optimized_cache,
        baseline_cache,
        optimized,
        baseline,
    })
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
