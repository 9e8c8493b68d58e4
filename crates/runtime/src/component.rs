//! A loaded DAG component: compiled, linked, described and validated.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use weft_model::egress::EgressRule;
use weft_model::{Dag, DagSpec};

use crate::bindings::{v0_1, v0_2, v0_3, v0_4, v0_5, v0_6};
use crate::digest::Digest;
use crate::sandbox::HostState;

/// Where a component's compiled code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompileSource {
    /// Compiled now, with Cranelift.
    Compiled,
    /// Compiled now by the baseline compiler (Winch); Cranelift's optimized code replaces it
    /// once compiled in the background.
    Baseline,
    /// Loaded from the on-disk cache of precompiled components: optimized code, or baseline
    /// code (see [`DagComponent::tier`]) while no optimized code is there, replaced in turn.
    DiskCache,
}

/// A component linked against the world version it was built for.
pub(crate) enum Pre {
    /// `weft:dag@0.6.0`.
    V0_6(v0_6::DagPre<HostState>),
    /// `weft:dag@0.5.0`.
    V0_5(v0_5::DagPre<HostState>),
    /// `weft:dag@0.4.0`.
    V0_4(v0_4::DagPre<HostState>),
    /// `weft:dag@0.3.0`.
    V0_3(v0_3::DagPre<HostState>),
    /// `weft:dag@0.2.0`.
    V0_2(v0_2::DagPre<HostState>),
    /// `weft:dag@0.1.0`.
    V0_1(v0_1::DagPre<HostState>),
}

impl Pre {
    /// The world version, as `0.2.0`.
    pub(crate) fn version(&self) -> &'static str {
        match self {
            Pre::V0_6(_) => "0.6.0",
            Pre::V0_5(_) => "0.5.0",
            Pre::V0_4(_) => "0.4.0",
            Pre::V0_3(_) => "0.3.0",
            Pre::V0_2(_) => "0.2.0",
            Pre::V0_1(_) => "0.1.0",
        }
    }
}

/// Which compiler's code a component runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Winch's, while Cranelift's is being compiled.
    Baseline,
    /// Cranelift's.
    Optimized,
}

/// A component's code, linked: what a task attempt instantiates, and the tier whose engine
/// runs it.
pub(crate) struct Code {
    pub(crate) pre: Pre,
    pub(crate) tier: Tier,
}

/// The code a component runs now; its baseline code is replaced once, by optimized code.
pub(crate) struct CodeSlot {
    code: Mutex<Arc<Code>>,
    upgraded: Condvar,
}

impl CodeSlot {
    pub(crate) fn new(code: Code) -> CodeSlot {
        CodeSlot {
            code: Mutex::new(Arc::new(code)),
            upgraded: Condvar::new(),
        }
    }

    /// The code to run now.
    pub(crate) fn current(&self) -> Arc<Code> {
        self.code
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replace the code with `code`; the attempts running keep the code they started with.
    pub(crate) fn replace(&self, code: Code) {
        *self
            .code
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(code);
        self.upgraded.notify_all();
    }

    /// Wait up to `timeout` for optimized code; whether it is there.
    fn wait_optimized(&self, timeout: Duration) -> bool {
        let code = self
            .code
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (code, _) = self
            .upgraded
            .wait_timeout_while(code, timeout, |code| code.tier == Tier::Baseline)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        code.tier == Tier::Optimized
    }
}

/// A component ready to run tasks: its code is compiled and linked once, and each task
/// attempt gets a fresh instance.
pub struct DagComponent {
    pub(crate) digest: Digest,
    pub(crate) code: CodeSlot,
    pub(crate) spec: DagSpec,
    pub(crate) dag: Arc<Dag>,
    /// Each task's egress rules, parsed once (validation has checked them).
    pub(crate) egress_rules: HashMap<String, Arc<[EgressRule]>>,
    pub(crate) size: usize,
    pub(crate) compile_time: Duration,
    pub(crate) source: CompileSource,
    pub(crate) libraries: SharedLibraries,
}

/// The shared libraries a component's code imports (see `libraries.rs`), when it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedLibraries {
    /// How many its code imports: the libraries taken out of it and compiled on their own.
    pub imported: usize,
    /// How many of those were compiled to load it; the others were compiled already, in
    /// memory or in the disk cache.
    pub compiled: usize,
}

/// Each task's egress rules, parsed.
pub(crate) fn egress_rules(dag: &Dag) -> HashMap<String, Arc<[EgressRule]>> {
    dag.tasks()
        .iter()
        .filter(|t| !t.resources.egress_allowlist.is_empty())
        .map(|t| {
            let rules: Arc<[EgressRule]> = t
                .resources
                .egress_allowlist
                .iter()
                .filter_map(|r| r.parse().ok())
                .collect();
            (t.id.clone(), rules)
        })
        .collect()
}

impl DagComponent {
    /// The component's digest.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The validated DAG it describes.
    pub fn dag(&self) -> &Arc<Dag> {
        &self.dag
    }

    /// The spec exactly as `describe` returned it.
    pub fn spec(&self) -> &DagSpec {
        &self.spec
    }

    /// Size of the component in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How long compiling (or loading the compiled code) took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The version of the `weft:dag` world it was built against, as `0.2.0`.
    pub fn world_version(&self) -> &'static str {
        self.code.current().pre.version()
    }

    /// Which compiler's code its tasks run now.
    pub fn tier(&self) -> Tier {
        self.code.current().tier
    }

    /// Wait up to `timeout` for the optimized code of a component loaded with baseline code;
    /// whether its tasks now run optimized code.
    pub fn wait_optimized(&self, timeout: Duration) -> bool {
        self.code.wait_optimized(timeout)
    }

    /// Where the compiled code came from.
    pub fn compile_source(&self) -> CompileSource {
        self.source
    }

    /// The shared libraries its code imports, and how many were compiled to load it.
    pub fn shared_libraries(&self) -> SharedLibraries {
        self.libraries
    }
}

impl std::fmt::Debug for DagComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DagComponent")
            .field("digest", &self.digest)
            .field("dag_id", &self.dag.id())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}
