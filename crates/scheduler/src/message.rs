//! What travels between the scheduler and workers is defined in `weft_protocol`; the
//! scheduler's modules name it from here.

pub use weft_protocol::{AttemptOutcome, AttemptResult, Report, TaskMessage};
