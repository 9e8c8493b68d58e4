//! C DAGs: a project whose `Makefile` includes `target/weft/weft.mk`. wfctl writes
//! `target/weft/` (the WIT world's C bindings, the SDK's headers and `weft.mk`), runs
//! `make weft`, which compiles the project's sources with clang for `wasm32-wasi` (wasi-libc)
//! into a core module, and makes that module a component with the WASI preview1 adapter of
//! the wasmtime release Weft runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::spawn;
use crate::exit::Failure;

/// The file a C project is known by.
pub(super) const MAKEFILE: &str = "Makefile";
/// What the project's Makefile includes, relative to the project.
const FRAGMENT: &str = "target/weft/weft.mk";
/// Where the build writes, relative to the project.
const WEFT_DIR: &str = "target/weft";
/// The core module `make weft` writes, relative to the project.
const CORE_MODULE: &str = "target/weft/dag.core.wasm";
/// How to install the toolchain, on Debian and its kin.
const INSTALL: &str = "install clang, lld, wasi-libc and compiler-rt for wasm32 (Debian: \
    `apt-get install clang lld wasi-libc libclang-rt-dev-wasm32`), or name a clang that \
    targets wasm32-wasi in WEFT_CC";

/// The makefile fragment: the toolchain, the bindings' object and the link. The project's
/// Makefile names its sources in `WEFT_SOURCES` (and what else they read in `WEFT_DEPS`).
const WEFT_MK: &str = r#"# Written by `wfctl build`: builds a Weft DAG written in C into a core WebAssembly module
# (target/weft/dag.core.wasm), which wfctl then makes a component of Weft's world.
# The project's Makefile sets WEFT_SOURCES (its .c files) and, optionally, WEFT_DEPS (the
# headers they include), WEFT_CFLAGS and WEFT_LDLIBS, then includes this file.
WEFT_DIR := target/weft
WEFT_CC ?= clang
WEFT_CFLAGS ?= -O2 -Wall -Wextra
WEFT_TARGET_FLAGS := --target=wasm32-wasi $(WEFT_SYSROOT_FLAGS)
WEFT_CORE := $(WEFT_DIR)/dag.core.wasm

.PHONY: weft
weft: $(WEFT_CORE)

$(WEFT_DIR)/dag.o: $(WEFT_DIR)/dag.c $(WEFT_DIR)/dag.h
	$(WEFT_CC) $(WEFT_TARGET_FLAGS) -O2 -c $< -o $@

$(WEFT_CORE): $(WEFT_SOURCES) $(WEFT_DEPS) $(WEFT_DIR)/dag.o $(WEFT_DIR)/dag_component_type.o $(WEFT_DIR)/weft.h $(WEFT_DIR)/weft_json.h
	$(WEFT_CC) $(WEFT_TARGET_FLAGS) -mexec-model=reactor $(WEFT_CFLAGS) -I$(WEFT_DIR) -Wl,--strip-debug $(WEFT_SOURCES) $(WEFT_DIR)/dag.o $(WEFT_DIR)/dag_component_type.o $(WEFT_LDLIBS) -o $@
"#;

/// Whether the `Makefile` in `dir` is one for Weft: it includes [`FRAGMENT`].
pub(super) fn is_weft_makefile(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(MAKEFILE)).is_ok_and(|text| text.contains(FRAGMENT))
}

/// Build the project in `dir`; the path of its component (`DIR/target/<dir name>.wasm`).
pub(super) fn build(dir: &Path) -> Result<PathBuf, Failure> {
    let target = super::Target::of(dir)?;
    let out = target.component();
    let weft_dir = target.dir.join(WEFT_DIR);
    std::fs::create_dir_all(&weft_dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", weft_dir.display())))?;
    // Two builds of one project at once would write the same files: one waits for the other.
    let lock_path = weft_dir.join(".build.lock");
    let lock = std::fs::File::create(&lock_path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| Failure::usage(format!("cannot lock {}: {e}", lock_path.display())))?;
    write_weft_dir(&weft_dir)?;
    make(&target.dir)?;
    let core_path = target.dir.join(CORE_MODULE);
    let core = std::fs::read(&core_path).map_err(|e| {
        Failure::usage(format!(
            "make weft wrote no {} ({e}): does the Makefile include {FRAGMENT} after setting \
             WEFT_SOURCES?",
            core_path.display()
        ))
    })?;
    let component = componentize(&core).map_err(|e| {
        Failure::usage(format!(
            "{} is not a core module that fits Weft's world: {e:#}",
            core_path.display()
        ))
    })?;
    let partial = target.partial()?;
    std::fs::write(&partial, component)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", partial.display())))?;
    let published = super::publish(partial, &out);
    drop(lock);
    published
}

/// Write the bindings, the SDK's headers and `weft.mk` into `dir`, each only when it
/// differs from what is there, so that make rebuilds only what changed.
fn write_weft_dir(dir: &Path) -> Result<(), Failure> {
    let cannot = |e: std::io::Error| {
        Failure::usage(format!(
            "cannot write the C bindings in {}: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let sdk = crate::sdk_files::C_SDK_FILES
        .iter()
        .map(|(name, text)| (*name, text.as_bytes()));
    let bindings = bindings().iter().copied();
    for (name, contents) in sdk.chain(bindings).chain([("weft.mk", WEFT_MK.as_bytes())]) {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == contents) {
            continue;
        }
        std::fs::write(&path, contents).map_err(cannot)?;
    }
    Ok(())
}

/// The WIT world's C bindings, generated when wfctl was built.
#[cfg(feature = "c-dags")]
fn bindings() -> &'static [(&'static str, &'static [u8])] {
    crate::sdk_files::C_BINDINGS
}

#[cfg(not(feature = "c-dags"))]
fn bindings() -> &'static [(&'static str, &'static [u8])] {
    &[]
}

/// Run `make weft` in `dir` with the C compiler found.
fn make(dir: &Path) -> Result<(), Failure> {
    let cc = compiler()?;
    let mut command = Command::new("make");
    command
        .arg("-C")
        .arg(dir)
        .arg("weft")
        .arg(format!("WEFT_CC={cc}"))
        // make's own messages go with the compiler's, to stderr: stdout is the component's
        // path alone.
        .stdout(std::process::Stdio::from(std::io::stderr()));
    if let Some(sysroot) = std::env::var_os("WASI_SYSROOT") {
        command.arg(format!(
            "WEFT_SYSROOT_FLAGS=--sysroot={}",
            Path::new(&sysroot).display()
        ));
    }
    let result = spawn(
        command,
        "make",
        "install GNU make (Debian: `apt-get install make`)",
    )?;
    if !result.status.success() {
        return Err(Failure::usage(format!(
            "make weft failed in {} (see the compiler's messages above)",
            dir.display()
        )));
    }
    Ok(())
}

/// The C compiler: `WEFT_CC`, else the first of `clang`, `clang-19` … `clang-14` on PATH.
fn compiler() -> Result<String, Failure> {
    if let Some(cc) = std::env::var_os("WEFT_CC") {
        return Ok(cc.to_string_lossy().into_owned());
    }
    let candidates =
        std::iter::once("clang".to_owned()).chain((14..=19).rev().map(|v| format!("clang-{v}")));
    let path = std::env::var_os("PATH").unwrap_or_default();
    for candidate in candidates {
        if std::env::split_paths(&path).any(|d| d.join(&candidate).is_file()) {
            return Ok(candidate);
        }
    }
    Err(Failure::usage(format!("no clang found on PATH: {INSTALL}")))
}

/// The component of the core module `core`: its WIT world is in the custom section the
/// bindings' object put there; its WASI preview1 imports go through the adapter.
#[cfg(feature = "c-dags")]
fn componentize(core: &[u8]) -> anyhow::Result<Vec<u8>> {
    use wasi_preview1_component_adapter_provider as adapter;
    wit_component::ComponentEncoder::default()
        .module(core)?
        .validate(true)
        .adapter(
            adapter::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            adapter::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        .encode()
}

#[cfg(not(feature = "c-dags"))]
fn componentize(_core: &[u8]) -> Result<Vec<u8>, String> {
    Err("this wfctl was built without C support (the `c-dags` feature)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_makefile_is_for_weft_when_it_includes_the_fragment() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!is_weft_makefile(dir.path()));
        std::fs::write(dir.path().join(MAKEFILE), "all:\n\tcc main.c\n").expect("write");
        assert!(!is_weft_makefile(dir.path()));
        std::fs::write(
            dir.path().join(MAKEFILE),
            format!("WEFT_SOURCES := src/a.c\ninclude {FRAGMENT}\n"),
        )
        .expect("write");
        assert!(is_weft_makefile(dir.path()));
    }

    #[test]
    fn unchanged_files_keep_their_times() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_weft_dir(dir.path()).expect("first write");
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for name in ["weft.mk", "dag.c"] {
            std::fs::File::options()
                .write(true)
                .open(dir.path().join(name))
                .and_then(|f| f.set_modified(long_ago))
                .expect("set the time");
        }
        // One file that changed is written again; the others keep their times.
        std::fs::write(dir.path().join("weft.h"), "stale").expect("write");
        write_weft_dir(dir.path()).expect("second write");
        let modified = |name: &str| {
            std::fs::metadata(dir.path().join(name))
                .and_then(|m| m.modified())
                .expect("mtime")
        };
        assert_eq!(modified("weft.mk"), long_ago);
        assert_eq!(modified("dag.c"), long_ago);
        assert_ne!(
            std::fs::read_to_string(dir.path().join("weft.h")).expect("read"),
            "stale"
        );
        for name in [
            "weft.h",
            "weft_json.h",
            "dag.h",
            "dag.c",
            "dag_component_type.o",
        ] {
            assert!(dir.path().join(name).is_file(), "{name} missing");
        }
    }

    #[test]
    fn a_module_that_is_not_wasm_is_refused() {
        let error = componentize(b"not wasm").expect_err("refused");
        let message = format!("{error:#}");
        assert!(message.contains("magic header"), "{message}");
    }
}
