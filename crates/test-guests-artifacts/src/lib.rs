//! Paths of Weft's test guest components, built for `wasm32-wasip2` by this crate's build
//! script from the bins of `weft-test-guests`, plus a few byte strings that are not
//! components at all.
//!
//! Each guest `src/bin/<name>.rs` becomes a constant `<NAME>` holding the absolute path of
//! its `.wasm` file, and [`foreach_guest!`] names every guest so tests can check each one has
//! a test:
//!
//! ```
//! macro_rules! exists {
//!     ($name:ident) => {
//!         assert!(!stringify!($name).is_empty());
//!     };
//! }
//! weft_test_guests_artifacts::foreach_guest!(exists);
//! assert!(weft_test_guests_artifacts::NOOP.ends_with("noop.wasm"));
//! ```
//!
//! Runtime tests write `foreach_guest!(assert_test_exists);` with
//! `macro_rules! assert_test_exists { ($name:ident) => { #[allow(unused_imports)] use self::$name as _; } }`
//! so that a guest without a test of its name fails to compile.

include!(concat!(env!("OUT_DIR"), "/gen.rs"));

/// A few bytes of text, not WebAssembly at all: the host must refuse them as malformed.
pub const NOT_WASM: &[u8] = b"this is not a WebAssembly component\n";

/// The smallest valid core WebAssembly module (magic and version 1, no sections). It is a
/// module, not a component: the host must refuse it as not a component.
pub const CORE_MODULE: &[u8] = b"\0asm\x01\0\0\0";
