//! The task instance, declared once: [`task_instance_fields!`](crate::task_instance_fields)
//! lists its fields, and everything that repeats them is made from that list — here the
//! record ([`TaskInstance`], which is also what a run's creation announces on the bus) and
//! the API's view of it ([`TaskInstanceView`]); in the store, the row it is read from, the
//! SELECT lists, the columns a new task instance is inserted with and a new try forgets, and
//! the finish write (`FinishTask`'s columns, its SET clause and its binds on both backends).
//! A new column is a field here and its two migrations; whatever fills it (the scheduler)
//! sets the field.
//!
//! # The declaration
//! Each field, in this order:
//! - its doc, which the API document shows for a field the API shows;
//! - `#[column(...)]`: what the store's writes do with it: `inserted` (a new task instance is
//!   inserted with it, in this order), `attempt` (an attempt writes it, and a new try starts
//!   without it), `per_try` (a try keeps it while it reschedules or waits, and a new try
//!   starts without it); nothing for a column only statements of its own write;
//! - `#[finish(how)]` or `#[finish(how, Type)]` when the write of an attempt's end sets it,
//!   from the field of that name (of `Type` when not the column's) of the store's
//!   `FinishTask`: `set` (to that value), `given` (to that value unless it is `None`), or
//!   `first` (to that value unless the column has one already);
//! - `#[serde(...)]`: the record's serde attributes (its JSON travels on the bus: a field
//!   added for the store alone is `default` and skipped when empty, so the messages of the
//!   protocol stay as they are);
//! - `#[shown]`, or `#[shown(serde(...), schema(...))]` with the view's own attributes, when
//!   the API shows it.

use serde::{Deserialize, Serialize};

/// The types the declaration names, at a path every crate that expands it reaches.
#[doc(hidden)]
pub mod types {
    pub use crate::ids::{RunPk, TiPk};
    pub use jiff::Timestamp;
    pub use weft_model::{Deferral, TaskState};
}

/// The fields of a task instance, in the form the module's header describes, handed to the
/// macro `$then` (a path), which makes its own items from them.
#[macro_export]
macro_rules! task_instance_fields {
    ($($then:ident)::+) => {
        $($then)::+! {
            /// Primary key.
            #[column()]
            id: $crate::task_instance::types::TiPk,
            /// The run's primary key.
            #[column(inserted)]
            run: $crate::task_instance::types::RunPk,
            /// The tenant that owns the run.
            #[column(inserted)]
            tenant: String,
            /// The DAG.
            #[column(inserted)]
            dag_id: String,
            /// The run's textual id.
            #[column()]
            run_id: String,
            /// The task.
            #[column(inserted)]
            #[shown]
            task_id: String,
            /// For an instance of a mapped task: its map index, from 0. The mapped task's own task
            /// instance, which sums its instances up, has none.
            #[column()]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[shown(serde(default, skip_serializing_if = "Option::is_none"))]
            map_index: Option<u32>,
            /// For a mapped task: how many instances it expanded into, once it has.
            #[column()]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[shown(serde(default, skip_serializing_if = "Option::is_none"))]
            map_count: Option<u32>,
            /// State.
            #[column(inserted)]
            #[shown(schema(schema_with = $crate::api::schemas::task_state))]
            state: $crate::task_instance::types::TaskState,
            /// Number of the current (or last) attempt; 0 before the first.
            #[column(inserted)]
            #[shown]
            try_number: u32,
            /// Attempts allowed in all.
            #[column(inserted)]
            #[shown]
            max_tries: u32,
            /// Queue it is sent to.
            #[column(inserted)]
            #[shown]
            queue: String,
            /// Pool whose slots it occupies.
            #[column(inserted)]
            #[shown]
            pool: String,
            /// Priority weight.
            #[column(inserted)]
            #[shown]
            priority_weight: i32,
            /// Fencing token: bumped every time an attempt is queued; a result must carry the
            /// current one.
            #[column(inserted)]
            lease: i64,
            /// When the running attempt's lease ends unless the worker heartbeats.
            #[column(attempt)]
            lease_expires_at: Option<$crate::task_instance::types::Timestamp>,
            /// Worker running (or that ran) the last attempt.
            #[column(attempt)]
            #[finish(given)]
            #[shown]
            worker_id: Option<String>,
            /// That worker's host name.
            #[column(attempt)]
            #[finish(given)]
            #[shown]
            hostname: Option<String>,
            /// When the last attempt was queued.
            #[column()]
            #[shown]
            queued_at: Option<$crate::task_instance::types::Timestamp>,
            /// When the last attempt started.
            #[column(attempt)]
            #[finish(first)]
            #[shown]
            started_at: Option<$crate::task_instance::types::Timestamp>,
            /// When the last attempt ended.
            #[column(attempt)]
            #[shown]
            ended_at: Option<$crate::task_instance::types::Timestamp>,
            /// Duration of the last attempt, in milliseconds.
            #[column(attempt)]
            #[finish(set, i64)]
            #[shown]
            duration_ms: Option<i64>,
            /// When an `up_for_retry` task may be queued again, or an `up_for_reschedule` sensor
            /// pokes again.
            #[column(attempt)]
            #[finish(set)]
            #[shown]
            next_retry_at: Option<$crate::task_instance::types::Timestamp>,
            /// Class of the last failure (`timeout`, `trap`, `task_error`, `sensor_timeout`, ...).
            #[column(attempt)]
            #[finish(set)]
            #[shown]
            error_class: Option<String>,
            /// Message of the last failure.
            #[column(attempt)]
            #[finish(set)]
            #[shown]
            error: Option<String>,
            /// For a sensor: when its current try first poked (its timeout counts from there).
            #[column(per_try)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[shown]
            sensor_started_at: Option<$crate::task_instance::types::Timestamp>,
            /// For a sensor: how many times its current try rescheduled.
            #[column()]
            #[serde(default, skip_serializing_if = "crate::task_instance::is_zero")]
            #[shown]
            pokes: u32,
            /// For a deferred task: what it waits for (`wait`: a time, or another DAG's run or task),
            /// whether it runs again when the wait ends (`resume`), and then the `event` it sees.
            #[column(per_try)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[shown(serde(default, skip_serializing_if = "Option::is_none"), schema(value_type = Option<Object>))]
            deferral: Option<$crate::task_instance::types::Deferral>,
            /// For an instance of a mapped task: the item it runs over (JSON text).
            #[column()]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            map_item: Option<String>,
        }
    };
}

/// Makes [`TaskInstance`] from the declaration.
macro_rules! record {
    ($(
        $(#[doc = $doc:literal])*
        #[column($($column:ident),*)]
        $(#[finish($($finish:tt)*)])?
        $(#[serde($($serde:tt)*)])*
        $(#[shown $($shown:tt)*])?
        $field:ident: $ty:ty,
    )*) => {
        /// A task instance: one task of one run, across its attempts. Its JSON is also the
        /// bus message of a task instance of a run just created (see
        /// [`RunCreated`](crate::RunCreated)).
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct TaskInstance {
            $($(#[doc = $doc])* $(#[serde($($serde)*)])* pub $field: $ty,)*
        }
    };
}

crate::task_instance_fields!(record);

/// Makes [`TaskInstanceView`] from the declaration's fields marked `#[shown]`, gathered one
/// field at a time into `[...]`.
macro_rules! view {
    // Every field gathered.
    (@shown [$({
        [$(#[doc = $doc:literal])*]
        [$($($view_serde:tt)+)?]
        [$($($schema:tt)+)?]
        $field:ident: $ty:ty
    })*]) => {
        /// A task instance: one task of one run, across its attempts.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct TaskInstanceView {
            $(
                $(#[doc = $doc])*
                $(#[serde($($view_serde)+)])?
                $(#[cfg_attr(feature = "openapi", schema($($schema)+))])?
                pub $field: $ty,
            )*
        }

        impl TaskInstanceView {
            /// The view of `ti`. A mapped task's instance is shown under its task's id, with
            /// its map index.
            pub fn of(ti: TaskInstance) -> TaskInstanceView {
                let mut view = TaskInstanceView { $($field: ti.$field),* };
                if view.map_index.is_some() {
                    view.task_id =
                        weft_model::mapping::split_instance_id(&view.task_id).0.to_owned();
                }
                view
            }
        }
    };
    // A field the API shows.
    (@shown [$($done:tt)*]
        $(#[doc = $doc:literal])*
        #[column($($column:ident),*)]
        $(#[finish($($finish:tt)*)])?
        $(#[serde($($serde:tt)*)])*
        #[shown $((
            $(serde($($view_serde:tt)*))? $(,)?
            $(schema($($schema:tt)*))?
        ))?]
        $field:ident: $ty:ty,
        $($rest:tt)*
    ) => {
        view! { @shown [$($done)* {
            [$(#[doc = $doc])*]
            [$($($($view_serde)*)?)?]
            [$($($($schema)*)?)?]
            $field: $ty
        }] $($rest)* }
    };
    // A field it does not.
    (@shown [$($done:tt)*]
        $(#[doc = $doc:literal])*
        #[column($($column:ident),*)]
        $(#[finish($($finish:tt)*)])?
        $(#[serde($($serde:tt)*)])*
        $field:ident: $ty:ty,
        $($rest:tt)*
    ) => {
        view! { @shown [$($done)*] $($rest)* }
    };
    (# $($fields:tt)*) => {
        view! { @shown [] # $($fields)* }
    };
}

crate::task_instance_fields!(view);

/// Whether a count is 0 (left out of the record's JSON then).
fn is_zero(n: &u32) -> bool {
    *n == 0
}
