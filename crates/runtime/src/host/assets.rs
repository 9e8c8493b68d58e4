//! `weft:dag/assets` (0.5.0): data a task attaches to the events its outlets get when it
//! succeeds.

use crate::sandbox::HostState;

/// Largest extra, in bytes of JSON (the store's limit on an event's extra).
const MAX_EXTRA_BYTES: usize = 64 * 1024;

impl crate::bindings::v0_5::weft::dag::assets::Host for HostState {
    #[tracing::instrument(level = "debug", skip(self, extra))]
    fn set_extra(&mut self, uri: String, extra: String) -> wasmtime::Result<Result<(), String>> {
        self.check_deadline()?;
        let attempt = self.attempt("assets.set-extra")?;
        let task_id = attempt.context.task_id.clone();
        let outlets = attempt
            .dag
            .task(&task_id)
            .map(|t| t.outlets.clone())
            .unwrap_or_default();
        if !outlets.contains(&uri) {
            return Ok(Err(format!(
                "task {task_id:?} does not update asset {uri:?} (its outlets: {})",
                if outlets.is_empty() {
                    "none".to_owned()
                } else {
                    outlets.join(", ")
                }
            )));
        }
        if extra.len() > MAX_EXTRA_BYTES {
            return Ok(Err(format!(
                "the extra is {} bytes of JSON (at most {MAX_EXTRA_BYTES})",
                extra.len()
            )));
        }
        let value = match serde_json::from_str::<serde_json::Value>(&extra) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            Ok(other) => {
                return Ok(Err(format!("the extra must be a JSON object, not {other}")));
            }
            Err(e) => return Ok(Err(format!("the extra is not JSON: {e}"))),
        };
        match attempt.asset_extras.iter_mut().find(|(u, _)| *u == uri) {
            Some((_, old)) => *old = value,
            None => attempt.asset_extras.push((uri, value)),
        }
        Ok(Ok(()))
    }
}
