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
            E::Io(_)
            | E::Tls(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::WorkerCrashed
            | E::BeginFailed => driver(true, error),
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
