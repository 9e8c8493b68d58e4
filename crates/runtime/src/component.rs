//! A loaded DAG component: compiled, linked, described and validated.

use std::sync::Arc;
use std::time::Duration;

use weft_model::{Dag, DagSpec};

use crate::bindings::DagPre;
use crate::digest::Digest;
use crate::sandbox::HostState;

/// Where a component's compiled code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompileSource {
    /// Compiled now, with Cranelift.
    Compiled,
    /// Loaded from the on-disk cache of precompiled components.
    DiskCache,
}

/// A component ready to run tasks: its code is compiled and linked once, and each task
/// attempt gets a fresh instance.
pub struct DagComponent {
    pub(crate) digest: Digest,
    pub(crate) pre: DagPre<HostState>,
    pub(crate) spec: DagSpec,
    pub(crate) dag: Arc<Dag>,
    pub(crate) size: usize,
    pub(crate) compile_time: Duration,
    pub(crate) source: CompileSource,
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

    /// Where the compiled code came from.
    pub fn compile_source(&self) -> CompileSource {
        self.source
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
