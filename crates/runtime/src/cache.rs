//! Compiled components and shared libraries on disk, keyed by the engine's compatibility and
//! their digests, so that each is compiled once per machine. The files under one root are
//! kept under a size bound, the least recently used going first (`evict`).

mod evict;

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use crate::digest::Digest;

/// A directory of precompiled components for one engine configuration.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    /// Where every engine's directory is: the bound covers them all, so an engine of an
    /// earlier version leaves its code to be evicted first.
    root: PathBuf,
    /// This engine's directory.
    dir: PathBuf,
    /// The most the files under `root` may hold, in bytes.
    max_bytes: u64,
}

/// What one file of the cache holds.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// A component compiled whole.
    Component(Digest),
    /// The rest of a component whose shared libraries were taken out, with the key of those
    /// libraries: the rest imports them by position, so a rest is only good for the same.
    Rest(Digest, String),
    /// A shared library.
    Library(Digest),
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
    /// The cache for `engine` under `root`, which is made if missing. The engine's own
    /// directory is made when it first keeps code, so that an engine that never compiles
    /// (the baseline compiler of a process whose components are all small) leaves none.
    /// Its files are kept under `max_bytes`.
    pub(crate) fn open(root: &Path, engine: &Engine, max_bytes: u64) -> std::io::Result<DiskCache> {
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let key = hex::encode(&hasher.0.finalize()[..16]);
        std::fs::create_dir_all(root)?;
        Ok(DiskCache {
            root: root.to_owned(),
            dir: root.join(key),
            max_bytes,
        })
    }

    fn path(&self, entry: Entry) -> PathBuf {
        self.dir.join(match entry {
            Entry::Component(digest) => format!("{}.cwasm", digest.hex()),
            Entry::Rest(digest, libraries) => format!("{}.rest-{libraries}.cwasm", digest.hex()),
            Entry::Library(digest) => format!("library-{}.cwasm", digest.hex()),
        })
    }

    /// The precompiled component (whole, or its rest) `entry`, if this cache holds a usable
    /// one.
    pub(crate) fn load(&self, engine: &Engine, entry: Entry) -> Option<Component> {
        // SAFETY: files in this directory are written only by `store` below, from
        // `serialize` of an engine with the same compatibility hash, and are renamed into
        // place whole. Deserialization checks the engine settings again.
        #[allow(unsafe_code)]
        self.read(entry, |path| unsafe {
            Component::deserialize_file(engine, path)
        })
    }

    /// The precompiled library `digest`, if this cache holds a usable one.
    pub(crate) fn load_library(&self, engine: &Engine, digest: Digest) -> Option<Module> {
        // SAFETY: as in `load`.
        #[allow(unsafe_code)]
        self.read(Entry::Library(digest), |path| unsafe {
            Module::deserialize_file(engine, path)
        })
    }

    /// Whether the cache holds library `digest` (usable or not: `load_library` says).
    pub(crate) fn has_library(&self, digest: Digest) -> bool {
        self.path(Entry::Library(digest)).exists()
    }

    fn read<T>(
        &self,
        entry: Entry,
        deserialize: impl FnOnce(&Path) -> wasmtime::Result<T>,
    ) -> Option<T> {
        let path = self.path(entry);
        let before = file_identity(&path)?;
        match deserialize(&path) {
            Ok(code) => {
                touch(&path);
                Some(code)
            }
            // Evicted, or replaced by another process's store, meanwhile: nothing to remove.
            Err(_) if file_identity(&path) != Some(before) => None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unusable compiled code; recompiling");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Keep the compiled code of `entry`, `serialized`, for next time; whether it was kept.
    /// Failures are logged, not fatal.
    pub(crate) fn store(&self, entry: Entry, serialized: wasmtime::Result<Vec<u8>>) -> bool {
        let path = self.path(entry);
        let result = serialized.map_err(|e| e.to_string()).and_then(|bytes| {
            std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
            let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| e.to_string())?;
            tmp.write_all(&bytes).map_err(|e| e.to_string())?;
            tmp.persist(&path).map_err(|e| e.to_string())?;
            Ok(())
        });
        match result {
            Ok(()) => {
                evict::keep_under(&self.root, self.max_bytes, &path);
                true
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not keep compiled code");
                false
            }
        }
    }

    /// Remove what this cache holds of component `digest` (whole, or its rest for any
    /// libraries), leaving the shared libraries: once a component's optimized code is kept,
    /// its baseline code is never loaded again.
    pub(crate) fn forget(&self, digest: &Digest) {
        let hex = digest.hex();
        let Ok(files) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for file in files.flatten() {
            let name = file.file_name();
            let name = name.to_string_lossy();
            let Some(after) = name.strip_prefix(hex.as_str()) else {
                continue;
            };
            if after == ".cwasm" || (after.starts_with(".rest-") && after.ends_with(".cwasm")) {
                match std::fs::remove_file(file.path()) {
                    Ok(()) => {
                        tracing::debug!(path = %file.path().display(), "baseline code removed: the optimized code is kept")
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(path = %file.path().display(), error = %e, "could not remove code no longer used")
                    }
                }
            }
        }
    }
}

/// What tells one file at `path` from another put there later (a store renames a whole new
/// file into place): its size and modification time; `None` when there is no file.
fn file_identity(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// Mark the file at `path` as used now, so that eviction takes it last. Best effort: a cache
/// this process may read but not write keeps the time it had.
fn touch(path: &Path) {
    let touched = std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(SystemTime::now()));
    if let Err(e) = touched {
        tracing::debug!(path = %path.display(), error = %e, "could not mark compiled code as used");
    }
}
