//! The process-wide wasmtime engine and the epoch clock behind wall-clock limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
    RegallocAlgorithm, WasmBacktraceDetails,
};

use crate::config::RuntimeConfig;

/// Regions (memories, tables) of freed instances whose pages go back to the kernel together.
const DECOMMIT_BATCH: usize = 64;

/// Most core instances, memories and tables one component may make: the pool's caps, and the
/// store limiter's (see `sandbox.rs`), on the code of either compiler.
pub(crate) const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 128;
pub(crate) const MAX_MEMORIES_PER_COMPONENT: u32 = 16;
pub(crate) const MAX_TABLES_PER_COMPONENT: u32 = 64;

/// The engine of optimized code: Cranelift, with fuel, epoch interruption and the pooling
/// allocator, sized by `config`.
pub(crate) fn build(config: &RuntimeConfig) -> wasmtime::Result<Engine> {
    build_with(config, wasmtime::Strategy::Cranelift, |_| {})
}

/// The engine of baseline code: Winch, which compiles several times faster than Cranelift
/// and gives slower code, with the same fuel, epoch interruption and pool, so that every
/// limit is the same on both.
///
/// Cranelift still compiles a baseline component's trampolines: one for each function the
/// host may call, which in a bundled interpreter is every function it exports or puts in a
/// table (thousands in CPython). They live only until the optimized code replaces them, so
/// they are compiled with no optimization passes and the single-pass register allocator: a
/// Python DAG's baseline compile takes about a fifth less time.
pub(crate) fn build_baseline(config: &RuntimeConfig) -> wasmtime::Result<Engine> {
    build_with(config, wasmtime::Strategy::Winch, |wasm| {
        wasm.cranelift_opt_level(OptLevel::None)
            .cranelift_regalloc_algorithm(RegallocAlgorithm::SinglePass);
    })
}

fn build_with(
    config: &RuntimeConfig,
    strategy: wasmtime::Strategy,
    tune: impl FnOnce(&mut Config),
) -> wasmtime::Result<Engine> {
    let instances = config.max_concurrent_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        // A component holds several core instances (its module, shims, adapters); Python ones more.
        .total_core_instances(instances.saturating_mul(32))
        .total_memories(instances.saturating_mul(4))
        .total_tables(instances.saturating_mul(8))
        .max_memory_size(usize::try_from(config.max_memory_bytes).unwrap_or(usize::MAX))
        // One component may not take the whole pool (Python components use a dozen modules).
        .max_core_instances_per_component(MAX_CORE_INSTANCES_PER_COMPONENT)
        .max_memories_per_component(MAX_MEMORIES_PER_COMPONENT)
        .max_tables_per_component(MAX_TABLES_PER_COMPONENT)
        // A freed instance's pages go back to the kernel (so the next one in its slot starts
        // from the initial image, whatever the last task left) in batches: one
        // `process_madvise` call, and on recent kernels one TLB shoot-down on the other cores,
        // for many instances instead of one each. A slot waiting in a batch is not handed out;
        // when every slot is waiting, the batch goes at once.
        .decommit_batch_size(DECOMMIT_BATCH);

    let mut wasm = Config::new();
    wasm.strategy(strategy)
        // A trap's backtrace names the guest's functions only. Left to the environment
        // (`WASMTIME_BACKTRACE_DETAILS`, wasmtime's default), a worker would parse each
        // component's DWARF (hundreds of MB for a large one) and show build paths to tasks.
        .wasm_backtrace_details(WasmBacktraceDetails::Disable)
        .consume_fuel(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    tune(&mut wasm);
    Engine::new(&wasm)
}

/// A thread that advances the engine's epoch every tick, so that deadlines expressed in ticks
/// interrupt running guests. Stops when dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    pub(crate) fn start(engine: Engine, tick: Duration) -> std::io::Result<EpochTicker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("weft-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
