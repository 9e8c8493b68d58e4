//! OpenAPI schemas of the model's named enums (states, run types, trigger rules), built from
//! the enums' own lists of names so the document cannot drift from the code.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};
use weft_model::{DagRunState, RunType, TaskState, TriggerRule};

fn names(names: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .description(Some(description))
        .build()
}

/// A task instance's state.
pub(crate) fn task_state() -> Object {
    names(TaskState::NAMES, "A task instance's state.")
}

/// A DAG run's state.
pub(crate) fn run_state() -> Object {
    names(DagRunState::NAMES, "A DAG run's state.")
}

/// Why a run exists.
pub(crate) fn run_type() -> Object {
    names(RunType::NAMES, "How the run came to be.")
}

/// A task's trigger rule.
pub(crate) fn trigger_rule() -> Object {
    names(
        TriggerRule::NAMES,
        "When the task may run, given its upstream tasks' states.",
    )
}

/// A DAG spec as `describe` returned it.
pub(crate) fn dag_spec() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The DAG's spec as its component's `describe` returned it (the WIT record \
             `dag-spec`, with snake_case field names).",
        ))
        .build()
}

/// A WebAssembly component's bytes, as a request or response body.
pub(crate) struct ComponentBytes;

impl utoipa::PartialSchema for ComponentBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("A WebAssembly component (binary)."))
            .into()
    }
}

impl utoipa::ToSchema for ComponentBytes {}
