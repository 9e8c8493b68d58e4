//! TypeScript and JavaScript DAGs: a `package.json` project whose entry module exports a `Dag`
//! of `@weft/sdk`, bundled with its npm dependencies into one ES module by esbuild, then made
//! a component of Weft's WIT world by componentize-js (which embeds the StarlingMonkey engine).
//!
//! # Layout
//! - `project`: the project's `package.json`, its entry module, and `npm ci` when its
//!   `node_modules` is missing or older than its lock file.
//! - `toolchain`: where esbuild and componentize-js are found (`WEFT_JS_TOOLCHAIN`, the
//!   project's `node_modules`, the repository's `sdk/js/node_modules`) and their pinned versions.
//!
//! What the build leaves in `DIR/target/`: `<name>.wasm`, the component, and `<name>.js`, the
//! bundle it was made from (componentize-js's messages point into it by line and column).

mod project;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;

use super::spawn;
use crate::exit::Failure;

pub(super) use project::MANIFEST;

/// The module esbuild bundles, written by wfctl next to the bundle: it imports the project's
/// entry and exports the world's functions from the `Dag` it exports. `{entry}` is the entry's
/// path from `target/`, as a JSON string; `{name}` its path in the project, for errors.
const ENTRY_TEXT: &str = r#"// Written by `wfctl build`: the component's exports, from the DAG that {name} exports.
import * as app from {entry};
import { exportDag } from "@weft/sdk/component";
const world = exportDag(app, {name});
export function describe() {
  return world.describe();
}
export function runTask(ctx, upstream) {
  return world.runTask(ctx, upstream);
}
"#;

/// The entry module's file name in `DIR/target/`.
const ENTRY_FILE: &str = "weft-entry.js";

/// Build the project in `dir`; the path of its component (`DIR/target/<dir name>.wasm`).
pub(super) fn build(dir: &Path) -> Result<PathBuf, Failure> {
    let target = super::Target::of(dir)?;
    let (dir, name, out_dir) = (&target.dir, &target.name, &target.out_dir);
    let manifest = project::Manifest::read(dir)?;
    let entry = manifest.entry(dir)?;
    project::install(dir, &manifest)?;
    let tools = toolchain::Toolchain::find(dir)?;

    let entry_module = out_dir.join(ENTRY_FILE);
    super::write_files(
        out_dir,
        &[(ENTRY_FILE, &entry_text(&entry))],
        "the entry module",
    )?;
    let bundle = out_dir.join(format!("{name}.js"));
    bundle_with_esbuild(&tools, dir, &entry_module, &bundle)?;

    // The WIT world travels inside wfctl, so a project needs no copy of it.
    let staging = tempfile::tempdir()
        .map_err(|e| Failure::usage(format!("cannot make a temporary directory: {e}")))?;
    let wit = super::write_wit(&staging.path().join("wit"))?;
    // componentize-js writes beside the component, which then takes its place in one rename.
    let (out, partial) = (target.component(), target.partial()?);
    componentize(&tools, dir, &bundle, &wit, &partial)?;
    super::publish(partial, &out)
}

/// The entry module for the project's entry at `entry` (a path relative to the project).
fn entry_text(entry: &str) -> String {
    let from_target = serde_json::Value::from(format!("../{entry}")).to_string();
    let name = serde_json::Value::from(entry).to_string();
    ENTRY_TEXT
        .replace("{entry}", &from_target)
        .replace("{name}", &name)
}

/// Bundle `entry` and what it imports into one ES module at `bundle`. The world's imports
/// (`weft:*`, `wasi:*`) stay imports, which componentize-js binds. The platform is the
/// browser's: the component has web APIs (`URL`, `TextEncoder`, ...), not Node's.
fn bundle_with_esbuild(
    tools: &toolchain::Toolchain,
    dir: &Path,
    entry: &Path,
    bundle: &Path,
) -> Result<(), Failure> {
    let mut command = Command::new(tools.esbuild());
    command
        .arg(entry)
        .args([
            "--bundle",
            "--format=esm",
            "--platform=browser",
            // Lowers what StarlingMonkey's engine may lack (`using` declarations, say).
            "--target=es2022",
            "--external:weft:*",
            "--external:wasi:*",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", bundle.display()))
        .current_dir(dir);
    let result = spawn(command, "esbuild", &tools.install_hint())?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "esbuild failed to bundle {} (see the messages above); a component has web APIs \
             (fetch, URL, TextEncoder), not Node.js's: packages that need `node:*` modules \
             cannot be bundled",
            dir.display()
        )));
    }
    Ok(())
}

/// Run componentize-js on `bundle` against the WIT world in `wit`, writing the component to
/// `out`. The bundle's top level runs now (componentize-js snapshots the initialised engine),
/// so a DAG that is not valid fails here.
fn componentize(
    tools: &toolchain::Toolchain,
    dir: &Path,
    bundle: &Path,
    wit: &Path,
    out: &Path,
) -> Result<(), Failure> {
    let mut command = Command::new("node");
    command
        .arg(tools.componentize_js())
        .arg(bundle)
        .arg("--wit")
        .arg(wit)
        .args(["--world-name", "dag", "-o"])
        .arg(out)
        .current_dir(dir);
    let result = spawn(
        command,
        "node",
        "install Node.js 20 or later (https://nodejs.org)",
    )?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "componentize-js failed to build {} (see the messages above; line numbers are \
             those of {})",
            dir.display(),
            bundle.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::entry_text;

    #[test]
    fn the_entry_module_imports_the_project_entry_from_target() {
        let text = entry_text("src/app.ts");
        assert!(
            text.contains(r#"import * as app from "../src/app.ts";"#),
            "{text}"
        );
        assert!(text.contains(r#"exportDag(app, "src/app.ts")"#), "{text}");
        assert!(text.contains("export function runTask(ctx, upstream)"));
        // A path is a JSON string, quotes and backslashes escaped.
        assert!(entry_text(r#"we"ird.js"#).contains(r#""../we\"ird.js""#));
    }
}
