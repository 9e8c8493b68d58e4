//! A TypeScript or JavaScript DAG project: its `package.json`, its entry module, and its npm
//! dependencies, installed with npm when they are missing or out of date.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde::Deserialize;

use super::super::spawn;
use crate::exit::Failure;

/// The file that makes a directory a TypeScript or JavaScript DAG project.
pub(in crate::commands::build) const MANIFEST: &str = "package.json";

/// Where the entry module is looked for when `main` names no file, in order.
const ENTRIES: &[&str] = &["src/app.ts", "src/app.js", "app.ts", "app.js"];

/// What the build reads of `package.json`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Manifest {
    /// The entry module, when it is not one of [`ENTRIES`].
    main: Option<String>,
    #[serde(default)]
    dependencies: serde_json::Map<String, serde_json::Value>,
    #[serde(default, rename = "devDependencies")]
    dev_dependencies: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    /// The `package.json` of the project in `dir`.
    pub(super) fn read(dir: &Path) -> Result<Manifest, Failure> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| Failure::usage(format!("{} is not valid: {e}", path.display())))
    }

    /// The entry module, as a path relative to `dir` with `/` separators: `main` when it
    /// names a file, else the first of `src/app.ts`, `src/app.js`, `app.ts`, `app.js` there.
    pub(super) fn entry(&self, dir: &Path) -> Result<String, Failure> {
        let main = self
            .main
            .as_deref()
            .map(|m| m.trim_start_matches("./").to_owned());
        let candidates = main
            .iter()
            .map(String::as_str)
            .chain(ENTRIES.iter().copied());
        for candidate in candidates {
            if dir.join(candidate).is_file() {
                return Ok(candidate.replace('\\', "/"));
            }
        }
        let main_note =
            main.map_or_else(String::new, |m| format!("`main` ({m}) names no file, and "));
        Err(Failure::usage(format!(
            "{}: {main_note}none of {} exists: write the DAG's module there (it exports a Dag of \
             @weft/sdk), or name it in package.json's `main`",
            dir.display(),
            ENTRIES.join(", ")
        )))
    }

    /// Whether the project declares npm packages it needs.
    fn declares_dependencies(&self) -> bool {
        !self.dependencies.is_empty() || !self.dev_dependencies.is_empty()
    }
}

/// Install the project's dependencies with npm when it declares some and its `node_modules`
/// is missing or older than `package.json` or `package-lock.json`: `npm ci` when there is a
/// lock file, else `npm install` (which writes one).
pub(super) fn install(dir: &Path, manifest: &Manifest) -> Result<(), Failure> {
    if !manifest.declares_dependencies() {
        return Ok(());
    }
    let lock = dir.join("package-lock.json");
    // npm writes its own record of an install here, last.
    let installed = modified(&dir.join("node_modules").join(".package-lock.json"));
    let declared = [dir.join(MANIFEST), lock.clone()]
        .iter()
        .filter_map(|f| modified(f))
        .max();
    let current = matches!((installed, declared), (Some(i), Some(d)) if i >= d);
    if current {
        return Ok(());
    }
    let verb = if lock.is_file() { "ci" } else { "install" };
    eprintln!("npm {verb} in {}", dir.display());
    let mut command = Command::new("npm");
    command
        .args([verb, "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir);
    let result = spawn(
        command,
        "npm",
        "install Node.js 20 or later, which comes with npm",
    )?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "npm {verb} failed in {} (see the messages above)",
            dir.display()
        )));
    }
    Ok(())
}

/// When `file` was last modified, if it exists.
fn modified(file: &Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::Manifest;

    fn manifest(text: &str) -> Manifest {
        serde_json::from_str(text).expect("a package.json")
    }

    #[test]
    fn the_entry_is_main_when_it_names_a_file_else_the_first_conventional_one() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).expect("src/");
        std::fs::write(root.join("app.js"), "").expect("app.js");
        // `npm init` writes `main: index.js`, which need not exist.
        let npm_init = manifest(r#"{"main": "index.js"}"#);
        assert_eq!(npm_init.entry(root).ok(), Some("app.js".to_owned()));
        std::fs::write(root.join("src/app.ts"), "").expect("src/app.ts");
        assert_eq!(npm_init.entry(root).ok(), Some("src/app.ts".to_owned()));
        std::fs::write(root.join("src/dag.ts"), "").expect("src/dag.ts");
        let main = manifest(r#"{"main": "./src/dag.ts"}"#);
        assert_eq!(main.entry(root).ok(), Some("src/dag.ts".to_owned()));
    }

    #[test]
    fn no_entry_is_refused_naming_where_it_was_looked_for() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let error = manifest(r#"{"main": "dist/index.js"}"#)
            .entry(dir.path())
            .expect_err("no entry");
        let message = format!("{error:?}");
        assert!(
            message.contains("`main` (dist/index.js) names no file")
                && message.contains("src/app.ts, src/app.js, app.ts, app.js"),
            "{message}"
        );
    }

    #[test]
    fn dependencies_of_either_kind_are_declared() {
        assert!(!manifest("{}").declares_dependencies());
        assert!(manifest(r#"{"dependencies": {"@weft/sdk": "0.1.0"}}"#).declares_dependencies());
        assert!(
            manifest(r#"{"devDependencies": {"typescript": "5.9.3"}}"#).declares_dependencies()
        );
    }
}
