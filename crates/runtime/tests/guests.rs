//! Every test guest against the runtime: each is contained with its exact error class, and
//! the same runtime (one engine, one instance pool) then runs a normal task fine.
//!
//! `guests_baseline` runs the same tests on code from the baseline compiler (Winch), which a
//! large component runs until Cranelift's is ready: the sandbox holds on both.

include!("guests/suite.rs");
