//! Showing a run's notifications: `GET /dags/{dag_id}/runs/{run_id}/notifications`. Their
//! delivery is `weft_notify::delivery`, which `wfctl server` and `wfctl standalone` run
//! beside the API; this module only reads what it recorded.
//!
//! # Layout
//! - `routes`: the route; `views`: its JSON shapes.

mod routes;
mod views;

pub(crate) use routes::routes;
pub use views::{NotificationList, NotificationView};
