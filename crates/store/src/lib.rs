//! Weft's metadata store: DAGs and their component versions, runs, task instances, XCom,
//! logs, variables, pools, connections and secrets (sealed), each row owned by a tenant; and
//! what coordinates Weft's processes: the worker registry and named leadership leases.
//!
//! The [`Store`] trait is the whole interface. [`SqliteStore`] is the embedded default (one
//! file under Weft's home); [`PostgresStore`] serves distributed deployments. Both run the
//! same migrations' schema and pass the same test suite. Changes made by attempts are fenced
//! by lease (see [`write`](mod@write)), so a stale attempt can never overwrite a newer one;
//! a scheduler's batches are fenced by its leadership epoch ([`Store::try_lead`],
//! [`LeaderFence`]), so a deposed leader can never overwrite its successor.
//!
//! # Layout
//! - [`store`]: the trait; [`records`]: the rows; [`write`](mod@write): batched, fenced changes;
//!   [`error`]: errors.
//! - [`sealed`]: connections and secrets as stored, sealed; [`credentials`]: sealing and
//!   opening them with a keyring, the key check at start, and key rotation; [`grants`]:
//!   which attempt may read which of them.
//! - `sqlite`, `postgres`: the two backends, each its connections, transactions and
//!   batched statements.
//! - Inside: `backend` is what a backend provides, as traits the compiler checks (`Backend`:
//!   connections and transactions; `Sql`: what its database binds and reads; `batch::BatchSql`:
//!   a write batch's statements). `both_backends` holds the SQL both backends run as is
//!   (`both_backends::sql`, and `both_backends::assets_sql` beside the top-level `assets`,
//!   and so on), the way generic code runs it (`both_backends::statement`), and the `Store`
//!   implementation of every `Backend`, written once (`both_backends::store_impl`, with its
//!   transactions and, in `both_backends::coordination`, the worker registry and leases);
//!   `apply` applies a write batch; `rows` converts rows; `validate` checks requests.
//!
//! ```no_run
//! # async fn demo() -> weft_store::StoreResult<()> {
//! use weft_store::{SqliteStore, Store, DEFAULT_TENANT};
//!
//! let store = SqliteStore::open("/var/lib/weft/weft.db").await?;
//! for dag in store.dags(DEFAULT_TENANT).await? {
//!     println!("{} paused={}", dag.dag_id, dag.paused);
//! }
//! # Ok(()) }
//! ```

mod apply;
pub mod assets;
mod backend;
mod both_backends;
pub mod credentials;
pub mod error;
pub mod grants;
#[cfg(any(test, feature = "testing"))]
pub mod held_writes;
mod migrations;
pub mod monitoring;
pub mod notifications;
pub mod postgres;
pub mod records;
pub mod retention;
mod rows;
pub mod sealed;
pub mod sqlite;
pub mod store;
pub mod tenancy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod validate;
pub use validate::name as check_name;
pub mod wire;
pub mod write;

pub use assets::{AssetActivity, AssetEvent, AssetSource, NewAssetEvent};
pub use credentials::{Credentials, CredentialsError, KeyCheck, StoredConnection};
pub use error::{StoreError, StoreResult, out_of_space_within};
pub use monitoring::{LogAppend, LogTail, PoolUsage, QueueDepth};
pub use notifications::{
    DeliveryOutcome, DeliveryResult, NewNotification, NotificationEvent, NotificationRecord,
    NotificationState,
};
pub use postgres::PostgresStore;
pub use records::*;
pub use retention::{AutoClean, Clean, Cleaned};
pub use sealed::{
    AttemptInfo, KeyMarker, ResealOutcome, Resealer, SealedConnection, SealedField, SealedSecret,
};
pub use sqlite::SqliteStore;
pub use store::Store;
pub use tenancy::{ApiToken, Quotas, Role, Tenant, TenantDeletion, TenantSandbox};
pub use write::*;
