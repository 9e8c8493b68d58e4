//! `state-classes.js`, the UI's module of states: every task and run state, in the model's
//! order, with the classes each is in ([`TaskState::classes`], [`DagRunState::class`]). Made
//! from the model when the server starts, so the UI's lists of states, and its colours by
//! class for a state without a colour of its own, follow a new state without a UI edit.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use weft_model::{DagRunState, TaskState};

/// The module's path under the UI's prefix.
pub(super) const PATH: &str = "state-classes.js";

/// The module's text and its SHA-256, made once.
pub(super) static MODULE: LazyLock<(String, [u8; 32])> = LazyLock::new(|| {
    let text = module_text();
    let hash = Sha256::digest(text.as_bytes()).into();
    (text, hash)
});

fn module_text() -> String {
    let task_classes: Map<String, Value> = TaskState::ALL
        .iter()
        .map(|s| {
            let classes: Vec<&str> = s.classes().iter().map(|c| c.as_str()).collect();
            (s.as_str().to_owned(), json!(classes))
        })
        .collect();
    let run_classes: Map<String, Value> = DagRunState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), json!([s.class().as_str()])))
        .collect();
    format!(
        "// Made by the server from the model's table of state classes.\n\
         \n\
         /** Task instance states, in the model's order. */\n\
         export const TASK_STATES = {};\n\
         \n\
         /** Run states, in the model's order. */\n\
         export const RUN_STATES = {};\n\
         \n\
         /** The classes each task instance state is in. */\n\
         export const TASK_STATE_CLASSES = {};\n\
         \n\
         /** The classes each run state is in. */\n\
         export const RUN_STATE_CLASSES = {};\n",
        json!(TaskState::NAMES),
        json!(DagRunState::NAMES),
        Value::Object(task_classes),
        Value::Object(run_classes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_lists_every_state_with_its_classes() {
        let text = &MODULE.0;
        assert!(
            text.contains(r#"export const RUN_STATES = ["queued","running","success","failed"];"#),
            "{text}"
        );
        for state in TaskState::NAMES {
            assert!(text.contains(&format!("\"{state}\":[")), "{state}: {text}");
        }
        assert!(
            text.contains(r#""running":["active","in_flight","in_pool"]"#),
            "{text}"
        );
        assert!(text.contains(r#""success":["finished"]"#), "{text}");
    }
}
