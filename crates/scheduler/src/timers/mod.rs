//! Timers: what falls due at a time rather than on an event — scheduled runs (`cron`) and
//! run timeouts (`run_timeout`).

pub(crate) mod cron;
pub(crate) mod run_timeout;
