//! The SDKs' sources, embedded when wfctl is built (see `build.rs`): `wfctl build` bundles the
//! Python SDK into Python components, and `wfctl new` writes a copy of an SDK into a new
//! project so that it builds outside Weft's repository, pinned to this wfctl's version.

include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// Write `files` (path, text) under `dir`, making the directories they need.
pub fn write_all(dir: &std::path::Path, files: &[(&str, &str)]) -> std::io::Result<()> {
    for (path, text) in files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdks_are_embedded_whole() {
        let paths =
            |files: &[(&str, &str)]| files.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>();
        let rust = paths(RUST_SDK_FILES);
        assert!(rust.contains(&"src/lib.rs".to_owned()), "{rust:?}");
        assert!(
            rust.contains(&"src/capabilities/http/mod.rs".to_owned()),
            "{rust:?}"
        );
        assert!(rust.contains(&"build.rs".to_owned()), "{rust:?}");
        assert!(rust.iter().all(|p| p.ends_with(".rs")), "{rust:?}");
        let python = paths(PYTHON_SDK_FILES);
        assert!(
            python.contains(&"weft/__init__.py".to_owned()),
            "{python:?}"
        );
        assert!(
            python.contains(&"weft/_component.py".to_owned()),
            "{python:?}"
        );
        assert!(python.iter().all(|p| p.ends_with(".py")), "{python:?}");
        let js = paths(JS_SDK_FILES);
        for file in ["src/index.ts", "src/component.ts", "src/wit/dag.d.ts"] {
            assert!(js.contains(&file.to_owned()), "{file} is not in {js:?}");
        }
        assert!(js.iter().all(|p| p.ends_with(".ts")), "{js:?}");
    }

    #[test]
    fn the_rust_sdk_manifest_stands_alone() {
        let manifest: toml::Table = RUST_SDK_MANIFEST.parse().expect("valid TOML");
        let package = manifest["package"].as_table().expect("[package]");
        assert_eq!(package["name"].as_str(), Some("weft-sdk"));
        assert_eq!(package["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
        let dependencies = manifest["dependencies"].as_table().expect("[dependencies]");
        assert!(
            dependencies.contains_key("wit-bindgen"),
            "{RUST_SDK_MANIFEST}"
        );
        assert!(
            !RUST_SDK_MANIFEST.contains("workspace"),
            "nothing left to a workspace: {RUST_SDK_MANIFEST}"
        );
    }
}
