//! The tools a TypeScript build runs, from npm: esbuild, and componentize-js with the WASI
//! shim it imports without declaring it. They are pinned by `sdk/js/package-lock.json` of
//! Weft's repository (`scripts/setup.sh` installs them with `npm ci`).
//!
//! Where they are looked for, in order:
//! 1. `$WEFT_JS_TOOLCHAIN`, a `node_modules` directory (an error when it lacks them);
//! 2. the project's own `node_modules`, when it holds them (as its devDependencies, say);
//! 3. `sdk/js/node_modules` of the repository this wfctl was built from.

use std::path::{Path, PathBuf};

use crate::exit::Failure;

/// The environment variable naming a `node_modules` directory holding the toolchain.
const ENV: &str = "WEFT_JS_TOOLCHAIN";

/// The packages a build needs and the versions Weft is tested with (`sdk/js/package.json`).
const PACKAGES: &[(&str, &str)] = &[
    ("esbuild", "0.28.2"),
    ("@bytecodealliance/componentize-js", "0.23.0"),
    // componentize-js 0.23.0 imports it without declaring it; 0.26 reads no files.
    ("@bytecodealliance/preview2-shim", "0.25.0"),
];

/// Where `npm ci` puts the toolchain in a checkout of Weft's repository.
const REPOSITORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk/js/node_modules");

/// A `node_modules` directory holding every package of [`PACKAGES`].
#[derive(Debug)]
pub(super) struct Toolchain {
    node_modules: PathBuf,
}

impl Toolchain {
    /// The toolchain for the project in `project` (see the module's header for the order).
    pub(super) fn find(project: &Path) -> Result<Toolchain, Failure> {
        let from_env = std::env::var_os(ENV).filter(|v| !v.is_empty());
        if let Some(dir) = from_env {
            let dir = PathBuf::from(dir);
            return match missing(&dir) {
                None => Ok(Toolchain::checked(dir)),
                Some(package) => Err(Failure::usage(format!(
                    "{ENV}={} holds no {package}: it must name a node_modules directory with {}",
                    dir.display(),
                    pinned()
                ))),
            };
        }
        let candidates = [project.join("node_modules"), PathBuf::from(REPOSITORY)];
        for dir in &candidates {
            if missing(dir).is_none() {
                return Ok(Toolchain::checked(dir.clone()));
            }
        }
        Err(Failure::usage(format!(
            "the TypeScript toolchain ({}) is not installed: run `npm ci` in sdk/js of Weft's \
             repository (scripts/setup.sh does), or set {ENV} to a node_modules directory \
             holding it, or add those packages to the project's devDependencies",
            pinned()
        )))
    }

    /// The toolchain in `node_modules`, warning of versions other than the pinned ones.
    fn checked(node_modules: PathBuf) -> Toolchain {
        for (package, pinned) in PACKAGES {
            let found = version(&node_modules.join(package));
            if found.as_deref() != Some(pinned) {
                tracing::warn!(
                    package,
                    found = found.as_deref().unwrap_or("unknown"),
                    pinned,
                    toolchain = %node_modules.display(),
                    "the TypeScript toolchain has a version of {package} Weft is not tested with"
                );
            }
        }
        Toolchain { node_modules }
    }

    /// esbuild's executable (a native binary, or a script that starts one).
    pub(super) fn esbuild(&self) -> PathBuf {
        self.node_modules.join("esbuild/bin/esbuild")
    }

    /// componentize-js's command-line script, run with `node`.
    pub(super) fn componentize_js(&self) -> PathBuf {
        self.node_modules
            .join("@bytecodealliance/componentize-js/src/cli.js")
    }

    /// How to repair this toolchain, for a tool of it that cannot start.
    pub(super) fn install_hint(&self) -> String {
        format!(
            "reinstall the toolchain in {} (`npm ci` in sdk/js of Weft's repository)",
            self.node_modules.display()
        )
    }
}

/// The first package of [`PACKAGES`] that `node_modules` lacks.
fn missing(node_modules: &Path) -> Option<&'static str> {
    PACKAGES
        .iter()
        .map(|(package, _)| *package)
        .find(|package| !node_modules.join(package).join("package.json").is_file())
}

/// The `version` of the package in `dir`.
fn version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest.get("version")?.as_str().map(str::to_owned)
}

/// The pinned packages, as `name@version, ...`.
fn pinned() -> String {
    PACKAGES
        .iter()
        .map(|(package, version)| format!("{package}@{version}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{PACKAGES, missing, version};

    /// A `node_modules` with `packages` at `version`.
    fn node_modules(packages: &[&str], version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for package in packages {
            let root = dir.path().join(package);
            std::fs::create_dir_all(&root).expect("the package's directory");
            std::fs::write(
                root.join("package.json"),
                format!(r#"{{"name": "{package}", "version": "{version}"}}"#),
            )
            .expect("package.json");
        }
        dir
    }

    #[test]
    fn a_toolchain_lacking_a_package_names_it() {
        let partial = node_modules(&["esbuild"], "0.28.2");
        assert_eq!(
            missing(partial.path()),
            Some("@bytecodealliance/componentize-js")
        );
        let all: Vec<&str> = PACKAGES.iter().map(|(p, _)| *p).collect();
        let whole = node_modules(&all, "1.0.0");
        assert_eq!(missing(whole.path()), None);
        assert_eq!(
            version(&whole.path().join("esbuild")).as_deref(),
            Some("1.0.0")
        );
    }

    #[test]
    fn the_pins_match_the_sdks_package_json() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk/js/package.json");
        let text = std::fs::read_to_string(path).expect("sdk/js/package.json");
        let manifest: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        for (package, pinned) in PACKAGES {
            assert_eq!(
                manifest["devDependencies"][package].as_str(),
                Some(*pinned),
                "{package} in sdk/js/package.json"
            );
        }
    }
}
