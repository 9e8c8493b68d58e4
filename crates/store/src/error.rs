//! Store errors, with retriable (the database is unreachable or busy) kept apart from
//! permanent ones (the request is wrong).

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist; the message names it.
    #[error("not found: {0}")]
    NotFound(String),
    /// The operation would break a uniqueness rule (a run id used twice, say).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request itself is invalid; the message says why.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database could not be reached or was busy; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answered in an unexpected way (a corrupt row, say).
    #[error("database error: {0}")]
    Database(String),
    /// The database driver failed: the database could not be reached, was busy, or answered
    /// with an error. The driver's error is kept as the source.
    #[error(
        "database {}: {context}{source}",
        if *retriable { "unavailable" } else { "error" }
    )]
    Driver {
        /// Whether the same operation may succeed later (unreachable, busy, exhausted).
        retriable: bool,
        /// What was being done, with its trailing `: ` (empty when the operation says it).
        context: String,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// A stored sealed value could not be sealed again (see
    /// [`Store::reseal`](crate::Store::reseal)); nothing was changed.
    #[error("resealing {what}: {source}")]
    Sealing {
        /// The value.
        what: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The request would take a tenant past one of its quotas; nothing of it was stored.
    #[error(transparent)]
    Quota(#[from] weft_model::quotas::QuotaExceeded),
    /// The schema could not be brought up to date.
    #[error("migrating the schema: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether retrying the same operation later may succeed.
    pub fn is_retriable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_)
                | StoreError::Driver {
                    retriable: true,
                    ..
                }
        )
    }

    /// Whether the database could not write for want of disk space (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`, or the operating system's "no space left on device"). Such a
    /// write stored nothing; it may succeed once space is freed.
    pub fn is_out_of_space(&self) -> bool {
        match self {
            StoreError::Driver { source, .. } => driver_out_of_space(source),
            _ => false,
        }
    }

    /// The same error, saying it happened while doing `what`.
    pub fn context(self, what: impl std::fmt::Display) -> StoreError {
        match self {
            StoreError::Driver {
                retriable,
                context,
                source,
            } => StoreError::Driver {
                retriable,
                context: format!("{what}: {context}"),
                source,
            },
            StoreError::Database(m) => StoreError::Database(format!("{what}: {m}")),
            StoreError::Unavailable(m) => StoreError::Unavailable(format!("{what}: {m}")),
            other => other,
        }
    }
}

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    /// Unique violations become [`Conflict`](StoreError::Conflict); an unreachable, busy or
    /// exhausted database becomes [`Unavailable`](StoreError::Unavailable); anything else is
    /// a [`Database`](StoreError::Database) error.
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &error {
            E::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation => {
                StoreError::Conflict(db.message().to_owned())
            }
            E::Database(db) if is_transient(db.as_ref()) => driver(true, error),
            E::Database(db) if database_out_of_space(db.as_ref()) => {
                out_of_space::mark();
                driver(true, error)
            }
            E::Io(_)
            | E::Tls(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::WorkerCrashed
            | E::BeginFailed => {
                if driver_out_of_space(&error) {
                    out_of_space::mark();
                }
                driver(true, error)
            }
            _ => driver(false, error),
        }
    }
}

fn driver(retriable: bool, source: sqlx::Error) -> StoreError {
    StoreError::Driver {
        retriable,
        context: String::new(),
        source,
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(error)
    }
}

/// When a write of this process last failed for want of disk space. A small write may still
/// fit where a larger one does not (SQLite reuses its log's space, say), so a probe that
/// succeeds does not show that the store takes every write: the health check also asks
/// [`out_of_space_within`]. The disk is the machine's, so every store of the process shares
/// the mark.
mod out_of_space {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// Milliseconds since the Unix epoch of the last failure; 0 for none.
    static LAST: AtomicU64 = AtomicU64::new(0);

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn mark() {
        LAST.store(now_ms(), Ordering::Relaxed);
    }

    /// How long ago a write last failed for want of space, if it did within `within`.
    pub fn within(within: Duration) -> Option<Duration> {
        let last = LAST.load(Ordering::Relaxed);
        if last == 0 {
            return None;
        }
        let ago = Duration::from_millis(now_ms().saturating_sub(last));
        (ago <= within).then_some(ago)
    }
}

/// How long ago a write of this process last failed for want of disk space, if it did within
/// `within` (see [`StoreError::is_out_of_space`]).
pub fn out_of_space_within(within: std::time::Duration) -> Option<std::time::Duration> {
    out_of_space::within(within)
}

/// Whether the driver's error says the disk is full.
fn driver_out_of_space(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => database_out_of_space(db.as_ref()),
        sqlx::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(ENOSPC)
        }
        _ => false,
    }
}

/// `ENOSPC` on Linux and the BSDs: no space left on device.
const ENOSPC: i32 = 28;

/// Whether a database's own error says its disk is full: SQLite's `SQLITE_FULL` (which its
/// file layer returns for `ENOSPC`), PostgreSQL's `53100 disk_full`.
fn database_out_of_space(error: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::error::DatabaseError as _;
    if let Some(sqlite) = error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        let primary = sqlite
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        return primary == Some(13);
    }
    if let Some(postgres) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        return postgres.code() == "53100";
    }
    false
}

/// Whether a database's own error says "busy, try again": SQLite's `SQLITE_BUSY` and
/// `SQLITE_LOCKED`; PostgreSQL's serialization failures, deadlocks, connection errors,
/// shutdowns and exhausted connection slots.
fn is_transient(error: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::error::DatabaseError as _;
    if let Some(sqlite) = error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        let primary = sqlite
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        return matches!(primary, Some(5 | 6));
    }
    if let Some(postgres) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = postgres.code();
        return matches!(
            code,
            "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03"
        ) || code.starts_with("08");
    }
    false
}
