//! Weft's home directory (`WEFT_HOME`, else `~/.weft`) and the runtime set up to use it.

use std::path::PathBuf;
use std::sync::Arc;

use weft_runtime::{DagComponent, EgressPolicy, Runtime, RuntimeConfig};

use crate::exit::Failure;

/// The home directory: `$WEFT_HOME`, else `$HOME/.weft`, else `./.weft`.
pub fn dir() -> PathBuf {
    if let Some(home) = std::env::var_os("WEFT_HOME") {
        return PathBuf::from(home);
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".weft"),
        None => PathBuf::from(".weft"),
    }
}

/// Sandboxes at once of a process that describes components (the API server describes each
/// deploy), beyond those of the tasks it runs. Each reserves address space for its memories,
/// so a process sizes its pool to what it runs rather than to a large default.
pub const DESCRIBING_SANDBOXES: u32 = 8;

/// Sandboxes at once of a local run (`wfctl test`, `wfctl run`), which runs one task at a time.
pub const LOCAL_SANDBOXES: u32 = 2;

/// The most the compile cache may hold: `$WEFT_CACHE_MAX_SIZE` (a size such as `4GiB`), else
/// the runtime's default (2 GiB). Past it, the least recently used code is removed.
pub fn cache_max_bytes() -> Result<u64, Failure> {
    let Some(size) = std::env::var_os("WEFT_CACHE_MAX_SIZE").filter(|s| !s.is_empty()) else {
        return Ok(RuntimeConfig::default().cache_max_bytes);
    };
    let fail = |reason: String| Failure::usage(format!("WEFT_CACHE_MAX_SIZE: {reason}"));
    let size = size
        .to_str()
        .ok_or_else(|| fail(format!("{size:?} is not text")))?;
    match weft_model::units::parse_size(size) {
        // Nothing could be kept: every store would evict the rest.
        Ok(0) => Err(fail(format!(
            "{size:?} keeps nothing: give a size above zero, such as 2GiB"
        ))),
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// The most each attempt may write into its scratch directories: `$WEFT_SCRATCH_MAX_SIZE` (a
/// size such as `256MiB`; `0` makes them unwritable), else the runtime's default (64 MiB).
pub fn scratch_max_bytes() -> Result<u64, Failure> {
    let Some(size) = std::env::var_os("WEFT_SCRATCH_MAX_SIZE").filter(|s| !s.is_empty()) else {
        return Ok(RuntimeConfig::default().scratch_max_bytes);
    };
    let fail = |reason: String| Failure::usage(format!("WEFT_SCRATCH_MAX_SIZE: {reason}"));
    let size = size
        .to_str()
        .ok_or_else(|| fail(format!("{size:?} is not text")))?;
    weft_model::units::parse_size(size).map_err(|e| fail(e.to_string()))
}

/// A runtime whose compiled-component cache lives under the home directory, with no egress,
/// for a command that only describes components (`build`, `inspect`).
pub fn runtime() -> Result<Runtime, Failure> {
    describing_runtime_in(&dir(), EgressPolicy::default())
}

/// [`runtime_in`] for a process that describes components and runs no task (the API server,
/// `build`, `inspect`): a large component is described on baseline code, and no thread
/// compiles optimized code that nothing here would run.
pub fn describing_runtime_in(
    home: &std::path::Path,
    egress: EgressPolicy,
) -> Result<Runtime, Failure> {
    runtime_with(home, egress, false, DESCRIBING_SANDBOXES)
}

/// Where compiled components are kept: `$WEFT_CACHE_DIR`, else `cache/components` under
/// `home`. Processes of one machine may share it (entries are keyed by the engine's settings
/// and the component's digest, and written whole), so that each component compiles once.
pub fn cache_dir(home: &std::path::Path) -> PathBuf {
    match std::env::var_os("WEFT_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => home.join("cache").join("components"),
    }
}

/// A runtime whose compiled-component cache is [`cache_dir`] of `home`, under `egress`, that
/// runs up to `sandboxes` tasks (and descriptions) at once.
pub fn runtime_in(
    home: &std::path::Path,
    egress: EgressPolicy,
    sandboxes: u32,
) -> Result<Runtime, Failure> {
    runtime_with(home, egress, true, sandboxes)
}

/// The settings of [`runtime_in`], for a process that sets its runtime up itself
/// (`standalone`).
#[cfg(feature = "control-plane")]
pub fn runtime_config_in(
    home: &std::path::Path,
    egress: EgressPolicy,
    sandboxes: u32,
) -> Result<RuntimeConfig, Failure> {
    config_with(home, egress, true, sandboxes)
}

/// A runtime caching under `home`, that moves large components to optimized code when
/// `optimize`, with `sandboxes` at once.
fn runtime_with(
    home: &std::path::Path,
    egress: EgressPolicy,
    optimize: bool,
    sandboxes: u32,
) -> Result<Runtime, Failure> {
    let config = config_with(home, egress, optimize, sandboxes)?;
    Runtime::new(config).map_err(|e| Failure::usage(e.to_string()))
}

/// The settings of [`runtime_with`]: the cache under `home` and the sizes of the environment.
fn config_with(
    home: &std::path::Path,
    egress: EgressPolicy,
    optimize: bool,
    sandboxes: u32,
) -> Result<RuntimeConfig, Failure> {
    Ok(RuntimeConfig {
        cache_dir: Some(cache_dir(home)),
        cache_max_bytes: cache_max_bytes()?,
        scratch_max_bytes: scratch_max_bytes()?,
        egress,
        optimize_baseline: optimize,
        max_concurrent_instances: sandboxes,
        ..RuntimeConfig::default()
    })
}

/// Read a component file, or build a project directory first, and load it; errors name the
/// file.
pub fn load(runtime: &Runtime, path: &std::path::Path) -> Result<Arc<DagComponent>, Failure> {
    let path = &crate::commands::build::component_at(path)?;
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    runtime
        .load(&bytes)
        .map_err(|e| Failure::usage(format!("{}: {e} [class: {}]", path.display(), e.class())))
}
