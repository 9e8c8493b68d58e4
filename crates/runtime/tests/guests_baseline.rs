//! Every test guest against the runtime, on baseline (Winch) code: the tests of `guests`,
//! with each component loaded by the baseline compiler and kept on its code.

include!("guests/suite.rs");
