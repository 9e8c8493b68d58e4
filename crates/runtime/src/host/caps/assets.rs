//! `weft:dag/assets` (0.5.0 and later): data a task attaches to the events its outlets get when it
//! succeeds.

use weft_model::asset::{MAX_EXTRA_BYTES, check_extra};

use crate::sandbox::HostState;

/// Most bytes of extras one attempt keeps, over all its outlets.
const MAX_ATTEMPT_BYTES: usize = 256 * 1024;

/// The `assets` host of world `$v`.
macro_rules! assets_host {
    ($v:ident) => {
        impl crate::bindings::$v::weft::dag::assets::Host for HostState {
            #[tracing::instrument(level = "debug", skip_all)]
            fn set_extra(&mut self, uri: String, extra: String) -> wasmtime::Result<Result<(), String>> {
                self.check_deadline()?;
                let attempt = self.attempt("assets.set-extra")?;
                let task_id = attempt.context.task_id.clone();
                // Checked before anything is made of them: a guest may pass strings as large as its
                // memory.
                let is_outlet = attempt
                    .dag
                    .task(&task_id)
                    .is_some_and(|t| t.outlets.contains(&uri));
                if !is_outlet {
                    let shown: String = uri.chars().take(200).collect();
                    return Ok(Err(format!(
                        "task {task_id:?} does not update asset {shown:?}: it is not one of its outlets"
                    )));
                }
                if extra.len() > MAX_EXTRA_BYTES {
                    return Ok(Err(format!(
                        "the extra is {} bytes of JSON (at most {MAX_EXTRA_BYTES})",
                        extra.len()
                    )));
                }
                let value = match serde_json::from_str::<serde_json::Value>(&extra) {
                    Ok(value) => value,
                    Err(e) => return Ok(Err(format!("the extra is not JSON: {e}"))),
                };
                // Measured as the store will write it, which may be longer than what was sent.
                if let Err(why) = check_extra(&value) {
                    return Ok(Err(why));
                }
                let size = value.to_string().len();
                let kept: usize = attempt
                    .asset_extras
                    .iter()
                    .filter(|(u, _)| *u != uri)
                    .map(|(_, v)| v.to_string().len())
                    .sum();
                if kept + size > MAX_ATTEMPT_BYTES {
                    return Ok(Err(format!(
                        "the attempt's extras would be {} bytes of JSON (at most {MAX_ATTEMPT_BYTES})",
                        kept + size
                    )));
                }
                match attempt.asset_extras.iter_mut().find(|(u, _)| *u == uri) {
                    Some((_, old)) => *old = value,
                    None => attempt.asset_extras.push((uri, value)),
                }
                Ok(Ok(()))
            }
        }
    };
}

crate::bindings::worlds_from!(v0_5, assets_host);

/// Adds the interface to `linker`, in every world version that has it.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_5, assets);
    Ok(())
}
