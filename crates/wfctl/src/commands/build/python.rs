//! Python DAGs: `app.py` built with componentize-py against Weft's WIT world, with the
//! `weft` SDK that travels inside wfctl and the project's pure-Python dependencies.
//!
//! # Layout
//! - `deps`: what the project declares it needs (`requirements.txt`, `pyproject.toml`).
//! - `site`: those dependencies resolved by pip into a cached site directory.
//! - `wheels`: the check that a site holds pure-Python wheels only.
//! - `sdk`: the bundled SDK and the entry module that exports the project's DAG.

mod deps;
mod sdk;
mod site;
mod wheels;

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
    let target = super::Target::of(dir)?;
    let dir = target.dir.clone();
    sdk::check_no_entry_in(&dir)?;
    let out = target.component();
    let partial = target.partial()?;

    let site = match deps::Declared::read(&dir)? {
        Some(declared) => Some(site::resolve(&dir, &declared)?),
        None => None,
    };
    // The WIT world, the SDK and the entry module travel inside wfctl, so a project needs
    // no copy of them.
    let staging = tempfile::tempdir()
        .map_err(|e| Failure::usage(format!("cannot make a temporary directory: {e}")))?;
    let wit = super::write_wit(&staging.path().join("wit"))?;
    // Imports look in the project first, then in its dependencies, then in the SDK.
    let mut search = vec![dir.clone()];
    search.extend(site);
    search.push(sdk::write_sdk(&staging.path().join("sdk"))?);
    search.push(sdk::write_entry(&staging.path().join("entry"))?);

    componentize(&dir, &wit, &search, &partial)?;
    super::publish(partial, &out)
}

/// Run componentize-py on the entry module, against the WIT world in `wit`, with the
/// `search` paths in order, writing the component to `out`.
fn componentize(dir: &Path, wit: &Path, search: &[PathBuf], out: &Path) -> Result<(), Failure> {
    let mut command = Command::new("componentize-py");
    command
        .arg("-d")
        .arg(wit)
        .args(["-w", "dag", "componentize"]);
    for path in search {
        command.arg("-p").arg(path);
    }
    command
        .arg(sdk::ENTRY_MODULE)
        .arg("-o")
        .arg(out)
        .current_dir(dir)
        // Build errors (a SyntaxError, a missing DAG) stay readable without a Rust backtrace.
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
    Ok(())
}
