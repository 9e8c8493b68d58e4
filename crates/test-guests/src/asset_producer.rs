// A DAG of one no-op task that updates one asset, world 0.5.0, included by each producer
// guest after `v5.rs`: `asset_producer!(dag_id, task_id, uri);` makes its `Guest` and
// exports it.

/// The guest of DAG `$dag`: task `$task` returns nothing, and its success gives asset `$uri`
/// an event.
macro_rules! asset_producer {
    ($dag:literal, $task:literal, $uri:literal) => {
        struct Producer;

        impl v5::bindings::Guest for Producer {
            fn describe() -> v5::bindings::weft::dag::types::DagSpec {
                v5::spec(
                    $dag,
                    concat!("Updates ", $uri),
                    &[],
                    vec![v5::task($task, &[], &[$uri])],
                )
            }

            fn run_task(
                ctx: v5::bindings::weft::dag::types::TaskContext,
                _upstream: Vec<v5::bindings::weft::dag::types::UpstreamOutput>,
            ) -> Result<Vec<u8>, v5::bindings::weft::dag::types::TaskError> {
                match ctx.task_id.as_str() {
                    $task => Ok(Vec::new()),
                    other => Err(v5::bindings::weft::dag::types::TaskError::Permanent(
                        format!("no task {other:?}"),
                    )),
                }
            }
        }

        v5::bindings::export!(Producer with_types_in v5::bindings);
    };
}
