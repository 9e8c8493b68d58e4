//! The compilers a runtime has, and how a component moves from baseline to optimized code.
//!
//! Cranelift's code is what tasks should run, but Cranelift takes seconds to compile a
//! component that bundles an interpreter (an 18 MB Python DAG: about 8 s on two cores).
//! Winch, a baseline compiler, takes about a third of that. A large component that is not in
//! the disk cache is compiled by Winch first, so its DAG is described and its first tasks run
//! at once, while a thread compiles it with Cranelift, stores the result in the cache, and
//! swaps it in: attempts already running finish on the code they started with. Winch's code
//! is cached too: a process that ends before Cranelift's is ready (`wfctl run`, `wfctl test`)
//! leaves it to the next, which starts on it without compiling. A process that keeps
//! Cranelift's code removes Winch's; a process that never optimizes (the API server, which
//! only describes) leaves it to the cache's size bound.
//!
//! What counts as large is what is left to compile: a component's shared libraries that a
//! compiler has already (`libraries.rs`) do not count, so a second Python DAG, whose
//! interpreter is compiled, goes to Cranelift at once.

use std::sync::{Arc, mpsc};

use crate::cache::DiskCache;
use crate::compiler::Compiler;
use crate::component::{Code, DagComponent, Tier};
use crate::config::RuntimeConfig;
use crate::engine;
use crate::libraries::Parts;
use crate::run::error_chain;

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
    // Baseline code is cached too, under its engine's own key (Winch's settings differ from
    // Cranelift's): a process that ends before the optimized code is compiled leaves it to
    // the next one, which starts on it at once and is optimized in turn.
    Compiler::new(engine, config, true).map(Some)
}

/// What the optimizer is asked: a component on baseline code, and its bytes.
pub(crate) type Job = (Arc<DagComponent>, Vec<u8>);

/// One thread that compiles the components it is sent with `optimized`, one at a time, caches
/// the code and gives it to the component. It ends when the sender is dropped, with the
/// runtime.
///
/// Its compiles run on threads of their own, at a lower priority than the process's other
/// threads: compiling a Python DAG's interpreter takes seconds of every core, and on wasmtime's
/// shared pool it would hold up whatever else the process compiles meanwhile (a second DAG on
/// baseline code waited for the first one's optimized code), and take the cores from the
/// tasks running.
///
/// Once a component's optimized code is kept, its baseline code is removed from
/// `baseline_cache`: no process loads it again.
pub(crate) fn optimizer(
    optimized: Arc<Compiler>,
    baseline_cache: Option<DiskCache>,
) -> Result<mpsc::Sender<Job>, String> {
    let (sender, jobs) = mpsc::channel::<Job>();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
        .thread_name(|i| format!("weft-optimize-{i}"))
        .start_handler(|_| background_priority())
        .build()
        .map_err(|e| format!("starting the optimizing threads: {e}"))?;
    std::thread::Builder::new()
        .name("weft-optimize".into())
        .spawn(move || {
            background_priority();
            for (component, bytes) in jobs {
                pool.install(|| upgrade(&optimized, baseline_cache.as_ref(), &component, &bytes));
            }
        })
        .map_err(|e| format!("starting the optimizing thread: {e}"))?;
    Ok(sender)
}

/// How much lower than the thread that starts them the optimizing threads are scheduled, in
/// steps of nice value: 10 steps down, a busy thread gets about a ninth of the CPU time of one
/// at the higher priority.
pub const OPTIMIZER_NICENESS: i32 = 10;

/// Lower the calling thread's scheduling priority by [`OPTIMIZER_NICENESS`] (to 19 at most).
/// On Linux a thread has its own nice value, which `getpriority` and `setpriority` of "the
/// process" 0 read and set for the calling thread alone. Elsewhere, and when refused, the
/// thread keeps its priority.
fn background_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `getpriority` and `setpriority` take plain integers and touch no memory of
        // ours. A nice value is from -20 to 19, so -1 is a value as well as the failure: a
        // failure is seen in `setpriority`'s status.
        #[allow(unsafe_code)]
        let status = unsafe {
            let current = libc::getpriority(libc::PRIO_PROCESS, 0);
            libc::setpriority(
                libc::PRIO_PROCESS,
                0,
                (current + OPTIMIZER_NICENESS).min(19),
            )
        };
        if status != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "the optimizing thread keeps its priority");
        }
    }
}

/// Compile `bytes` with `optimized`, cache the code (removing the baseline code from
/// `baseline_cache`), and give it to `component`. A failure (which Winch's success makes
/// unlikely) is logged and leaves the baseline code in place.
fn upgrade(
    optimized: &Compiler,
    baseline_cache: Option<&DiskCache>,
    component: &DagComponent,
    bytes: &[u8],
) {
    // The component leaves the count however this ends, a panic of the compiler included.
    let _counted = Optimizing;
    let digest = component.digest;
    let started = std::time::Instant::now();
    let linked = optimized.compile(&Parts::of(bytes)).and_then(|compiled| {
        let pre = optimized.link(&compiled)?;
        if optimized.keep(&digest, &compiled)
            && let Some(cache) = baseline_cache
        {
            cache.forget(&digest);
        }
        Ok(pre)
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
