//! Declares the SDK's capability modules: every file (or directory with a `mod.rs`) of
//! `src/capabilities/` becomes a public module at the crate's root (`weft_sdk::sql`,
//! `weft_sdk::xcom`, ...). A capability's module owns its `impl Context` methods, its
//! conversions from the WIT bindings and its errors, so a new capability is one new file and
//! no list in `lib.rs` grows. Writes `$OUT_DIR/capabilities.rs`, which `lib.rs` includes.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("src/capabilities");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let (name, file) = if path.join("mod.rs").is_file() {
            (path.file_name(), path.join("mod.rs"))
        } else if path.extension().is_some_and(|e| e == "rs") {
            (path.file_stem(), path.clone())
        } else {
            continue;
        };
        let name = name
            .and_then(|n| n.to_str())
            .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .ok_or_else(|| format!("{}: not a Rust module name", path.display()))?;
        modules.push((name.to_owned(), file));
    }
    modules.sort();
    let mut code =
        String::from("// Written by build.rs: one module per file of src/capabilities/.\n");
    for (name, file) in modules {
        let file = file
            .to_str()
            .ok_or_else(|| format!("{}: not UTF-8", file.display()))?;
        writeln!(code, "#[path = {file:?}]\npub mod {name};")?;
    }
    std::fs::write(
        PathBuf::from(std::env::var("OUT_DIR")?).join("capabilities.rs"),
        code,
    )?;
    Ok(())
}
