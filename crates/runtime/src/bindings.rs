//! Host bindings of the `weft:dag` world, generated from `wit/`.

wasmtime::component::bindgen!({
    world: "dag",
    path: "../../wit/v0.1",
    // Every import may trap: host calls check the attempt's deadline and limits.
    imports: { default: trappable },
});

pub use weft::dag::types;
