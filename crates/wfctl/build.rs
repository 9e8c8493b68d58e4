//! Embeds the SDKs' sources in wfctl, so that `wfctl build` bundles the Python SDK and
//! `wfctl new` writes a project that builds outside this repository: generates
//! `$OUT_DIR/sdk_files.rs` with the files of `sdk/rust` (its sources and build script, and a
//! standalone `Cargo.toml` for it), of `sdk/python/src/weft`, of `sdk/js/src` (the TypeScript
//! sources, with the WIT world's types kept beside them) and of `sdk/c`; and, with the `c-dags` feature, the C
//! bindings of the WIT world (wit-bindgen's C generator) that `wfctl build` gives C projects.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let repo = manifest_dir.join("../..").canonicalize()?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("sdk_files.rs");

    let rust_sdk = repo.join("sdk/rust");
    let python_sdk = repo.join("sdk/python/src");
    let js_sdk = repo.join("sdk/js");
    for watched in [
        js_sdk.join("src"),
        rust_sdk.join("src"),
        rust_sdk.join("build.rs"),
        rust_sdk.join("Cargo.toml"),
        python_sdk.join("weft"),
        repo.join("sdk/c"),
        repo.join("wit"),
        repo.join("Cargo.toml"),
    ] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }

    let mut code = String::new();
    // Its build script declares the capability modules of src/capabilities/.
    let mut rust_files = files(&rust_sdk, &rust_sdk.join("src"), "rs")?;
    rust_files.push(("build.rs".to_owned(), rust_sdk.join("build.rs")));
    rust_files.sort();
    list(
        &mut code,
        "RUST_SDK_FILES",
        "The Rust SDK's sources, as (path under `sdk/rust`, text).",
        &rust_files,
    )?;
    let python_files = files(&python_sdk, &python_sdk.join("weft"), "py")?;
    list(
        &mut code,
        "PYTHON_SDK_FILES",
        "The Python SDK's package, as (path of a module under a search path, text).",
        &python_files,
    )?;
    let js_files = files(&js_sdk, &js_sdk.join("src"), "ts")?;
    list(
        &mut code,
        "JS_SDK_FILES",
        "The TypeScript SDK's sources, as (path under `sdk/js`, text).",
        &js_files,
    )?;
    let cargo_toml = standalone_manifest(&repo.join("Cargo.toml"), &rust_sdk.join("Cargo.toml"))?;
    writeln!(
        code,
        "/// A `Cargo.toml` for the Rust SDK outside this repository's workspace.\npub const RUST_SDK_MANIFEST: &str = {cargo_toml:?};"
    )?;
    let c_files = files(&repo.join("sdk/c"), &repo.join("sdk/c"), "h")?;
    list(
        &mut code,
        "C_SDK_FILES",
        "The C SDK's headers (`weft.h`, `weft_json.h`), as (file name, text).",
        &c_files,
    )?;
    #[cfg(feature = "c-dags")]
    c_bindings(
        &repo.join("wit"),
        &PathBuf::from(std::env::var("OUT_DIR")?).join("c"),
        &mut code,
    )?;
    std::fs::write(out, code)?;
    Ok(())
}

/// The C bindings of world `dag` in `wit` (`dag.h`, `dag.c`, `dag_component_type.o`), written
/// under `out` and listed in `code` as `C_BINDINGS`.
#[cfg(feature = "c-dags")]
fn c_bindings(wit: &Path, out: &Path, code: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let mut resolve = wit_bindgen_core::wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(wit)?;
    let world = resolve.select_world(&[package], Some("dag"))?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)?;
    std::fs::create_dir_all(out)?;
    writeln!(
        code,
        "/// The C bindings of the WIT world, as (file name, contents).\npub const C_BINDINGS: &[(&str, &[u8])] = &["
    )?;
    for (name, contents) in files.iter() {
        let path = out.join(name);
        std::fs::write(&path, contents)?;
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )?;
    }
    writeln!(code, "];")?;
    Ok(())
}

/// Every file ending in `.ext` under `dir`, as (path relative to `base`, absolute path),
/// sorted so that the build is the same on every machine.
fn files(
    base: &Path,
    dir: &Path,
    ext: &str,
) -> Result<Vec<(String, PathBuf)>, Box<dyn std::error::Error>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                let relative = path
                    .strip_prefix(base)?
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push((relative, path));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `pub const NAME: &[(&str, &str)]` of the files, each by `include_str!`.
fn list(code: &mut String, name: &str, doc: &str, files: &[(String, PathBuf)]) -> std::fmt::Result {
    writeln!(code, "/// {doc}\npub const {name}: &[(&str, &str)] = &[")?;
    for (relative, path) in files {
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
    }
    writeln!(code, "];")
}

/// `sdk/rust/Cargo.toml` with every `workspace = true` resolved from the root manifest.
fn standalone_manifest(root: &Path, sdk: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let root: toml::Table = std::fs::read_to_string(root)?.parse()?;
    let sdk: toml::Table = std::fs::read_to_string(sdk)?.parse()?;
    let package_defaults = root
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(toml::Value::as_table)
        .ok_or("the root Cargo.toml has no [workspace.package]")?;
    let dependency_defaults = root
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .ok_or("the root Cargo.toml has no [workspace.dependencies]")?;

    let mut text = String::from(
        "# The Rust SDK of Weft, written by `wfctl new` (the same version as that wfctl).\n[package]\n",
    );
    let package = sdk
        .get("package")
        .and_then(toml::Value::as_table)
        .ok_or("sdk/rust has no [package]")?;
    for (key, value) in package {
        let value = if value.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
            package_defaults
                .get(key)
                .ok_or_else(|| format!("[workspace.package] has no {key}"))?
        } else {
            value
        };
        writeln!(text, "{key} = {}", render(value))?;
    }
    text.push_str("\n[dependencies]\n");
    let dependencies = sdk
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .ok_or("sdk/rust has no [dependencies]")?;
    for (name, value) in dependencies {
        let value = if value.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
            dependency_defaults
                .get(name)
                .ok_or_else(|| format!("[workspace.dependencies] has no {name}"))?
        } else {
            value
        };
        writeln!(text, "{name} = {}", render(value))?;
    }
    Ok(text)
}

/// A TOML value written inline.
fn render(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            )
        }
        toml::Value::Table(table) => format!(
            "{{ {} }}",
            table
                .iter()
                .map(|(k, v)| format!("{k} = {}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
