//! Shared libraries: core modules that several components bundle byte for byte, compiled
//! once per machine and kept once in memory.
//!
//! A Python DAG bundles the interpreter and its C libraries as shared libraries (core modules
//! marked `dylink.0`, linked when the component is instantiated), the same in every DAG built
//! by one release of the toolchain: six of its seven megabytes of code. Wasmtime compiles a
//! component as a whole, so each new DAG compiled the interpreter again. Here each library
//! leaves the component before it is compiled and becomes an import of a core module: the
//! library is compiled on its own (or found compiled, in memory or in the disk cache, under
//! the digest of its bytes), and only the rest of the component is compiled for each DAG.
//!
//! Sharing is by content alone: a library's code is what compiling its bytes gives, whoever
//! sent them, and instances share no state through it.

mod module_type;
mod split;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use wasmtime::Module;

use crate::digest::Digest;

/// One shared library a component bundles.
pub(crate) struct Library<'a> {
    /// The name the rest of the component imports it under.
    pub(crate) import: String,
    /// The digest of its bytes: its identity, in memory and on disk.
    pub(crate) digest: Digest,
    /// The core module.
    pub(crate) bytes: &'a [u8],
    /// Bytes of code it has.
    pub(crate) code: usize,
}

/// What a component is compiled as: the component, or the rest of it and its libraries.
pub(crate) struct Parts<'a> {
    /// The whole component as it was deployed.
    pub(crate) whole: &'a [u8],
    /// What the compiler compiles as the component: the whole, or the rest.
    pub(crate) component: Cow<'a, [u8]>,
    /// The libraries taken out, in the order of their imports.
    pub(crate) libraries: Vec<Library<'a>>,
    /// Bytes of code in `component` when libraries were taken out.
    rest_code: usize,
}

impl<'a> Parts<'a> {
    /// `component`, with its shared libraries taken out when it has any.
    pub(crate) fn of(component: &'a [u8]) -> Parts<'a> {
        match split::split(component) {
            Ok(split) => Parts {
                whole: component,
                component: Cow::Owned(split.rest),
                libraries: split.libraries,
                rest_code: split.rest_code,
            },
            Err(whole) => {
                tracing::trace!(reason = %whole, "compiling the component whole");
                Parts::whole(component)
            }
        }
    }

    /// `component`, compiled whole.
    pub(crate) fn whole(component: &'a [u8]) -> Parts<'a> {
        Parts {
            whole: component,
            component: Cow::Borrowed(component),
            libraries: Vec::new(),
            rest_code: 0,
        }
    }

    /// What the rest of a split component's compiled code holds to: how the libraries were
    /// taken out (this scheme's version) and which, in the order of their imports; 16 hex
    /// digits of a sha256 over them.
    pub(crate) fn libraries_key(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(split::SCHEME.as_bytes());
        hasher.update(split::MIN_LIBRARY_CODE.to_le_bytes());
        for library in &self.libraries {
            hasher.update(library.import.as_bytes());
            hasher.update(library.digest.hex().as_bytes());
        }
        hex::encode(&hasher.finalize()[..8])
    }

    /// Whether libraries were taken out.
    pub(crate) fn is_split(&self) -> bool {
        !self.libraries.is_empty()
    }

    /// How much there is to compile when the libraries `have` says are compiled already: the
    /// size of a whole component, or the code of the rest and of the missing libraries.
    pub(crate) fn to_compile(&self, have: impl Fn(&Library<'_>) -> bool) -> usize {
        if !self.is_split() {
            return self.whole.len();
        }
        self.rest_code
            + self
                .libraries
                .iter()
                .filter(|library| !have(library))
                .map(|library| library.code)
                .sum::<usize>()
    }
}

/// The libraries one engine has compiled, by digest.
#[derive(Default)]
pub(crate) struct Compiled(Mutex<HashMap<Digest, Module>>);

impl Compiled {
    /// The library `digest`, if compiled.
    pub(crate) fn get(&self, digest: &Digest) -> Option<Module> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(digest)
            .cloned()
    }

    /// Keep `module` as library `digest`; one compiled meanwhile is kept instead, so that
    /// every component shares one copy of the code.
    pub(crate) fn keep(&self, digest: Digest, module: Module) -> Module {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(digest)
            .or_insert(module)
            .clone()
    }
}
