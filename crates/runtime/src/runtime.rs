//! [`Runtime`]: loads DAG components and runs task attempts in fresh sandboxes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wasmtime::Engine;
use weft_egress::{AttemptEgress, Egress, Usage};
use weft_model::DagSpec;
use weft_model::egress::EgressRule;

use crate::call::{TaskHost, TaskOutcome, TaskReport, TaskRequest};
use crate::compiler::Compiler;
use crate::component::{Code, CodeSlot, CompileSource, DagComponent, Pre, SharedLibraries, Tier};
use crate::config::{Limits, RuntimeConfig};
use crate::convert::{self, Returned};
use crate::digest::Digest;
use crate::egress::secrets::SecretSource;
use crate::engine;
use crate::error::{LoadError, TaskFailure};
use crate::libraries::Parts;
use crate::loaded::Loaded;
use crate::log::{LiveLog, LogBuffer, TaskLog};
use crate::run::{self, error_chain};
use crate::sandbox::{self, Attempt, Grant, HostState};
use crate::tiers;

/// `$body` for the world version of component `$pre`, with `$p` its linked component and
/// `$wit` the module converting between that version's WIT types and Weft's.
macro_rules! each_world {
    ($pre:expr, |$p:ident, $wit:ident| $body:expr) => {
        match $pre {
            Pre::V0_6($p) => {
                use convert::v0_6 as $wit;
                $body
            }
            Pre::V0_5($p) => {
                use convert::v0_5 as $wit;
                $body
            }
            Pre::V0_4($p) => {
                use convert::v0_4 as $wit;
                $body
            }
            Pre::V0_3($p) => {
                use convert::v0_3 as $wit;
                $body
            }
            Pre::V0_2($p) => {
                use convert::v0_2 as $wit;
                $body
            }
            Pre::V0_1($p) => {
                use convert::v0_1 as $wit;
                $body
            }
        }
    };
}

/// Why a [`Runtime`] could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the WebAssembly runtime: {0}")]
pub struct RuntimeInitError(String);

/// The WebAssembly host of a process: its compilers (Cranelift, and Winch for a fast start
/// of large components), a cache of compiled components, and a fresh sandbox for every call.
pub struct Runtime {
    optimized: Arc<Compiler>,
    baseline: Option<Compiler>,
    /// Where components on baseline code go to be optimized, when they are.
    optimizer: Option<Mutex<std::sync::mpsc::Sender<tiers::Job>>>,
    loaded: Loaded<DagComponent>,
    config: RuntimeConfig,
    scratch_root: PathBuf,
    egress: Arc<Egress>,
    /// SQL connection pools, shared by the attempts that open the same connection.
    sql_pools: Arc<weft_sql::Pools>,
    /// Sandboxes held at once: as many as the instance pool has room for.
    slots: crate::slots::Slots,
}

impl Runtime {
    /// A runtime set up as `config` says.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeInitError> {
        if config.epoch_tick < std::time::Duration::from_micros(100) {
            return Err(RuntimeInitError(format!(
                "epoch tick {:?} is too short: at least 100µs",
                config.epoch_tick
            )));
        }
        let engine = engine::build(&config).map_err(|e| RuntimeInitError(error_chain(&e)))?;
        let optimized = Arc::new(Compiler::new(engine, &config, true).map_err(RuntimeInitError)?);
        let baseline = tiers::baseline(&config).map_err(RuntimeInitError)?;
        let optimizer = match &baseline {
            Some(baseline) if config.optimize_baseline => Some(Mutex::new(
                tiers::optimizer(optimized.clone(), baseline.cache.clone())
                    .map_err(RuntimeInitError)?,
            )),
            _ => None,
        };
        let tls = config
            .egress
            .tls_config()
            .map_err(|e| RuntimeInitError(format!("egress policy: {e}")))?;
        let egress = Egress::new(config.egress.allowed.clone(), tls);
        let scratch_root = config
            .scratch_root
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        let sql_pools = Arc::new(weft_sql::Pools::trusting(
            config.egress.trust.extra_pem().map(<[u8]>::to_vec),
        ));
        let slots = crate::slots::Slots::new(config.max_concurrent_instances);
        Ok(Runtime {
            slots,
            optimized,
            baseline,
            optimizer,
            loaded: Loaded::new(config.max_loaded_components),
            config,
            scratch_root,
            egress: Arc::new(egress),
            sql_pools,
        })
    }

    /// The runtime's settings.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// How many SQL connection pools the runtime keeps: one per connection content.
    pub fn sql_pool_count(&self) -> usize {
        self.sql_pools.count()
    }

    /// Load a component: check it is one, compile it (or take it from the cache), link it
    /// against the `weft:dag` world, run `describe` in the sandbox and validate the DAG.
    /// A component already loaded by this runtime is returned at once. A large component
    /// whose optimized code is not in the cache starts on baseline code (from the cache, or
    /// compiled now), replaced by optimized code once compiled in the background (see
    /// [`RuntimeConfig::baseline_min_bytes`]).
    #[tracing::instrument(level = "debug", skip_all, fields(bytes = bytes.len()))]
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<DagComponent>, LoadError> {
        let digest = Digest::of(bytes);
        if let Some(loaded) = self.loaded(&digest) {
            return Ok(loaded);
        }
        check_header(bytes)?;
        let started = Instant::now();
        let parts = Parts::of(bytes);
        let optimized = &self.optimized;
        let cached = optimized.cached(&parts, &digest);
        let to_compile = parts.to_compile(|library| optimized.has_library(library));
        let baseline = self
            .baseline
            .as_ref()
            .filter(|_| cached.is_none() && tiers::starts_on_baseline(&self.config, to_compile));
        // Winch refuses a few proposals Cranelift compiles (tail calls, exceptions): such a
        // component is compiled by Cranelift, as if it were small. One that compiles but fits
        // no world is refused at once, without a second compile.
        // A process that ends before the optimized code is compiled (`wfctl run`, `test`)
        // finds the baseline code the last one kept.
        let on_baseline = match (&cached, baseline) {
            (None, Some(baseline)) => match baseline.cached(&parts, &digest) {
                Some(compiled) => Some((
                    baseline.link(&compiled)?,
                    compiled,
                    CompileSource::DiskCache,
                )),
                None => match baseline.compile(&parts) {
                    Ok(compiled) => {
                        let pre = baseline.link(&compiled)?;
                        baseline.keep(&digest, &compiled);
                        Some((pre, compiled, CompileSource::Baseline))
                    }
                    Err(e) => {
                        tracing::debug!(%digest, error = %e, "the baseline compiler refused it; compiling with Cranelift");
                        None
                    }
                },
            },
            _ => None,
        };
        let (code, source, compiled) = match (cached, on_baseline) {
            (Some(compiled), _) => (
                Code {
                    pre: optimized.link(&compiled)?,
                    tier: Tier::Optimized,
                },
                CompileSource::DiskCache,
                compiled,
            ),
            (None, Some((pre, compiled, source))) => (
                Code {
                    pre,
                    tier: Tier::Baseline,
                },
                source,
                compiled,
            ),
            (None, None) => {
                let compiled = optimized.compile(&parts)?;
                // Kept once it links: a component refused here leaves no code in the cache.
                let pre = optimized.link(&compiled)?;
                // Baseline code an earlier process kept (before this one's libraries were
                // compiled, say) is never loaded again.
                if optimized.keep(&digest, &compiled)
                    && let Some(cache) = self.baseline.as_ref().and_then(|b| b.cache.as_ref())
                {
                    cache.forget(&digest);
                }
                (
                    Code {
                        pre,
                        tier: Tier::Optimized,
                    },
                    CompileSource::Compiled,
                    compiled,
                )
            }
        };
        let libraries = SharedLibraries {
            imported: compiled.library_count(),
            compiled: compiled.libraries_compiled(),
        };
        let compile_time = started.elapsed();
        let spec = self.describe(&code).map_err(LoadError::Describe)?;
        let dag = spec.clone().validate()?;
        let describe_time = started.elapsed().saturating_sub(compile_time);
        let tier = code.tier;
        tracing::debug!(%digest, dag_id = dag.id(), ?source, ?compile_time, ?describe_time, ?libraries, "component loaded");
        let component = Arc::new(DagComponent {
            digest,
            code: CodeSlot::new(code),
            spec,
            egress_rules: crate::component::egress_rules(&dag),
            dag: Arc::new(dag),
            size: bytes.len(),
            compile_time,
            source,
            libraries,
        });
        // Two loads of one digest at once: the first to finish is kept, and only it is
        // optimized.
        let kept = self.loaded.keep(digest, component.clone());
        if !Arc::ptr_eq(&kept, &component) {
            return Ok(kept);
        }
        if tier == Tier::Baseline
            && let Some(optimizer) = &self.optimizer
        {
            // Counted before it is sent, so that the optimizing thread's decrement never
            // comes first.
            let optimizing = &weft_metrics::metrics().components_optimizing;
            optimizing.inc();
            let sent = optimizer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .send((component.clone(), bytes.to_vec()));
            if sent.is_err() {
                optimizing.dec();
                tracing::warn!(%digest, "the optimizing thread is gone; tasks keep running baseline code");
            }
        }
        Ok(component)
    }

    /// The engine that runs code of `tier`.
    fn engine(&self, tier: Tier) -> &Engine {
        match (tier, &self.baseline) {
            (Tier::Baseline, Some(baseline)) => &baseline.engine,
            _ => &self.optimized.engine,
        }
    }

    /// How many components this runtime keeps loaded (see
    /// [`RuntimeConfig::max_loaded_components`]).
    pub fn loaded_count(&self) -> usize {
        self.loaded.len()
    }

    /// A component this runtime has already loaded.
    pub fn loaded(&self, digest: &Digest) -> Option<Arc<DagComponent>> {
        self.loaded.get(digest)
    }

    /// An egress for one call: the task's rules (none in `describe`) and its tenant's, fresh
    /// counters.
    fn attempt_egress(
        &self,
        task_rules: Arc<[EgressRule]>,
        tenant_rules: Option<Arc<[EgressRule]>>,
        log: &LogBuffer,
        secrets: SecretSource,
        deadline: Instant,
    ) -> AttemptEgress {
        AttemptEgress {
            egress: self.egress.clone(),
            task_rules,
            tenant_rules,
            usage: Arc::new(Usage::new(self.config.egress.limits, Arc::new(log.clone()))),
            secrets: Arc::new(secrets),
            deadline,
        }
    }

    fn describe(&self, code: &Code) -> Result<DagSpec, TaskFailure> {
        let limits = Limits::DESCRIBE;
        let log = LogBuffer::new(limits.log_bytes);
        let deadline = sandbox::deadline(&limits);
        let secrets = SecretSource::new(None, Vec::new(), log.clone());
        let egress = self.attempt_egress(Arc::from([]), None, &log, secrets, deadline);
        let state = HostState::new(limits, None, &[], log, egress)?;
        let tick = self.config.epoch_tick;
        let engine = self.engine(code.tier);
        let _slot = self.slots.take();
        let (result, _) = each_world!(&code.pre, |pre, wit| run::call(
            engine,
            tick,
            state,
            |store| {
                let spec = pre.instantiate(&mut *store)?.call_describe(store)?;
                Ok(wit::spec_from_wit(spec))
            }
        ));
        result
    }

    /// Run one task attempt in a fresh sandbox. Never panics on anything the guest does:
    /// every failure is in the report's outcome.
    #[tracing::instrument(level = "debug", skip_all, fields(dag = %request.context.dag_id, task = %request.context.task_id, try_number = request.context.try_number))]
    pub fn run_task(&self, component: &DagComponent, request: TaskRequest) -> TaskReport {
        self.run_task_live(component, request, None)
    }

    /// [`run_task`](Self::run_task), with the log's lines handed to `live` as they are
    /// written.
    pub fn run_task_live(
        &self,
        component: &DagComponent,
        request: TaskRequest,
        live: Option<&LiveLog>,
    ) -> TaskReport {
        let started = Instant::now();
        let TaskRequest {
            context,
            upstream,
            worker,
            mut limits,
            tenant_egress,
            host,
        } = request;
        limits.memory_bytes = limits.memory_bytes.min(self.config.max_memory_bytes);
        let failed = |failure: TaskFailure| TaskReport {
            outcome: TaskOutcome::Failed(failure),
            log: TaskLog::default(),
            xcom: Vec::new(),
            asset_extras: Vec::new(),
            duration: started.elapsed(),
            fuel_used: None,
        };
        let Some(task) = component.dag.task(&context.task_id) else {
            return failed(TaskFailure::Error {
                retryable: false,
                message: format!(
                    "DAG {:?} has no task {:?}",
                    component.dag.id(),
                    context.task_id
                ),
            });
        };
        let directories = &task.resources.directories;
        if !directories.is_empty() && !self.config.allow_directories {
            return failed(TaskFailure::Error {
                retryable: false,
                message: format!(
                    "task {:?} asks for directories, which this host's policy does not grant",
                    task.id
                ),
            });
        }
        let mut scratch = Vec::with_capacity(directories.len());
        for dir in directories {
            match tempfile::Builder::new()
                .prefix("weft-scratch-")
                .tempdir_in(&self.scratch_root)
            {
                Ok(tmp) => scratch.push(tmp),
                Err(e) => {
                    return failed(TaskFailure::Internal(format!(
                        "making a scratch directory for {}: {e}",
                        dir.guest_path
                    )));
                }
            }
        }
        let grants: Vec<Grant<'_>> = directories
            .iter()
            .zip(&scratch)
            .map(|(dir, tmp)| Grant {
                host_path: tmp.path(),
                guest_path: &dir.guest_path,
                writable: dir.writable,
            })
            .collect();
        let log = LogBuffer::new(limits.log_bytes);
        if let Some(live) = live {
            live.attach(&log);
        }
        let deadline = sandbox::deadline(&limits);
        let secrets = SecretSource::new(
            Some(host.clone() as Arc<dyn TaskHost>),
            task.resources.secrets.clone(),
            log.clone(),
        );
        let task_rules = component
            .egress_rules
            .get(&task.id)
            .cloned()
            .unwrap_or_else(|| Arc::from([]));
        let egress =
            self.attempt_egress(task_rules, tenant_egress, &log, secrets.clone(), deadline);
        let usage = egress.usage.clone();
        let attempt = Attempt {
            context: context.clone(),
            worker,
            host,
            dag: component.dag.clone(),
            secrets,
            pushes: Vec::new(),
            pushed_bytes: 0,
            trigger_calls: 0,
            asset_extras: Vec::new(),
        };
        let mut state = match HostState::new(limits, Some(attempt), &grants, log.clone(), egress) {
            Ok(state) => state,
            Err(failure) => return failed(failure),
        };
        let sql_usage = Arc::new(weft_sql::SqlUsage::new(
            self.config.egress.sql,
            Arc::new(log.clone()),
        ));
        state.scratch = crate::host::scratch::ScratchQuota::new(self.config.scratch_max_bytes);
        state.sql = Some(crate::sandbox::SqlAttempt {
            pools: self.sql_pools.clone(),
            usage: sql_usage.clone(),
        });
        let tick = self.config.epoch_tick;
        // The code current when the attempt starts runs it to its end, even if optimized code
        // replaces it meanwhile.
        let code = component.code.current();
        let engine = self.engine(code.tier);
        let _slot = self.slots.take();
        let (result, end) = each_world!(&code.pre, |pre, wit| {
            let wit_context = wit::context_to_wit(&context);
            let wit_upstream = wit::upstream_to_wit(upstream);
            run::call(engine, tick, state, |store| {
                let instantiating = Instant::now();
                let instance = pre.instantiate(&mut *store)?;
                weft_metrics::metrics()
                    .sandbox_instantiate_seconds
                    .observe(instantiating.elapsed().as_secs_f64());
                let result = instance.call_run_task(store, &wit_context, &wit_upstream)?;
                Ok(wit::returned(result))
            })
        });
        // What the task says is stored and shown: secret values are masked in it too, and it
        // is made fit to store (bounded with room for what the host adds to it, no NUL).
        let said = |text: String| {
            use weft_model::message::{HOST_ROOM_BYTES, MAX_MESSAGE_BYTES, storable_within};
            storable_within(log.redact(&text), MAX_MESSAGE_BYTES - HOST_ROOM_BYTES)
        };
        let outcome = match result {
            Ok(Returned::Output(output)) if output.len() > limits.output_bytes => {
                TaskOutcome::Failed(TaskFailure::OutputTooLarge {
                    size: output.len(),
                    limit: limits.output_bytes,
                })
            }
            Ok(Returned::Output(output)) => TaskOutcome::Success(output),
            Ok(Returned::Skip(reason)) => TaskOutcome::Skipped(said(reason)),
            Ok(Returned::Reschedule(delay_ms)) => {
                TaskOutcome::Rescheduled(delay_ms.map(std::time::Duration::from_millis))
            }
            Ok(Returned::Retryable(message)) => TaskOutcome::Failed(TaskFailure::Error {
                retryable: true,
                message: said(message),
            }),
            Ok(Returned::Permanent(message)) => TaskOutcome::Failed(TaskFailure::Error {
                retryable: false,
                message: said(message),
            }),
            Ok(Returned::Defer { until, resume }) => {
                // A wait is stored and shown as the task gave it: it may hold no secret and
                // only so much text.
                let texts = until.texts();
                let size: usize = texts.iter().map(|t| t.len()).sum();
                if size > weft_model::orchestration::MAX_WAIT_TEXT {
                    TaskOutcome::Failed(TaskFailure::Error {
                        retryable: false,
                        message: format!(
                            "the task deferred with a wait of {size} bytes of text, more than {}",
                            weft_model::orchestration::MAX_WAIT_TEXT
                        ),
                    })
                } else if texts.iter().any(|t| log.redact(t) != *t) {
                    TaskOutcome::Failed(TaskFailure::Error {
                        retryable: false,
                        message: "the task deferred with a wait that holds a secret value".into(),
                    })
                } else {
                    TaskOutcome::Deferred { until, resume }
                }
            }
            Err(failure) => TaskOutcome::Failed(failure),
        };
        let outcome = match outcome {
            TaskOutcome::Failed(failure)
                if let Some(denial) = usage.first_denial().or_else(|| sql_usage.first_denial()) =>
            {
                TaskOutcome::Failed(TaskFailure::EgressDenied {
                    denial,
                    failure: Box::new(failure),
                })
            }
            other => other,
        };
        drop(scratch);
        // A failed attempt's pushes are dropped: a retry and downstream tasks never see them;
        // only a success gives its outlets events.
        let (xcom, asset_extras) = match (&outcome, end.state.attempt) {
            (TaskOutcome::Failed(_), _) | (_, None) => (Vec::new(), Vec::new()),
            (TaskOutcome::Success(_), Some(a)) => (a.pushes, a.asset_extras),
            (_, Some(a)) => (a.pushes, Vec::new()),
        };
        TaskReport {
            outcome,
            log: end.state.log.finish(),
            xcom,
            asset_extras,
            duration: started.elapsed(),
            fuel_used: end.fuel_used,
        }
    }
}

/// Reject bytes that are not a component before handing them to the compiler, with a
/// message that says what they are instead.
fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_VERSION: [u8; 4] = [1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(LoadError::InvalidComponent {
            reason: format!(
                "not a WebAssembly binary ({} bytes without the \\0asm header)",
                bytes.len()
            ),
        });
    }
    if bytes[4..8] == CORE_VERSION {
        return Err(LoadError::InvalidComponent {
            reason: "this is a core WebAssembly module, not a component: build it for the wasm32-wasip2 target".into(),
        });
    }
    Ok(())
}
