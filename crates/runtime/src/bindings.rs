//! Host bindings of the `weft:dag` worlds, generated from `wit/`: the current version and
//! every earlier one whose components must keep running.
//!
//! The list of versions is written once, in [`worlds_from!`]: a host interface names the
//! first version that has it, and its `Host` impls and linking are made for that version and
//! every later one. A world bump adds its bindgen below and one arm there.

/// `$then!(v, $args...)` for world `$from` and every later one, oldest first.
macro_rules! worlds_from {
    (v0_1, $then:ident $(, $arg:tt)*) => { $then!(v0_1 $(, $arg)*); $crate::bindings::worlds_from!(v0_2, $then $(, $arg)*); };
    (v0_2, $then:ident $(, $arg:tt)*) => { $then!(v0_2 $(, $arg)*); $crate::bindings::worlds_from!(v0_3, $then $(, $arg)*); };
    (v0_3, $then:ident $(, $arg:tt)*) => { $then!(v0_3 $(, $arg)*); $crate::bindings::worlds_from!(v0_4, $then $(, $arg)*); };
    (v0_4, $then:ident $(, $arg:tt)*) => { $then!(v0_4 $(, $arg)*); $crate::bindings::worlds_from!(v0_5, $then $(, $arg)*); };
    (v0_5, $then:ident $(, $arg:tt)*) => { $then!(v0_5 $(, $arg)*); $crate::bindings::worlds_from!(v0_6, $then $(, $arg)*); };
    (v0_6, $then:ident $(, $arg:tt)*) => { $then!(v0_6 $(, $arg)*); };
}
pub(crate) use worlds_from;

/// Adds interface `$iface` of each world from `$from` on to `$linker`, served by
/// `HostState`'s impls of it; `?` on a failure.
macro_rules! link_from {
    ($linker:ident, $from:ident, $($iface:ident),+) => {{
        use $crate::bindings::{link_one, worlds_from};
        $(worlds_from!($from, link_one, $linker, $iface);)+
    }};
}
pub(crate) use link_from;

/// One interface of one world (a step of [`link_from!`]).
macro_rules! link_one {
    ($v:ident, $linker:ident, $iface:ident) => {
        $crate::bindings::$v::weft::dag::$iface::add_to_linker::<
            _,
            wasmtime::component::HasSelf<_>,
        >($linker, |s| s)?;
    };
}
pub(crate) use link_one;

/// The bindings of a world with network access (0.2.0 and later), from the WIT at `$path`:
/// every import may trap (host calls check the attempt's deadline and limits), WASI comes
/// from wasmtime-wasi, and SQL sessions and row streams are the host's own types, as are the
/// resources of the interfaces a version adds after them (given after the path: bindgen
/// refuses a mapping its world has no use for).
macro_rules! networked_world {
    ($path:literal $(, { $($resource:literal: $host:path),* $(,)? })?) => {
        wasmtime::component::bindgen!({
            world: "dag",
            path: $path,
            imports: { default: trappable },
            with: {
                "wasi:http": wasmtime_wasi_http::p2::bindings::http,
                "wasi:io": wasmtime_wasi::p2::bindings::io,
                "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
                "weft:dag/sql.session": weft_sql::Session,
                "weft:dag/sql.row-stream": weft_sql::RowStream,
                $($($resource: $host,)*)?
            },
            require_store_data_send: true,
        });

        pub(crate) use weft::dag::types;
    };
}

/// `weft:dag@0.6.0` (`wit/dag.wit`): the current world: a task may name the labels and the
/// architecture a worker needs to run it.
pub(crate) mod v0_6 {
    networked_world!("../../wit", {
        "weft:dag/objects.bucket": weft_objects::Bucket,
        "weft:dag/objects.reader": weft_objects::Reader,
        "weft:dag/objects.writer": weft_objects::Writer,
    });
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
