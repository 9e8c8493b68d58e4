//! Python DAGs: `app.py` built with componentize-py against Weft's WIT world.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::spawn;
use crate::exit::Failure;

/// The module a Python DAG project must have.
pub(super) const ENTRY: &str = "app.py";
/// The componentize-py release Weft is tested with.
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// Build the project in `dir`; the path of its component (`DIR/target/<dir name>.wasm`).
pub(super) fn build(dir: &Path) -> Result<PathBuf, Failure> {
    let dir = dir
        .canonicalize()
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", dir.display())))?;
    let name = dir.file_name().map_or_else(
        || "dag".to_owned(),
        |n| n.to_string_lossy().replace('-', "_"),
    );
    let out_dir = dir.join("target");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", out_dir.display())))?;
    let out = out_dir.join(format!("{name}.wasm"));
    // componentize-py writes next to `out`, which is then replaced in one rename: a process
    // running the previous build meanwhile never reads a half-written component.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .suffix(".wasm")
        .tempfile_in(&out_dir)
        .map_err(|e| Failure::usage(format!("cannot write in {}: {e}", out_dir.display())))?
        .into_temp_path();

    // The WIT world travels inside wfctl, so a project needs no copy of it.
    let wit = tempfile::tempdir()
        .map_err(|e| Failure::usage(format!("cannot make a temporary directory: {e}")))?;
    for (path, text) in weft_runtime::WIT_FILES {
        let file = wit.path().join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::usage(format!("cannot write the WIT world: {e}")))?;
        }
        std::fs::write(&file, text)
            .map_err(|e| Failure::usage(format!("cannot write the WIT world: {e}")))?;
    }

    let mut command = Command::new("componentize-py");
    command
        .arg("-d")
        .arg(wit.path())
        .args(["-w", "dag", "componentize", "-p"])
        .arg(&dir)
        .args(["app", "-o"])
        .arg(&partial)
        .current_dir(&dir)
        // Build errors (a SyntaxError, a missing WitWorld) stay readable without a Rust backtrace.
        .env("RUST_BACKTRACE", "0");
    let result = spawn(
        command,
        "componentize-py",
        &format!("install it with `pip install {COMPONENTIZE_PY}`"),
    )?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "componentize-py failed to build {} (see the messages above)",
            dir.display()
        )));
    }
    partial
        .persist(&out)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
    Ok(out)
}
