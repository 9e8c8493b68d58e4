//! Weft's home directory (`WEFT_HOME`, else `~/.weft`) and the runtime set up to use it.

use std::path::PathBuf;
use std::sync::Arc;

use weft_runtime::{DagComponent, Runtime, RuntimeConfig};

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

/// A runtime whose compiled-component cache lives under the home directory.
pub fn runtime() -> Result<Runtime, Failure> {
    runtime_in(&dir())
}

/// A runtime whose compiled-component cache lives under `home`.
pub fn runtime_in(home: &std::path::Path) -> Result<Runtime, Failure> {
    let config = RuntimeConfig {
        cache_dir: Some(home.join("cache").join("components")),
        ..RuntimeConfig::default()
    };
    Runtime::new(config).map_err(|e| Failure::usage(e.to_string()))
}

/// Read a component file and load it; errors name the file.
pub fn load(runtime: &Runtime, path: &std::path::Path) -> Result<Arc<DagComponent>, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    runtime
        .load(&bytes)
        .map_err(|e| Failure::usage(format!("{}: {e} [class: {}]", path.display(), e.class())))
}
