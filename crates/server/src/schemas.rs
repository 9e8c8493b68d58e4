//! OpenAPI schemas the derives cannot state, defined with the bodies that use them in
//! [`weft_protocol::api::schemas`].

pub(crate) use weft_protocol::api::schemas::*;
