//! The error answers every operation of a kind can give, added to each such operation
//! where its own annotations do not already say them: a request with a body may be refused
//! as malformed (400), too large (413) or of another media type (415), and when it matches
//! its schema, as breaking a rule the operation states in words (422); one with parameters
//! as malformed (400). Each is the usual error body.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// Add the answers every operation of `document` can give by its shape.
pub(crate) fn complete(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        for (_, operation) in super::operations(item) {
            if operation.request_body.is_some() {
                add(operation, 400, "A body that does not match its schema");
                add(operation, 413, "A body larger than the server takes");
                add(operation, 415, "A body of another media type");
                add(
                    operation,
                    422,
                    "A body that matches its schema but breaks a rule stated in words",
                );
            }
            if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                add(operation, 400, "A parameter that does not match its schema");
            }
        }
    }
}

/// Say that `operation` may answer `status` with an error body, unless it says so already.
pub(crate) fn add(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build(),
            )
        });
}
