// A DAG of one no-op task that updates one asset, world 0.5.0, included by each producer
// guest after `v5.rs`: `asset_producer!(dag_id, task_id, uri);` makes its `Guest` and
// exports it.

/// The guest of DAG `$dag`: task `$task` returns nothing, and its success gives asset `$uri`
/// an event whose extra names the run (`{"run_id": ...}`). It checks that the host refuses
/// data for an asset that is not its outlet.
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
                use v5::bindings::weft::dag::assets::set_extra;
                use v5::bindings::weft::dag::types::TaskError;
                match ctx.task_id.as_str() {
                    $task => {
                        if set_extra("s3://weft/not-an-outlet", "{}").is_ok() {
                            return Err(TaskError::Permanent(
                                "the host took data for an asset the task does not update".into(),
                            ));
                        }
                        let extra = format!("{{\"run_id\": {:?}}}", ctx.run_id);
                        set_extra($uri, &extra).map_err(TaskError::Permanent)?;
                        Ok(Vec::new())
                    }
                    other => Err(v5::bindings::weft::dag::types::TaskError::Permanent(
                        format!("no task {other:?}"),
                    )),
                }
            }
        }

        v5::bindings::export!(Producer with_types_in v5::bindings);
    };
}
