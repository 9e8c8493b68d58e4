//! A project's dependencies resolved by pip into a site directory of pure-Python wheels,
//! kept under `DIR/target/python-deps/<key>/` for as long as the declarations do not change.
//!
//! The key covers the text of `requirements.txt` and the `pyproject.toml` list, not what they
//! point at (a `-r` file, a wheelhouse, the index's newest release): to take those in again,
//! remove `target/python-deps`. Sites of older declarations stay until then.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::deps::Declared;
use super::wheels;
use crate::commands::build::spawn;
use crate::exit::Failure;

/// The Python whose wheels pip picks: the CPython componentize-py 0.25.1 embeds.
const PYTHON_VERSION: &str = "3.14";
/// What a resolved site depends on besides the declarations: a change to how wfctl
/// resolves bumps it, so no older cache is reused.
const CACHE_FORMAT: &str = "weft-python-deps 1, python 3.14, py3-none-any";

/// The site holding the dependencies `declared` by the project in `dir`: from the cache,
/// or resolved by pip, checked, and then cached.
pub(super) fn resolve(dir: &Path, declared: &Declared) -> Result<PathBuf, Failure> {
    let cache = dir.join("target").join("python-deps");
    let site = cache.join(declared.key(CACHE_FORMAT));
    if site.is_dir() {
        tracing::debug!(site = %site.display(), "Python dependencies from the cache");
        return Ok(site);
    }
    std::fs::create_dir_all(&cache)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", cache.display())))?;
    // pip installs into a fresh directory that takes the cache's name only once checked:
    // a build stopped halfway leaves no site that a later one would trust.
    let partial = tempfile::Builder::new()
        .prefix(".partial-")
        .tempdir_in(&cache)
        .map_err(|e| Failure::usage(format!("cannot write in {}: {e}", cache.display())))?;
    pip_install(dir, declared, partial.path())?;
    wheels::check_pure(partial.path())?;
    publish(partial, &site)?;
    Ok(site)
}

/// Run `pip install --target site` for `declared`, in `dir` so that relative paths in
/// `requirements.txt` work; pure-Python wheels for [`PYTHON_VERSION`] only.
fn pip_install(dir: &Path, declared: &Declared, site: &Path) -> Result<(), Failure> {
    eprintln!(
        "resolving the Python dependencies of {} with pip",
        dir.display()
    );
    let mut command = Command::new("python3");
    command
        .args(["-m", "pip", "install", "--target"])
        .arg(site)
        .args([
            "--only-binary=:all:",
            "--platform",
            "any",
            "--implementation",
            "py",
            "--abi",
            "none",
            "--python-version",
            PYTHON_VERSION,
            "--no-compile",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(declared.pip_args())
        .current_dir(dir)
        // pip installs into a directory of its own, not into the system's Python.
        .env("PIP_ROOT_USER_ACTION", "ignore");
    let result = spawn(command, "python3", "install Python 3 with pip")?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "cannot resolve the dependencies of {}: wfctl build bundles pure-Python wheels \
             only (tag py3-none-any); a package with native code or only a source \
             distribution cannot run in the sandbox (see pip's message above)",
            dir.display()
        )));
    }
    Ok(())
}

/// Give the checked `partial` site its cache name `site`, in one rename. A build that
/// published the same site meanwhile wins; this one's copy is dropped.
fn publish(partial: tempfile::TempDir, site: &Path) -> Result<(), Failure> {
    match std::fs::rename(partial.path(), site) {
        Ok(()) => {
            // Renamed away: nothing is left for the guard to remove.
            let _ = partial.keep();
            Ok(())
        }
        Err(_) if site.is_dir() => Ok(()),
        Err(e) => Err(Failure::usage(format!(
            "cannot write {}: {e}",
            site.display()
        ))),
    }
}
