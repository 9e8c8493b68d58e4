//! A plain WASI command component (`fn main() {}`) without the `dag` world's exports.
//!
//! It exports `wasi:cli/run` only: no `describe`, no `run-task`, and it imports nothing of
//! `weft:dag`. The host must refuse it as a component that does not fit the world, with an
//! error naming what is missing, and store nothing. It deliberately does not use
//! `weft_test_guests`, so none of the bindings' exports are linked in.

fn main() {}
