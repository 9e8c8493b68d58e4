//! Rust DAG crates: `cargo build --release --target wasm32-wasip2`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::spawn;
use crate::exit::Failure;

const TARGET: &str = "wasm32-wasip2";

/// The lines of `cargo --message-format=json` that name built files.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

/// Build the crate in `dir`; the path of its component.
pub(super) fn build(dir: &Path) -> Result<PathBuf, Failure> {
    check_target()?;
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest
        .canonicalize()
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", manifest.display())))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        // A DAG crate is built for the guest, never with flags meant for the host.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    let out = spawn(
        command,
        "cargo",
        "install Rust with rustup (https://rustup.rs)",
    )?;
    if !out.status.success() {
        return Err(Failure::usage(format!(
            "cargo build of {} failed (see the messages above)",
            manifest.display()
        )));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let wasm = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|m| {
            m.reason == "compiler-artifact"
                && m.manifest_path.as_deref() == Some(manifest.as_path())
        })
        .flat_map(|m| m.filenames)
        .find(|f| f.extension().is_some_and(|e| e == "wasm"));
    wasm.ok_or_else(|| {
        Failure::usage(format!(
            "cargo built no .wasm for {}: a DAG crate needs `[lib] crate-type = [\"cdylib\"]`",
            manifest.display()
        ))
    })
}

/// Fail early, with the fix, when rustup is there but the target is not.
fn check_target() -> Result<(), Failure> {
    let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        // No rustup: let cargo report whatever is missing.
        return Ok(());
    };
    let installed = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && !installed.lines().any(|l| l.trim() == TARGET) {
        return Err(Failure::usage(format!(
            "the {TARGET} target is not installed: run `rustup target add {TARGET}`"
        )));
    }
    Ok(())
}
