//! What the guests of world `weft:dag/dag@0.4.0` share, included by each with
//! `#[path = "../v4.rs"] mod v4;`: the world's raw bindings, generated in every guest (a
//! crate may hold the export glue of one world only), and `dag-spec` helpers.

/// Raw bindings of world `weft:dag/dag@0.4.0` from `wit/v0.4/`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dag",
        path: "../../wit/v0.4",
        generate_all,
    });
}

include!("spec_helpers.rs");
