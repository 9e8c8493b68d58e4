//! Exporting a DAG from a component: the [`export_dag!`](crate::export_dag) macro and the
//! functions behind the world's `describe` and `run-task` exports.

/// Export a DAG from this crate's component.
///
/// Give it a function `fn() -> Dag` that builds the DAG. The host calls it once at deploy time
/// to learn the DAG's structure (`describe`), and once per task attempt to find and run the
/// task (`run-task`). Use it once per component, in a `cdylib` crate built for
/// `wasm32-wasip2`.
///
/// ```no_run
/// use weft_sdk::prelude::*;
///
/// fn dag() -> Dag {
///     let dag = Dag::new("tiny");
///     dag.task("only", |_: &Context| Ok(json!({"ok": true})));
///     dag
/// }
///
/// weft_sdk::export_dag!(dag);
/// ```
#[macro_export]
macro_rules! export_dag {
    ($build:expr $(,)?) => {
        const _: () = {
            struct WeftDag;

            impl $crate::__private::Guest for WeftDag {
                fn describe() -> $crate::__private::DagSpec {
                    $crate::__private::describe($build)
                }

                fn run_task(
                    ctx: $crate::__private::TaskContext,
                    upstream: ::std::vec::Vec<$crate::__private::UpstreamOutput>,
                ) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::__private::WitTaskError>
                {
                    $crate::__private::run_task($build, ctx, upstream)
                }
            }

    $crate::__private::export!(WeftDag with_types_in $crate::bindings);
        };
    };
}

/// What [`export_dag!`](crate::export_dag) expands to calls; not part of the SDK's API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::Guest;
    pub use crate::bindings::export;
    pub use crate::bindings::weft::dag::types::{
        DagSpec, TaskContext, TaskError as WitTaskError, UpstreamOutput,
    };

    use crate::context::Context;
    use crate::dag::Dag;
    use crate::error::TaskError;

    /// The world's `describe`: build the DAG and return its structure.
    pub fn describe(build: fn() -> Dag) -> DagSpec {
        build().to_wit()
    }

    /// The world's `run-task`: build the DAG, find task `ctx.task_id` and run it.
    // The error type is the generated `task-error`, whose `defer` case carries a whole wait.
    #[allow(clippy::result_large_err)]
    pub fn run_task(
        build: fn() -> Dag,
        ctx: TaskContext,
        upstream: Vec<UpstreamOutput>,
    ) -> Result<Vec<u8>, WitTaskError> {
        let dag = build();
        let dag_id = dag.id();
        let Some(task) = dag.take_task(&ctx.task_id) else {
            return Err(TaskError::permanent(format!(
                "task `{}` is not in DAG `{dag_id}`",
                ctx.task_id
            ))
            .into_wit());
        };
        let context = Context::new(ctx, upstream);
        task(&context).map_err(TaskError::into_wit)
    }
}
