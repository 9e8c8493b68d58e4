//! New Python DAGs, from `wfctl deploy` to their first task done: the first Python DAG an
//! installation sees, whose server and worker compile the interpreter it bundles, then a
//! second, for which they compile only what is its own (the interpreter is a shared library,
//! compiled once per machine).
//!
//! The two DAGs are written here, one task each, and built with `wfctl build` once per
//! benchmark run (not timed). Each installation has fresh homes, so neither DAG's code nor
//! the interpreter's is compiled when its scenario starts.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::BenchError;
use crate::figures::PythonDeploys;
use crate::scenarios::deploy_to_first_task;
use crate::wait::Waiter;

/// The two DAGs' ids, in the order they are deployed.
const DAG_IDS: [&str; 2] = ["bench_python_first", "bench_python_second"];

/// The components built, by the directory they were built in: built once per run.
static BUILT: Mutex<Option<(PathBuf, [PathBuf; 2])>> = Mutex::new(None);

/// A one-task DAG `dag_id` in Python, on Weft's SDK.
fn app(dag_id: &str) -> String {
    format!(
        r#""""`{dag_id}`: one task, for the benchmark of a new Python DAG's first task."""

from weft import Context, Dag

dag = Dag("{dag_id}", schedule=None)


@dag.task
def only(ctx: Context) -> dict:
    """Say which DAG ran."""
    ctx.log.info("running %s", "{dag_id}")
    return {{"dag": "{dag_id}", "length": len("{dag_id}")}}
"#
    )
}

/// Both DAGs: each deployed to an installation that has not seen it, then run once.
pub fn measure(waiter: &mut Waiter<'_>) -> Result<PythonDeploys, BenchError> {
    let [first, second] = built(waiter)?;
    Ok(PythonDeploys {
        first: deploy_to_first_task(waiter, &first, DAG_IDS[0])?,
        second: deploy_to_first_task(waiter, &second, DAG_IDS[1])?,
    })
}

/// The two components, built under the directory of the benchmark's installations.
fn built(waiter: &Waiter<'_>) -> Result<[PathBuf; 2], BenchError> {
    let installation = waiter.installation();
    let root = installation
        .dir()
        .parent()
        .unwrap_or(installation.dir())
        .join("python-dags");
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((dir, paths)) = built.as_ref()
        && *dir == root
        && paths.iter().all(|p| p.is_file())
    {
        return Ok(paths.clone());
    }
    let paths = [
        build(waiter, &root, DAG_IDS[0])?,
        build(waiter, &root, DAG_IDS[1])?,
    ];
    *built = Some((root, paths.clone()));
    Ok(paths)
}

/// `wfctl build` of DAG `dag_id`'s project, written under `root`: the component's path.
fn build(waiter: &Waiter<'_>, root: &Path, dag_id: &str) -> Result<PathBuf, BenchError> {
    let project = root.join(dag_id);
    std::fs::create_dir_all(&project).map_err(|e| BenchError::io(&project, e))?;
    let entry = project.join("app.py");
    std::fs::write(&entry, app(dag_id)).map_err(|e| BenchError::io(&entry, e))?;
    let project_text = project.to_string_lossy().into_owned();
    let mut command = waiter
        .installation()
        .client_command(&["build", &project_text]);
    let output = command.output().map_err(|e| BenchError::Spawn {
        name: "wfctl build".to_owned(),
        program: PathBuf::from(command.get_program()),
        source: e,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last().map(PathBuf::from) {
        Some(path) if output.status.success() && path.is_file() => Ok(path),
        _ => Err(BenchError::Command {
            what: format!("wfctl build {project_text}"),
            status: output.status.to_string(),
            output: format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
        }),
    }
}
