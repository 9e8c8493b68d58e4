//! Writes `$OUT_DIR/capabilities.rs`: one module per file of `src/host/caps/` (Weft's host
//! interfaces, one capability each) and `link_capabilities`, which links every one of them.
//! The directory is the list: a new capability is a new file there, with no line to add
//! elsewhere in the host.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    if let Err(message) = run() {
        println!("cargo::error={message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let caps = root.join("src/host/caps");
    println!("cargo::rerun-if-changed={}", caps.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&caps).map_err(|e| format!("reading {}: {e}", caps.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "rs") && path.is_file() {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| format!("{} is not a UTF-8 module name", path.display()))?
                .to_owned();
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!(
                    "{}: a capability's file name must be a Rust module name",
                    path.display()
                ));
            }
            names.push((name, path));
        }
    }
    names.sort();
    let mut out = String::new();
    for (name, path) in &names {
        let _ = writeln!(
            out,
            "#[path = {:?}]\nmod {name};",
            path.display().to_string()
        );
    }
    out.push_str(
        "\n/// Links the interfaces of every capability, in every world version that has them.\n\
         fn link_capabilities(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {\n",
    );
    for (name, _) in &names {
        let _ = writeln!(out, "    {name}::link(linker)?;");
    }
    out.push_str("    Ok(())\n}\n");
    let file =
        PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("capabilities.rs");
    std::fs::write(&file, out).map_err(|e| format!("writing {}: {e}", file.display()))
}
