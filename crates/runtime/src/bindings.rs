//! Host bindings of the `weft:dag` worlds, generated from `wit/`: the current version and
//! every earlier one whose components must keep running.

/// The bindings of a world with network access (0.2.0 and later), from the WIT at `$path`:
/// every import may trap (host calls check the attempt's deadline and limits), WASI comes
/// from wasmtime-wasi, and SQL sessions and row streams are the host's own types.
macro_rules! networked_world {
    ($path:literal) => {
        wasmtime::component::bindgen!({
            world: "dag",
            path: $path,
            imports: { default: trappable },
            with: {
                "wasi:http": wasmtime_wasi_http::p2::bindings::http,
                "wasi:io": wasmtime_wasi::p2::bindings::io,
                "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
                "weft:dag/sql.session": crate::sql::Session,
                "weft:dag/sql.row-stream": crate::sql::RowStream,
            },
            require_store_data_send: true,
        });

        pub(crate) use weft::dag::types;
    };
}

/// `weft:dag@0.6.0` (`wit/dag.wit`): the current world: a task may name the labels and the
/// architecture a worker needs to run it.
pub(crate) mod v0_6 {
    networked_world!("../../wit");
}

/// `weft:dag@0.5.0` (`wit/v0.5/dag.wit`): tasks name the assets they update, DAGs the assets
/// that start their runs, and a schedule may end.
pub(crate) mod v0_5 {
    networked_world!("../../wit/v0.5");
}

/// `weft:dag@0.4.0` (`wit/v0.4/dag.wit`): tasks may set their own CPU budget.
pub(crate) mod v0_4 {
    networked_world!("../../wit/v0.4");
}

/// `weft:dag@0.3.0` (`wit/v0.3/dag.wit`): DAGs that orchestrate: triggers of other DAGs,
/// sensors, waits, branches, mapping and notifications.
pub(crate) mod v0_3 {
    networked_world!("../../wit/v0.3");
}

/// `weft:dag@0.2.0` (`wit/v0.2/dag.wit`): outgoing HTTP, connections, secrets and SQL.
pub(crate) mod v0_2 {
    networked_world!("../../wit/v0.2");
}

/// `weft:dag@0.1.0` (`wit/v0.1/dag.wit`): no network, no connections or secrets.
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        world: "dag",
        path: "../../wit/v0.1",
        imports: { default: trappable },
    });

    pub(crate) use weft::dag::types;
}
