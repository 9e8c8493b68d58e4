//! `weft:dag/log`: task log lines into the attempt's log.

use crate::bindings::types::LogLevel as WitLevel;
use crate::bindings::weft::dag::log::Host;
use crate::log::LogLevel;
use crate::sandbox::HostState;

impl Host for HostState {
    #[tracing::instrument(level = "trace", skip_all)]
    fn write(&mut self, level: WitLevel, message: String) -> wasmtime::Result<()> {
        self.check_deadline()?;
        let level = match level {
            WitLevel::Trace => LogLevel::Trace,
            WitLevel::Debug => LogLevel::Debug,
            WitLevel::Info => LogLevel::Info,
            WitLevel::Warn => LogLevel::Warn,
            WitLevel::Error => LogLevel::Error,
        };
        self.log.write(level, &message);
        Ok(())
    }
}
