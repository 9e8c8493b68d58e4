//! A compiler of components: an engine, the world's linker on it, its disk cache and the
//! shared libraries it has compiled.

use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Module};

use crate::bindings::{v0_1, v0_2, v0_3, v0_4, v0_5, v0_6};
use crate::cache::{DiskCache, Entry};
use crate::component::Pre;
use crate::config::RuntimeConfig;
use crate::digest::Digest;
use crate::engine::EpochTicker;
use crate::error::LoadError;
use crate::libraries::{self, Library, Parts};
use crate::run::error_chain;
use crate::sandbox::HostState;

/// One compiler: its engine, a linker of the world on it, its disk cache, the shared
/// libraries it has compiled, and the epoch clock behind its timeouts.
pub(crate) struct Compiler {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) cache: Option<DiskCache>,
    libraries: libraries::Compiled,
    _ticker: EpochTicker,
}

/// A component's compiled code: the component, and the libraries it imports with their
/// import names.
pub(crate) struct Compiled {
    component: Component,
    libraries: Vec<(String, Module)>,
    /// For the rest of a split component, the key of its libraries (see `Parts`).
    split: Option<String>,
    /// The libraries compiled for it, by digest, not kept yet (see `Compiler::keep`).
    fresh: Vec<(Digest, Module)>,
}

impl Compiled {
    /// How many shared libraries its code imports.
    pub(crate) fn library_count(&self) -> usize {
        self.libraries.len()
    }

    /// How many of those were compiled for it; the others were at hand.
    pub(crate) fn libraries_compiled(&self) -> usize {
        self.fresh.len()
    }
}

impl Compiler {
    /// A compiler on `engine`, caching under `config.cache_dir` when `cached`.
    pub(crate) fn new(
        engine: Engine,
        config: &RuntimeConfig,
        cached: bool,
    ) -> Result<Compiler, String> {
        let linker = crate::host::link(&engine).map_err(|e| error_chain(&e))?;
        let cache = match (&config.cache_dir, cached) {
            (Some(dir), true) => Some(
                DiskCache::open(dir, &engine, config.cache_max_bytes)
                    .map_err(|e| format!("cache directory {}: {e}", dir.display()))?,
            ),
            _ => None,
        };
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick)
            .map_err(|e| format!("starting the epoch thread: {e}"))?;
        Ok(Compiler {
            engine,
            linker,
            cache,
            libraries: libraries::Compiled::default(),
            _ticker: ticker,
        })
    }

    /// The compiled library `library`, from memory or the disk cache.
    fn library(&self, library: &Library<'_>) -> Option<Module> {
        if let Some(module) = self.libraries.get(&library.digest) {
            return Some(module);
        }
        let module = self
            .cache
            .as_ref()?
            .load_library(&self.engine, library.digest)?;
        Some(self.libraries.keep(library.digest, module))
    }

    /// Whether library `library` is compiled, in memory or the disk cache.
    pub(crate) fn has_library(&self, library: &Library<'_>) -> bool {
        self.libraries.get(&library.digest).is_some()
            || self
                .cache
                .as_ref()
                .is_some_and(|cache| cache.has_library(library.digest))
    }

    /// The code of `parts`, if all of it is compiled already: the component in the disk
    /// cache, its libraries in memory or the disk cache.
    pub(crate) fn cached(&self, parts: &Parts<'_>, digest: &Digest) -> Option<Compiled> {
        let cache = self.cache.as_ref()?;
        let entry = if parts.is_split() {
            Entry::Rest(*digest, parts.libraries_key())
        } else {
            Entry::Component(*digest)
        };
        let libraries = parts
            .libraries
            .iter()
            .map(|library| Some((library.import.clone(), self.library(library)?)))
            .collect::<Option<Vec<_>>>()?;
        let component = cache.load(&self.engine, entry)?;
        Some(Compiled {
            component,
            libraries,
            split: parts.is_split().then(|| parts.libraries_key()),
            fresh: Vec::new(),
        })
    }

    /// Compile `parts`: the component, and each library not compiled yet. A component that
    /// does not compile once split is compiled whole, so that splitting never costs a
    /// component that compiles.
    pub(crate) fn compile(&self, parts: &Parts<'_>) -> Result<Compiled, LoadError> {
        if parts.is_split() {
            match self.compile_split(parts) {
                Ok(compiled) => return Ok(compiled),
                Err(e) => {
                    tracing::warn!(error = %e, "compiling the component whole: split, it did not compile");
                }
            }
        }
        Ok(Compiled {
            component: self.compile_bytes(parts.whole)?,
            libraries: Vec::new(),
            split: None,
            fresh: Vec::new(),
        })
    }

    fn compile_split(&self, parts: &Parts<'_>) -> Result<Compiled, LoadError> {
        // The rest first: a component refused for it costs no library compile (and is then
        // compiled whole, libraries included, by `compile`).
        let component = self.compile_bytes(&parts.component)?;
        // The libraries at once: each compile has stretches on one thread (reading the
        // module, laying out its code) that the others' fill.
        let compiled = parts
            .libraries
            .par_iter()
            .map(|library| match self.library(library) {
                Some(module) => Ok((module, false)),
                None => Module::new(&self.engine, library.bytes)
                    .map(|module| (module, true))
                    .map_err(|e| LoadError::InvalidComponent {
                        reason: format!("shared library {}: {}", library.import, error_chain(&e)),
                    }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut libraries = Vec::with_capacity(parts.libraries.len());
        let mut fresh = Vec::new();
        for (library, (module, compiled_now)) in parts.libraries.iter().zip(compiled) {
            if compiled_now {
                fresh.push((library.digest, module.clone()));
            }
            libraries.push((library.import.clone(), module));
        }
        Ok(Compiled {
            component,
            libraries,
            split: Some(parts.libraries_key()),
            fresh,
        })
    }

    /// Compile `bytes`.
    fn compile_bytes(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        Component::new(&self.engine, bytes).map_err(|e| LoadError::InvalidComponent {
            reason: error_chain(&e),
        })
    }

    /// Keep `compiled`, the code of component `digest`, once it has linked: the libraries
    /// compiled for it in memory, and everything in the disk cache. A component refused
    /// leaves nothing behind. Whether the disk cache now holds the component's code.
    pub(crate) fn keep(&self, digest: &Digest, compiled: &Compiled) -> bool {
        for (digest, module) in &compiled.fresh {
            let module = self.libraries.keep(*digest, module.clone());
            if let Some(cache) = &self.cache {
                cache.store(Entry::Library(*digest), module.serialize());
            }
        }
        let Some(cache) = &self.cache else {
            return false;
        };
        let entry = match &compiled.split {
            Some(key) => Entry::Rest(*digest, key.clone()),
            None => Entry::Component(*digest),
        };
        cache.store(entry, compiled.component.serialize())
    }

    /// Link `compiled` against the world version it was built for, newest first: a
    /// component that fits none is told why it does not fit the current one.
    pub(crate) fn link(&self, compiled: &Compiled) -> Result<Pre, LoadError> {
        let not_a_dag = |e: wasmtime::Error| LoadError::NotADagComponent {
            reason: error_chain(&e),
        };
        let pre = if compiled.libraries.is_empty() {
            self.linker.instantiate_pre(&compiled.component)
        } else {
            // The world's linker, and the libraries under the names the rest imports them by.
            let mut linker = self.linker.clone();
            let mut root = linker.root();
            for (import, module) in &compiled.libraries {
                root.module(import, module).map_err(not_a_dag)?;
            }
            linker.instantiate_pre(&compiled.component)
        }
        .map_err(not_a_dag)?;
        match v0_6::DagPre::new(pre.clone()) {
            Ok(current) => Ok(Pre::V0_6(current)),
            Err(current) => {
                if let Ok(earlier) = v0_5::DagPre::new(pre.clone()) {
                    Ok(Pre::V0_5(earlier))
                } else if let Ok(earlier) = v0_4::DagPre::new(pre.clone()) {
                    Ok(Pre::V0_4(earlier))
                } else if let Ok(earlier) = v0_3::DagPre::new(pre.clone()) {
                    Ok(Pre::V0_3(earlier))
                } else if let Ok(earlier) = v0_2::DagPre::new(pre.clone()) {
                    Ok(Pre::V0_2(earlier))
                } else if let Ok(earlier) = v0_1::DagPre::new(pre) {
                    Ok(Pre::V0_1(earlier))
                } else {
                    Err(LoadError::NotADagComponent {
                        reason: error_chain(&current),
                    })
                }
            }
        }
    }
}
