//! A task's cost in each guest language, in process: task `t1` of the hello example written
//! in Rust, Python and TypeScript (it reads the run's configuration, logs one line and returns
//! a greeting), each built here with `wfctl build` from the repository's examples and run in
//! a fresh sandbox after a warm-up, as `sandbox` runs the no-op guest. The page faults per
//! task are the process's: an interpreter's task writes all over its component's memory
//! image, and each page it writes is copied.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use weft_runtime::{Runtime, RuntimeConfig};

use crate::error::BenchError;
use crate::figures::{GuestFigures, GuestTask};
use crate::install::wfctl_command;
use crate::process::log_tail;
use crate::sandbox::{TimedTasks, timed_tasks};

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
}

/// Build every language's hello and time `iterations` runs of its `t1`.
pub fn measure(options: &GuestOptions, iterations: usize) -> Result<GuestFigures, BenchError> {
    let dir = options.work_dir.join("guests");
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::io(&dir, e))?;
    let runtime =
        Runtime::new(RuntimeConfig::default()).map_err(|e| BenchError::Sandbox(e.to_string()))?;
    let mut tasks = Vec::with_capacity(HELLOS.len());
    for (language, project) in HELLOS {
        let component = build(options, &dir, project)?;
        let bytes = std::fs::read(&component).map_err(|e| BenchError::io(&component, e))?;
        let loaded = runtime
            .load(&bytes)
            .map_err(|e| BenchError::Sandbox(format!("{project}: {e}")))?;
        let TimedTasks { us, page_faults } = timed_tasks(&runtime, &loaded, "t1", iterations)?;
        tasks.push(GuestTask {
            language: language.to_owned(),
            component_kib: bytes.len() as f64 / 1024.0,
            per_task_us: us,
            page_faults,
        });
    }
    Ok(GuestFigures { tasks })
}

/// `wfctl build PROJECT --output DIR/NAME.wasm`, its messages in `DIR/NAME.log`: the
/// component's path.
fn build(options: &GuestOptions, dir: &Path, project: &str) -> Result<PathBuf, BenchError> {
    let name = Path::new(project)
        .file_name()
        .map_or_else(|| project.to_owned(), |n| n.to_string_lossy().into_owned());
    let out = dir.join(format!("{name}.wasm"));
    let log = dir.join(format!("{name}.log"));
    let source = Path::new(ROOT).join(project);
    let source_text = source.to_string_lossy().into_owned();
    let out_text = out.to_string_lossy().into_owned();
    let mut command = wfctl_command(
        &options.wfctl,
        &dir.join("build-home"),
        &["build", &source_text, "--output", &out_text],
    );
    let file = std::fs::File::create(&log).map_err(|e| BenchError::io(&log, e))?;
    let err = file.try_clone().map_err(|e| BenchError::io(&log, e))?;
    command
        .env("CARGO_TARGET_DIR", &options.examples_target)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err));
    eprintln!("    wfctl build {project}");
    let status = command.status().map_err(|source| BenchError::Spawn {
        name: "wfctl build".to_owned(),
        program: options.wfctl.clone(),
        source,
    })?;
    if !status.success() || !out.is_file() {
        return Err(BenchError::Command {
            what: format!("wfctl build {project} (log {})", log.display()),
            status: status.to_string(),
            output: log_tail(&log, 30),
        });
    }
    Ok(out)
}
