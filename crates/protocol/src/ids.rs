//! The keys messages name things by: primary keys of runs and task instances as the
//! metadata store assigns them, and the names every process agrees on.

/// A DAG run's primary key in the metadata store.
pub type RunPk = i64;

/// A task instance's primary key in the metadata store.
pub type TiPk = i64;

/// The tenant that exists in every installation.
pub use weft_model::tenancy::DEFAULT_TENANT;

/// The XCom key under which a task's output is kept (Airflow's name).
pub const RETURN_VALUE: &str = "return_value";
