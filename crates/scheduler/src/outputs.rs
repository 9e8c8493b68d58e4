//! Upstream outputs carried in task messages: the scheduler remembers the small outputs of
//! the tasks it saw finish, so a downstream attempt's message holds its upstream outputs and
//! the worker need not fetch them (one round trip less per hop of a chain).
//!
//! What the scheduler did not see (a run loaded after a restart, an output too large to
//! carry) is left out, and the message says so: the worker then fetches every upstream
//! output as before.

use std::collections::HashMap;
use std::sync::Arc;

use weft_model::TaskState;

use crate::active_run::ActiveRun;

/// Largest output carried in a message.
pub(crate) const MAX_INLINE_OUTPUT: usize = 64 << 10;
/// Most bytes of outputs remembered per run.
pub(crate) const MAX_RUN_OUTPUTS: usize = 16 << 20;

/// The outputs of a run's finished tasks, as far as the scheduler knows them.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    /// By graph index: `Some` the output of a success, `None` a task that finished without
    /// one. A task missing here is unknown.
    known: HashMap<usize, Option<Arc<[u8]>>>,
    bytes: usize,
}

impl Outputs {
    /// Remember how task `i` finished: `output` is its output if it succeeded.
    pub(crate) fn record(&mut self, i: usize, state: TaskState, output: Option<&[u8]>) {
        match (state, output) {
            (TaskState::Success, Some(bytes))
                if bytes.len() <= MAX_INLINE_OUTPUT
                    && self.bytes + bytes.len() <= MAX_RUN_OUTPUTS =>
            {
                self.bytes += bytes.len();
                self.known.insert(i, Some(Arc::from(bytes)));
            }
            // Too large to carry: the worker fetches it.
            (TaskState::Success, Some(_)) => {
                self.known.remove(&i);
            }
            (state, _) if state.is_finished() => {
                self.known.insert(i, None);
            }
            _ => {
                self.known.remove(&i);
            }
        }
    }

    /// What is known of slot `i`'s output: `Some(Some(_))` its output, `Some(None)` it
    /// finished without one, `None` unknown.
    pub(crate) fn get(&self, i: usize) -> Option<Option<Arc<[u8]>>> {
        self.known.get(&i).cloned()
    }

    /// The outputs of the upstream tasks `upstream` of a run, if every one is known: the
    /// `(task id, output)` of each that has an output.
    pub(crate) fn of(run: &ActiveRun, upstream: &[usize]) -> Option<Vec<(String, Vec<u8>)>> {
        let mut found = Vec::new();
        for &u in upstream {
            let ti = &run.tis[u];
            if ti.state != TaskState::Success {
                // Skipped, failed, upstream_failed, removed: no output to pass on.
                continue;
            }
            if let Some(bytes) = run.outputs.known.get(&u)? {
                found.push((ti.task_id.clone(), bytes.to_vec()));
            }
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_small_outputs_and_forgets_large_ones() {
        let mut outputs = Outputs::default();
        outputs.record(0, TaskState::Success, Some(b"small"));
        outputs.record(1, TaskState::Success, Some(&vec![0; MAX_INLINE_OUTPUT + 1]));
        outputs.record(2, TaskState::Skipped, None);
        outputs.record(3, TaskState::Success, None);
        assert_eq!(
            outputs.known.get(&0).cloned().flatten().as_deref(),
            Some(&b"small"[..])
        );
        assert!(!outputs.known.contains_key(&1), "too large: unknown");
        assert_eq!(outputs.known.get(&2), Some(&None));
        assert_eq!(outputs.known.get(&3), Some(&None));
        // A retry makes it unknown again.
        outputs.record(0, TaskState::UpForRetry, None);
        assert!(!outputs.known.contains_key(&0));
    }

    #[test]
    fn stops_remembering_past_the_run_budget() {
        let mut outputs = Outputs::default();
        let big = vec![1u8; MAX_INLINE_OUTPUT];
        let fit = MAX_RUN_OUTPUTS / MAX_INLINE_OUTPUT;
        for i in 0..fit + 3 {
            outputs.record(i, TaskState::Success, Some(&big));
        }
        assert_eq!(outputs.known.len(), fit);
        assert!(outputs.bytes <= MAX_RUN_OUTPUTS);
    }
}
