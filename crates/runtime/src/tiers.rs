//! The compilers a runtime has, and how a component moves from baseline to optimized code.
//!
//! Cranelift's code is what tasks should run, but Cranelift takes seconds to compile a
//! component that bundles an interpreter (an 18 MB Python DAG: about 8 s on two cores).
//! Winch, a baseline compiler, takes about a third of that. A large component that is not in
//! the disk cache is compiled by Winch first, so its DAG is described and its first tasks run
//! at once, while a thread compiles it with Cranelift, stores the result in the cache, and
//! swaps it in: attempts already running finish on the code they started with.

use std::sync::{Arc, mpsc};

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::bindings::{v0_1, v0_2, v0_3, v0_4, v0_5, v0_6};
use crate::cache::DiskCache;
use crate::component::{Code, DagComponent, Pre, Tier};
use crate::config::RuntimeConfig;
use crate::engine::{self, EpochTicker};
use crate::error::LoadError;
use crate::run::error_chain;
use crate::sandbox::HostState;

/// One compiler: its engine, a linker of the world on it, its disk cache, and the epoch
/// clock behind its timeouts.
pub(crate) struct Compiler {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) cache: Option<DiskCache>,
    _ticker: EpochTicker,
}

impl Compiler {
    /// A compiler on `engine`, caching under `config.cache_dir` when `cached`.
    pub(crate) fn new(
        engine: Engine,
        config: &RuntimeConfig,
        cached: bool,
    ) -> Result<Compiler, String> {
        let linker = crate::runtime::link(&engine).map_err(|e| error_chain(&e))?;
        let cache = match (&config.cache_dir, cached) {
            (Some(dir), true) => Some(
                DiskCache::open(dir, &engine)
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
            _ticker: ticker,
        })
    }

    /// Compile `bytes`.
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        Component::new(&self.engine, bytes).map_err(|e| LoadError::InvalidComponent {
            reason: error_chain(&e),
        })
    }

    /// Link `component` against the world version it was built for, newest first: a
    /// component that fits none is told why it does not fit the current one.
    pub(crate) fn link(&self, component: &Component) -> Result<Pre, LoadError> {
        let pre =
            self.linker
                .instantiate_pre(component)
                .map_err(|e| LoadError::NotADagComponent {
                    reason: error_chain(&e),
                })?;
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

/// The baseline compiler, where Winch generates code and `config` asks for one. An engine
/// that cannot be made leaves the runtime without one (every component then compiles with
/// Cranelift), not without a runtime.
pub(crate) fn baseline(config: &RuntimeConfig) -> Result<Option<Compiler>, String> {
    if config.baseline_min_bytes.is_none() || !cfg!(target_arch = "x86_64") {
        return Ok(None);
    }
    let engine = match engine::build_baseline(config) {
        Ok(engine) => engine,
        Err(e) => {
            tracing::warn!(error = %error_chain(&e), "no baseline compiler: every component compiles with Cranelift");
            return Ok(None);
        }
    };
    // Baseline code is never cached: the optimized code is, once compiled.
    Compiler::new(engine, config, false).map(Some)
}

/// What the optimizer is asked: a component on baseline code, and its bytes.
pub(crate) type Job = (Arc<DagComponent>, Vec<u8>);

/// One thread that compiles the components it is sent with `optimized`, one at a time (each
/// compile is parallel already), caches the code and gives it to the component. It ends when
/// the sender is dropped, with the runtime.
pub(crate) fn optimizer(optimized: Arc<Compiler>) -> Result<mpsc::Sender<Job>, String> {
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("weft-optimize".into())
        .spawn(move || {
            for (component, bytes) in jobs {
                upgrade(&optimized, &component, &bytes);
            }
        })
        .map_err(|e| format!("starting the optimizing thread: {e}"))?;
    Ok(sender)
}

/// Compile `bytes` with `optimized`, cache the code, and give it to `component`. A failure
/// (which Winch's success makes unlikely) is logged and leaves the baseline code in place.
fn upgrade(optimized: &Compiler, component: &DagComponent, bytes: &[u8]) {
    // The component leaves the count however this ends, a panic of the compiler included.
    let _counted = Optimizing;
    let digest = component.digest;
    let started = std::time::Instant::now();
    let linked = optimized.compile(bytes).and_then(|compiled| {
        if let Some(cache) = &optimized.cache {
            cache.store(&digest, &compiled);
        }
        optimized.link(&compiled)
    });
    match linked {
        Ok(pre) => {
            component.code.replace(Code {
                pre,
                tier: Tier::Optimized,
            });
            tracing::info!(%digest, compile_time = ?started.elapsed(), "optimized code in place");
        }
        Err(e) => {
            tracing::warn!(%digest, error = %e, "optimizing failed; tasks keep running baseline code");
        }
    }
}

/// A component counted in `components_optimizing` while its upgrade runs; dropping it takes
/// the component out of the count.
struct Optimizing;

impl Drop for Optimizing {
    fn drop(&mut self) {
        weft_metrics::metrics().components_optimizing.dec();
    }
}

/// Whether a component of `size` bytes, not in the cache, starts on baseline code.
pub(crate) fn starts_on_baseline(config: &RuntimeConfig, size: usize) -> bool {
    config.baseline_min_bytes.is_some_and(|min| size >= min)
}
