//! The exact form of the operations' parameters, which handlers' annotations leave loose:
//! a query or header parameter that may be left out is never `null` (there is no way to
//! send one), and each path parameter carries the pattern and length its kind of name is
//! checked against, as does the attempt key header of the worker API, so a client learns the
//! rules before it is refused.

use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};
use weft_model::tenancy::MAX_TENANT_NAME_LEN;
use weft_model::validate::MAX_ID_LEN;

use crate::names::MAX_NAME_CHARS;
use weft_protocol::api::schemas::{RUN_ID_PATTERN, TENANT_PATTERN, pattern_schema};

/// A DAG id, task id or pool name ([`check_id`](weft_model::validate::check_id)).
pub(crate) const ID_PATTERN: &str = "^[A-Za-z0-9_.-]+$";
/// A name of a variable, connection, secret or worker: no whitespace or control characters.
pub(crate) const NAME_PATTERN: &str = "^[^\\s\\x00-\\x1f\\x7f-\\x9f]+$";
/// Any other text in a URL: anything but NUL ([`crate::names::refuse_nul_in_url`]).
const NO_NUL_PATTERN: &str = "^[^\\x00]*$";
/// A component's digest, with or without its `sha256:` prefix.
const DIGEST_PATTERN: &str = "^(sha256:)?[0-9a-fA-F]{64}$";
/// An attempt's key, as its task message carried it.
const ATTEMPT_KEY_PATTERN: &str = "^[0-9a-fA-F]{32}$";
/// Longest run id.
const MAX_RUN_ID_CHARS: usize = 250;

/// Tighten every operation's parameters in `document`.
pub(crate) fn tighten(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for (_, operation) in super::operations(item) {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    tighten_one(path, parameter);
                }
            }
        }
    }
}

fn tighten_one(path: &str, parameter: &mut Parameter) {
    if let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() {
        not_null(object);
    }
    let schema = match parameter.parameter_in {
        ParameterIn::Path => path_schema(path, &parameter.name),
        ParameterIn::Header if parameter.name == "weft-attempt-key" => {
            Some(pattern_schema(ATTEMPT_KEY_PATTERN, 32))
        }
        _ => None,
    };
    if let Some(schema) = schema {
        parameter.schema = Some(RefOr::T(Schema::Object(schema)));
    } else if matches!(
        parameter.parameter_in,
        ParameterIn::Path | ParameterIn::Query
    ) && let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut()
        && object.schema_type == SchemaType::Type(Type::String)
        && object.pattern.is_none()
        && object.enum_values.is_none()
    {
        // Any other text in a URL: anything but NUL (`names::refuse_nul_in_url`).
        object.pattern = Some(NO_NUL_PATTERN.to_owned());
    }
}

/// Drop `null` from the types `object` allows.
fn not_null(object: &mut Object) {
    if let SchemaType::Array(types) = &object.schema_type {
        let kept: Vec<Type> = types
            .iter()
            .filter(|t| **t != Type::Null)
            .cloned()
            .collect();
        object.schema_type = match kept.as_slice() {
            [one] => SchemaType::Type(one.clone()),
            _ => SchemaType::Array(kept),
        };
    }
}

/// The schema of path parameter `name` of `path`, where its kind of name is checked.
fn path_schema(path: &str, name: &str) -> Option<Object> {
    let worker = path.contains("/worker/");
    let (pattern, max) = match name {
        "dag_id" | "task_id" => (ID_PATTERN, MAX_ID_LEN),
        "run_id" => (RUN_ID_PATTERN, MAX_RUN_ID_CHARS),
        "key" if !worker => (NAME_PATTERN, MAX_NAME_CHARS),
        "conn_id" | "worker_id" => (NAME_PATTERN, MAX_NAME_CHARS),
        "name" if path.contains("/secrets/") => (NAME_PATTERN, MAX_NAME_CHARS),
        "name" if path.contains("/pools/") => (ID_PATTERN, MAX_ID_LEN),
        "name" if path.contains("/tenants/") => (TENANT_PATTERN, MAX_TENANT_NAME_LEN),
        "digest" => (DIGEST_PATTERN, "sha256:".len() + 64),
        _ => return None,
    };
    Some(pattern_schema(pattern, max))
}
