//! OpenAPI schemas the derives cannot state: the model's named enums (states, run types,
//! trigger rules, roles), built from the enums' own lists of names so the document cannot
//! drift from the code, and the patterns of names, durations and URIs the server checks.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use weft_model::tenancy::{MAX_TENANT_NAME_LEN, Role};
use weft_model::{DagRunState, RunType, TaskState, TriggerRule};

fn names(names: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .description(Some(description))
        .build()
}

/// A task instance's state.
pub fn task_state() -> Object {
    names(TaskState::NAMES, "A task instance's state.")
}

/// A DAG run's state.
pub fn run_state() -> Object {
    names(DagRunState::NAMES, "A DAG run's state.")
}

/// Why a run exists.
pub fn run_type() -> Object {
    names(RunType::NAMES, "How the run came to be.")
}

/// A task's trigger rule.
pub fn trigger_rule() -> Object {
    names(
        TriggerRule::NAMES,
        "When the task may run, given its upstream tasks' states.",
    )
}

/// A state a task instance can be marked with by hand.
pub fn markable_state() -> Object {
    let markable: Vec<&str> = super::tasks::MARKABLE.iter().map(|s| s.as_str()).collect();
    names(&markable, "The state to mark the task instance with.")
}

/// A token's role.
pub fn role() -> Object {
    names(Role::NAMES, "A role within a tenant.")
}

/// A tenant's name.
pub fn tenant_name() -> Object {
    pattern_schema(TENANT_PATTERN, MAX_TENANT_NAME_LEN)
}

/// `object`, or `null`: for a field that may be left out or sent as `null`.
fn or_null(mut object: Object) -> Object {
    if let SchemaType::Type(one) = object.schema_type {
        object.schema_type = SchemaType::Array(vec![one, Type::Null]);
    }
    object
}

/// A run id a user chooses, or `null` for the default.
pub fn run_id() -> Object {
    or_null(pattern_schema(RUN_ID_PATTERN, 250))
}

/// A token's name: not all blank, no control characters.
pub fn token_name() -> Object {
    pattern_schema(
        "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$",
        super::tokens::MAX_TOKEN_NAME_CHARS,
    )
}

/// A duration as [`parse_duration`](weft_model::parse_duration) reads it, such as `90d` or
/// `1h 30m`, or `null` for none.
pub fn duration() -> Object {
    or_null(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(
                "^\\s*(([0-9]+(\\.[0-9]+)?|\\.[0-9]+)\\s*([nNuUmM\u{b5}]?[sS]|[mMhHdD])\\s*)+$",
            ))
            .build(),
    )
}

/// An asset's URI: a scheme, then no whitespace or control characters.
pub fn asset_uri() -> Object {
    pattern_schema(
        "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s\\x00-\\x1f\\x7f-\\x9f]*$",
        weft_model::asset::MAX_URI_LEN,
    )
}

/// A DAG spec as `describe` returned it.
pub fn dag_spec() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The DAG's spec as its component's `describe` returned it (the WIT record \
             `dag-spec`, with snake_case field names).",
        ))
        .build()
}

/// A WebAssembly component's bytes, as a request or response body.
pub struct ComponentBytes;

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

/// A run id: no control characters.
pub const RUN_ID_PATTERN: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]+$";
/// A tenant's name ([`check_tenant_name`](weft_model::tenancy::check_tenant_name)).
pub const TENANT_PATTERN: &str = weft_model::tenancy::TENANT_NAME_PATTERN;

/// A string of 1 to `max` characters matching `pattern`.
pub fn pattern_schema(pattern: &str, max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max))
        .build()
}
