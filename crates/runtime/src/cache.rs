//! Compiled components on disk, keyed by the engine's compatibility and the component's
//! digest, so that a component is compiled once per machine.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::digest::Digest;

/// A directory of precompiled components for one engine configuration.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    dir: PathBuf,
}

/// Feeds a std `Hash` into sha256, for a key that is stable across processes.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        // Only `write` is used; the digest is read with `finalize`.
        0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl DiskCache {
    /// The cache for `engine` under `root`, made if missing.
    pub(crate) fn open(root: &Path, engine: &Engine) -> std::io::Result<DiskCache> {
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let key = hex::encode(&hasher.0.finalize()[..16]);
        let dir = root.join(key);
        std::fs::create_dir_all(&dir)?;
        Ok(DiskCache { dir })
    }

    fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join(format!("{}.cwasm", digest.hex()))
    }

    /// The precompiled component for `digest`, if this cache holds a usable one.
    pub(crate) fn load(&self, engine: &Engine, digest: &Digest) -> Option<Component> {
        let path = self.path(digest);
        if !path.exists() {
            return None;
        }
        // SAFETY: files in this directory are written only by `store` below, from
        // `Component::serialize` of an engine with the same compatibility hash, and are
        // renamed into place whole. Deserialization checks the engine settings again.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unusable compiled component; recompiling");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Keep `component`'s compiled form for next time. Failures are logged, not fatal.
    pub(crate) fn store(&self, digest: &Digest, component: &Component) {
        let result = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                let mut tmp =
                    tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
                tmp.write_all(&bytes).map_err(|e| e.to_string())?;
                tmp.persist(self.path(digest)).map_err(|e| e.to_string())?;
                Ok(())
            });
        if let Err(e) = result {
            tracing::warn!(digest = %digest, error = %e, "could not keep compiled component");
        }
    }
}
