//! A task's cost in each guest language, in process: task `t1` of the hello example written
//! in Rust, Python and TypeScript (it reads the run's configuration, logs one line and returns
//! a greeting), each built here with `wfctl build` from the repository's examples and run in
//! a fresh sandbox after a warm-up, as `sandbox` runs the no-op guest. The page faults per
//! task are the process's: an interpreter's task writes all over its component's memory
//! image, and each page it writes is copied.

use std::path::{Path, PathBuf};

use weft_runtime::{Runtime, RuntimeConfig};

use crate::error::BenchError;
use crate::figure::{Figure, Figures, IN_PROCESS, Stat, Unit, Value};
use crate::figures::{GuestFigures, GuestLanguage, GuestTask, Outcome};
use crate::format;
use crate::install::wfctl_build;
use crate::sandbox::{TimedTasks, timed_tasks};
use weft_testkit::examples::interpreted_component;

/// The examples measured: each language's name and its project, from the repository's root.
const HELLOS: [(&str, &str); 3] = [
    ("Rust", "examples/hello"),
    ("Python", "examples/hello-python"),
    ("TypeScript", "examples/hello-ts"),
];

/// The repository's root, where the examples are.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// What the scenario needs.
#[derive(Debug, Clone)]
pub struct GuestOptions {
    /// The `wfctl` that builds the examples.
    pub wfctl: PathBuf,
    /// The examples' cargo target directory (the Rust example's build).
    pub examples_target: PathBuf,
    /// Where the components and the builds' logs go.
    pub work_dir: PathBuf,
    /// Whether the interpreted examples (Python, TypeScript) were just built with `wfctl
    /// build` (`WEFT_BENCH_EXAMPLES_BUILT=1`, which the test suite sets): their components in
    /// `PROJECT/target/` are measured instead of being built again, which takes tens of
    /// seconds each.
    pub interpreted_built: bool,
}

/// The variable that says the interpreted examples are built: `1` (built) or `0`.
const EXAMPLES_BUILT: &str = "WEFT_BENCH_EXAMPLES_BUILT";

impl GuestOptions {
    /// Whether [`EXAMPLES_BUILT`] says the interpreted examples are built (unset: no); any
    /// value but `1` or `0` is refused, naming the variable.
    pub fn interpreted_built_from_env() -> Result<bool, BenchError> {
        interpreted_built(std::env::var_os(EXAMPLES_BUILT).as_deref())
    }
}

/// What a value of [`EXAMPLES_BUILT`] says.
fn interpreted_built(value: Option<&std::ffi::OsStr>) -> Result<bool, BenchError> {
    match value {
        None => Ok(false),
        Some(v) if v == "1" => Ok(true),
        Some(v) if v == "0" => Ok(false),
        Some(v) => Err(BenchError::BadVariable {
            name: EXAMPLES_BUILT,
            value: v.to_string_lossy().into_owned(),
            reason: "1 (the examples are built) or 0 (build them) expected",
        }),
    }
}

/// Build every language's hello and time `iterations` runs of its `t1`.
pub fn measure(options: &GuestOptions, iterations: usize) -> Result<GuestFigures, BenchError> {
    let dir = options.work_dir.join("guests");
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::io(&dir, e))?;
    // Optimized code from the start, as a worker runs once its background compile is done:
    // the default starts a large component on baseline code and swaps the optimized code in
    // from another thread, whose compile would be timed and counted with the tasks.
    let runtime = Runtime::new(RuntimeConfig {
        baseline_min_bytes: None,
        optimize_baseline: false,
        ..RuntimeConfig::default()
    })
    .map_err(|e| BenchError::Sandbox(e.to_string()))?;
    // One language failing (a toolchain missing, say) leaves the others' figures.
    let languages = HELLOS
        .iter()
        .map(|&(language, project)| GuestLanguage {
            language: language.to_owned(),
            task: Outcome::of(measure_one(options, &runtime, &dir, project, iterations)),
        })
        .collect();
    Ok(GuestFigures { languages })
}

/// Build `project` and time `iterations` runs of its `t1`.
fn measure_one(
    options: &GuestOptions,
    runtime: &Runtime,
    dir: &Path,
    project: &str,
    iterations: usize,
) -> Result<GuestTask, BenchError> {
    let component = build(options, dir, project)?;
    let bytes = std::fs::read(&component).map_err(|e| BenchError::io(&component, e))?;
    let loaded = runtime
        .load(&bytes)
        .map_err(|e| BenchError::Sandbox(format!("{project}: {e}")))?;
    let TimedTasks { us, page_faults } = timed_tasks(runtime, &loaded, "t1", iterations, greets)?;
    Ok(GuestTask {
        component_kib: bytes.len() as f64 / 1024.0,
        per_task_us: us,
        page_faults,
    })
}

/// Whether `output` is a greeting: a JSON object with a `greeting` text, what every
/// language's `t1` returns.
fn greets(output: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(output)
        .is_ok_and(|v| v.get("greeting").is_some_and(serde_json::Value::is_string))
}

/// `wfctl build PROJECT --output DIR/NAME.wasm`, its messages in `DIR/NAME.log`: the
/// component's path.
fn build(options: &GuestOptions, dir: &Path, project: &str) -> Result<PathBuf, BenchError> {
    let name = Path::new(project)
        .file_name()
        .map_or_else(|| project.to_owned(), |n| n.to_string_lossy().into_owned());
    let out = dir.join(format!("{name}.wasm"));
    if options.interpreted_built
        && let Some(built) =
            interpreted_component(&Path::new(ROOT).join(project)).filter(|built| built.is_file())
    {
        eprintln!(
            "    {project}: {} (built before the benchmark)",
            built.display()
        );
        std::fs::copy(&built, &out).map_err(|e| BenchError::io(&built, e))?;
        return Ok(out);
    }
    eprintln!("    wfctl build {project}");
    wfctl_build(
        &options.wfctl,
        &dir.join("build-home"),
        &Path::new(ROOT).join(project),
        &out,
        &dir.join(format!("{name}.log")),
        &[("CARGO_TARGET_DIR", options.examples_target.as_os_str())],
    )?;
    Ok(out)
}

/// The guest languages' figures: for each, its component's size, the task's time (mean,
/// p50, p99) and page faults; a language that failed is its first figure with the problem.
pub fn rows(outcome: &Outcome<GuestFigures>) -> Vec<Figure> {
    let first = ("per_task", "hello's t1", Unit::Us, None);
    Figures::new("guests", IN_PROCESS).of(outcome, first, |f, g| {
        for language in &g.languages {
            let key = language.language.to_lowercase();
            let name = &language.language;
            let Outcome::Measured(task) = &language.task else {
                let problem = Value::of_problem(&language.task);
                f.push(&format!("{key}/per_task"), name, Unit::Us, problem);
                continue;
            };
            let samples = task.per_task_us;
            let count = format::number(samples.count as f64);
            let label = format!("{name}: per task, mean of {count}");
            f.stat(
                &format!("{key}/per_task"),
                &label,
                Unit::Us,
                Stat::Mean,
                samples,
            );
            let label = format!("{name}: per task, p50");
            f.stat(
                &format!("{key}/per_task_p50"),
                &label,
                Unit::Us,
                Stat::Median,
                samples,
            );
            let label = format!("{name}: per task, p99");
            f.stat(
                &format!("{key}/per_task_p99"),
                &label,
                Unit::Us,
                Stat::P99,
                samples,
            );
            let label = format!("{name}: component");
            f.number(
                &format!("{key}/component"),
                &label,
                Unit::KiB,
                task.component_kib,
            );
            let label = format!("{name}: page faults a task");
            f.number(
                &format!("{key}/page_faults"),
                &label,
                Unit::Count,
                task.page_faults,
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_says_1_or_0_and_anything_else_is_named() {
        use std::ffi::OsStr;
        assert!(!interpreted_built(None).expect("unset"));
        assert!(interpreted_built(Some(OsStr::new("1"))).expect("1"));
        assert!(!interpreted_built(Some(OsStr::new("0"))).expect("0"));
        let refused = interpreted_built(Some(OsStr::new("yes"))).expect_err("yes");
        let message = refused.to_string();
        assert!(
            message.contains("WEFT_BENCH_EXAMPLES_BUILT") && message.contains("\"yes\""),
            "{message}"
        );
    }
}
