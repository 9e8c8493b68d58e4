//! Builds every bin of `weft-test-guests` for `wasm32-wasip2` and writes `$OUT_DIR/gen.rs`:
//! one path constant per guest, `ALL_GUESTS` and the `foreach_guest!` macro.
//!
//! The guests are built by a nested `cargo build` with a target directory of its own
//! (`WEFT_GUEST_TARGET_DIR`, else `$OUT_DIR/guests`), so it never waits on the lock of the
//! build that runs this script.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Variables of the outer build that would leak into the nested one: flags, wrappers and
/// directories meant for the host build, and the cfg/feature values of this build script.
/// Clippy's workspace wrapper and its arguments are kept when the outer build is clippy's
/// (see [`clippy_wrapped`]).
const CLEARED_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_BUILD_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_LLVM_COV",
];
/// The outer build's workspace wrapper and clippy's arguments to it.
const WRAPPER_VARS: &[&str] = &["RUSTC_WORKSPACE_WRAPPER", "CLIPPY_ARGS"];
const CLEARED_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_"];

fn main() {
    if let Err(message) = run() {
        println!("cargo::error={message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out_dir = PathBuf::from(var("OUT_DIR")?);
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let guests_dir = manifest_dir.join("../test-guests");
    let wit_dir = manifest_dir.join("../../wit");
    for watched in [
        guests_dir.join("src"),
        guests_dir.join("Cargo.toml"),
        wit_dir,
    ] {
        println!("cargo::rerun-if-changed={}", watched.display());
    }
    println!("cargo::rerun-if-env-changed=WEFT_GUEST_TARGET_DIR");

    let target_dir = env::var_os("WEFT_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| out_dir.join("guests"));
    check_target_installed()?;
    build_guests(&guests_dir.join("Cargo.toml"), &target_dir)?;

    let wasm_dir = target_dir.join(TARGET).join("release");
    let guests = guest_names(&guests_dir.join("src/bin"))?;
    let gen_rs = generate(&guests, &guests_dir.join("src/bin"), &wasm_dir)?;
    let gen_path = out_dir.join("gen.rs");
    std::fs::write(&gen_path, gen_rs).map_err(|e| format!("writing {}: {e}", gen_path.display()))
}

fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|e| format!("environment variable {name}: {e}"))
}

/// Fails with advice when the standard library for the guest target is not installed.
fn check_target_installed() -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("running {} --print sysroot: {e}", rustc.to_string_lossy()))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let target_lib = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib");
    if output.status.success() && target_lib.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "{TARGET} target missing: run rustup target add {TARGET} (looked for {})",
            target_lib.display()
        ))
    }
}

fn build_guests(manifest: &Path, target_dir: &Path) -> Result<(), String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--bins",
        "--target",
        TARGET,
        "-p",
        "weft-test-guests",
    ])
    .arg("--manifest-path")
    .arg(manifest)
    .arg("--target-dir")
    .arg(target_dir);
    for name in CLEARED_VARS {
        cmd.env_remove(name);
    }
    if !clippy_wrapped() {
        for name in WRAPPER_VARS {
            cmd.env_remove(name);
        }
    }
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy();
        if CLEARED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            cmd.env_remove(name.as_ref());
        }
    }
    eprintln!("running: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("running cargo for the test guests: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the test guests for {TARGET} failed ({status}); see the output above"
        ))
    }
}

/// Whether the outer build runs clippy on the workspace's crates (`cargo clippy`, or
/// clippy-driver as cargo's workspace wrapper, as `scripts/test.sh` builds): the nested build
/// then lints the guests too, for the target they are built for, with the same arguments.
/// Any other wrapper is meant for the host build and is left out.
fn clippy_wrapped() -> bool {
    env::var_os("RUSTC_WORKSPACE_WRAPPER").is_some_and(|wrapper| {
        Path::new(&wrapper)
            .file_stem()
            .is_some_and(|stem| stem == "clippy-driver")
    })
}

/// Names of the guests: the `src/bin/*.rs` files, sorted.
fn guest_names(bin_dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(bin_dir).map_err(|e| format!("listing {}: {e}", bin_dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("listing {}: {e}", bin_dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| {
                    s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                })
                .ok_or_else(|| format!("guest {} must be named in snake_case", path.display()))?;
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// First line of the guest's `//!` header, used as its constant's doc.
fn summary(source: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(source)
        .map_err(|e| format!("reading {}: {e}", source.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("//!"))
        .map(|line| line.trim().to_owned())
        .ok_or_else(|| {
            format!(
                "{} has no `//!` header saying what it does",
                source.display()
            )
        })
}

fn generate(guests: &[String], bin_dir: &Path, wasm_dir: &Path) -> Result<String, String> {
    let mut code = String::new();
    for name in guests {
        let wasm = wasm_dir.join(format!("{name}.wasm"));
        if !wasm.is_file() {
            return Err(format!(
                "guest `{name}` was built but {} is missing",
                wasm.display()
            ));
        }
        let wasm = wasm
            .to_str()
            .ok_or_else(|| format!("path {} is not UTF-8", wasm.display()))?;
        let doc = summary(&bin_dir.join(format!("{name}.rs")))?;
        let _ = writeln!(code, "/// Guest `{name}`: {doc}");
        let _ = writeln!(
            code,
            "///\n/// Absolute path of its component (`src/bin/{name}.rs` of `weft-test-guests`)."
        );
        let _ = writeln!(code, "pub const {}: &str = {wasm:?};", name.to_uppercase());
    }
    code.push_str(
        "/// Every guest as `(snake_case name, absolute path of its component)`, sorted by name.\n\
         pub const ALL_GUESTS: &[(&str, &str)] = &[\n",
    );
    for name in guests {
        let _ = writeln!(code, "    ({name:?}, {}),", name.to_uppercase());
    }
    code.push_str("];\n");
    code.push_str(
        "/// Calls `$mac!(name)` once for every guest, with the guest's snake_case name.\n\
         ///\n\
         /// Tests use it to fail the build when a guest has no test: give each guest a test\n\
         /// (or module) of that name and expand a macro that refers to it.\n\
         #[macro_export]\n\
         macro_rules! foreach_guest {\n    ($mac:ident) => {\n",
    );
    for name in guests {
        let _ = writeln!(code, "        $mac!({name});");
    }
    code.push_str("    };\n}\n");
    Ok(code)
}
