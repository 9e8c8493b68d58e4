//! What wfctl adds to a Python project's build: the `weft` SDK, pinned to this wfctl
//! (`crate::sdk_files`), and the entry module that turns the project's DAG into the component's exports.

use std::path::{Path, PathBuf};

use crate::exit::Failure;
use crate::sdk_files::PYTHON_SDK_FILES;

/// The module componentize-py builds: a project's own module is named by the user, this
/// one by wfctl.
pub(super) const ENTRY_MODULE: &str = "weft_main";

/// The text of [`ENTRY_MODULE`]: the exports of a project on the raw bindings (a `WitWorld`
/// class in `app`) or built from the `weft.Dag` that `app` defines.
const ENTRY_TEXT: &str = "\
# Written by `wfctl build`: the component's exports, from the DAG that module `app` defines.
import app
from weft._component import export
WitWorld = export(app)
";

/// Write the `weft` package into `dir` (which becomes a search path); `dir`.
pub(super) fn write_sdk(dir: &Path) -> Result<PathBuf, Failure> {
    super::super::write_files(dir, PYTHON_SDK_FILES, "the weft SDK")
}

/// Write the entry module into `dir` (which becomes a search path); `dir`.
pub(super) fn write_entry(dir: &Path) -> Result<PathBuf, Failure> {
    let file = format!("{ENTRY_MODULE}.py");
    super::super::write_files(dir, &[(&file, ENTRY_TEXT)], "the entry module")
}

/// Refuse a project whose own module would shadow the entry module.
pub(super) fn check_no_entry_in(project: &Path) -> Result<(), Failure> {
    let own = project.join(format!("{ENTRY_MODULE}.py"));
    if own.exists() {
        return Err(Failure::usage(format!(
            "{}: `wfctl build` writes a module of that name; rename the project's",
            own.display()
        )));
    }
    // The project comes first on the search path: its own `weft` would hide the SDK.
    for own in [project.join("weft"), project.join("weft.py")] {
        if own.exists() {
            return Err(Failure::usage(format!(
                "{}: a project may not hold a module named `weft`, which would hide the SDK \
                 `wfctl build` bundles; rename it",
                own.display()
            )));
        }
    }
    Ok(())
}
