//! The check that a resolved site holds only what runs in the sandbox: pure-Python wheels
//! (tag `py3-none-any`), no native library, and no copy of the SDK that wfctl bundles.

use std::path::Path;

use crate::exit::Failure;

/// File extensions of native extension modules, which cannot load in the sandbox.
const NATIVE: &[&str] = &["so", "pyd"];
/// Top-level names of the SDK, which would shadow the one wfctl bundles.
const SDK_NAMES: &[&str] = &["weft", "weft.py"];

/// Refuse the site at `site` unless every wheel in it is pure Python.
pub(super) fn check_pure(site: &Path) -> Result<(), Failure> {
    for entry in read_dir(site)? {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if SDK_NAMES.contains(&name.as_str()) {
            return Err(Failure::usage(format!(
                "a dependency installs a `weft` module ({}), which would hide the SDK wfctl \
                 bundles; remove the dependency that brings it",
                path.display()
            )));
        }
        if let Some(package) = name.strip_suffix(".dist-info") {
            check_wheel(&path, package)?;
        }
    }
    refuse_native(site, site)
}

/// Refuse the wheel installed as `dist_info` unless its `WHEEL` file's tags are all pure.
fn check_wheel(dist_info: &Path, package: &str) -> Result<(), Failure> {
    let package = package.split('-').next().unwrap_or(package);
    let file = dist_info.join("WHEEL");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
    let tags: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("Tag:"))
        .map(str::trim)
        .collect();
    if tags.is_empty() {
        return Err(Failure::usage(format!(
            "cannot bundle {package}: its wheel names no tag ({})",
            file.display()
        )));
    }
    match tags.iter().find(|tag| !is_pure(tag)) {
        Some(tag) => Err(Failure::usage(format!(
            "cannot bundle {package}: its wheel is tagged {tag}; wfctl build bundles \
             pure-Python wheels only (tag py3-none-any)"
        ))),
        None => Ok(()),
    }
}

/// Whether a wheel tag (`python-abi-platform`, each part possibly a `.`-separated set) is
/// a pure-Python one: Python tags `py*`, ABI `none`, platform `any`.
fn is_pure(tag: &str) -> bool {
    let mut parts = tag.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(python), Some("none"), Some("any"), None) => {
            python.split('.').all(|p| p.starts_with("py"))
        }
        _ => false,
    }
}

/// Refuse any native extension module under `dir` (`site` names it in errors).
fn refuse_native(site: &Path, dir: &Path) -> Result<(), Failure> {
    for entry in read_dir(dir)? {
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        if file_type.is_dir() {
            refuse_native(site, &path)?;
        } else if path
            .extension()
            .is_some_and(|e| NATIVE.iter().any(|n| e == *n))
        {
            let shown = path.strip_prefix(site).unwrap_or(&path);
            return Err(Failure::usage(format!(
                "cannot bundle {}: it is native code; wfctl build bundles pure-Python wheels \
                 only (tag py3-none-any)",
                shown.display()
            )));
        }
    }
    Ok(())
}

/// The entries of `dir`.
fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, Failure> {
    let read = |e: std::io::Error| Failure::usage(format!("cannot read {}: {e}", dir.display()));
    std::fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_tags() {
        for tag in ["py3-none-any", "py2.py3-none-any", "py314-none-any"] {
            assert!(is_pure(tag), "{tag}");
        }
        for tag in [
            "cp314-cp314-manylinux_2_17_x86_64",
            "py3-none-manylinux_2_17_x86_64",
            "cp314-none-any",
            "py3-abi3-any",
            "py3-none",
        ] {
            assert!(!is_pure(tag), "{tag}");
        }
    }

    /// A site holding one installed wheel `name` with `tags`.
    fn site_with(name: &str, tags: &[&str]) -> tempfile::TempDir {
        let site = tempfile::tempdir().expect("a temporary directory");
        let dist_info = site.path().join(format!("{name}-1.0.dist-info"));
        std::fs::create_dir_all(&dist_info).expect("create");
        std::fs::create_dir_all(site.path().join(name)).expect("create");
        let tags: String = tags.iter().map(|t| format!("Tag: {t}\n")).collect();
        std::fs::write(
            dist_info.join("WHEEL"),
            format!("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n{tags}"),
        )
        .expect("write");
        site
    }

    fn refusal(site: &Path) -> String {
        match check_pure(site) {
            Err(Failure::Usage(message)) => message,
            other => panic!("refused: {other:?}"),
        }
    }

    #[test]
    fn a_native_wheel_is_refused_by_name() {
        assert!(check_pure(site_with("purelib", &["py3-none-any"]).path()).is_ok());
        let site = site_with("fastlib", &["py3-none-any", "cp314-cp314-win_amd64"]);
        let message = refusal(site.path());
        assert!(
            message.contains("fastlib") && message.contains("pure-Python"),
            "{message}"
        );
        assert!(refusal(site_with("untagged", &[]).path()).contains("untagged"));
    }

    #[test]
    fn native_files_and_the_sdk_are_refused() {
        let site = site_with("sneaky", &["py3-none-any"]);
        std::fs::write(site.path().join("sneaky/_speedups.cpython-314.so"), "").expect("write");
        assert!(refusal(site.path()).contains("_speedups"));
        let site = site_with("weft", &["py3-none-any"]);
        assert!(refusal(site.path()).contains("weft"));
    }
}
