//! Variables: the tenant's key-value settings, read by key with
//! [`Context::variable`](crate::Context::variable).

use crate::bindings::weft::dag::variables;
use crate::context::Context;

impl Context {
    /// The value of variable `key`, or none when it is not set.
    pub fn variable(&self, key: &str) -> Option<String> {
        variables::get(key)
    }
}
