//! Running a statement on any backend's database from generic code: [`Statement`], with
//! the three capabilities it needs of the database, [`Encodes`], [`Reads`] and
//! [`Executes`].
//!
//! Generic sqlx code would otherwise carry a `where` clause per function naming every value
//! type it binds and every row type it reads (Rust does not imply such bounds from a trait's
//! `where` clause). Here the database type states them once, as supertraits of
//! [`Sql`](crate::backend::Sql), and each capability's blanket implementation does what
//! sqlx's own `query_as(..).bind(..).fetch_all(..)` does: the same calls, inlined, so a
//! statement costs what it costs through sqlx directly (persistent, prepared once per
//! connection).

use std::future::Future;

use sqlx::error::BoxDynError;
use sqlx::{Arguments as _, Database, Encode, Executor, FromRow, IntoArguments, Type};

/// A statement with its arguments bound so far, for database `D`.
pub(crate) struct Statement<D: Database> {
    sql: &'static str,
    /// The arguments, or why one could not be encoded (reported when the statement runs,
    /// as sqlx does).
    arguments: Result<D::Arguments, BoxDynError>,
}

/// `sql`, with no argument bound yet.
pub(crate) fn statement<D: Database>(sql: &'static str) -> Statement<D> {
    Statement {
        sql,
        arguments: Ok(D::Arguments::default()),
    }
}

impl<D: Database> Statement<D> {
    /// `value` bound to the next parameter.
    pub(crate) fn bind<'t, T>(mut self, value: T) -> Self
    where
        D: Encodes<'t, T>,
    {
        if let Ok(arguments) = &mut self.arguments {
            let number = arguments.len() + 1;
            if let Err(error) = D::encode(arguments, value) {
                self.arguments = Err(format!("Encoding argument ${number} failed: {error}").into());
            }
        }
        self
    }

    /// The arguments bound so far, for a statement built at run time to go on with.
    pub(crate) fn into_arguments(self) -> Result<D::Arguments, sqlx::Error> {
        self.arguments().map(|(_, arguments)| arguments)
    }

    /// The arguments, or the error sqlx reports for an argument it could not encode.
    fn arguments(self) -> Result<(&'static str, D::Arguments), sqlx::Error> {
        Ok((self.sql, self.arguments.map_err(sqlx::Error::Encode)?))
    }

    /// Every row, as `O`.
    pub(crate) async fn fetch_all<O>(self, conn: &mut D::Connection) -> Result<Vec<O>, sqlx::Error>
    where
        D: Reads<O>,
    {
        let (sql, arguments) = self.arguments()?;
        D::fetch_all(conn, sql, arguments).await
    }

    /// The first row, as `O`, if any.
    pub(crate) async fn fetch_optional<O>(
        self,
        conn: &mut D::Connection,
    ) -> Result<Option<O>, sqlx::Error>
    where
        D: Reads<O>,
    {
        let (sql, arguments) = self.arguments()?;
        D::fetch_optional(conn, sql, arguments).await
    }

    /// The first column of the first row, if any (a row of one column, as sqlx's
    /// `query_scalar` reads it).
    pub(crate) async fn fetch_optional_scalar<O>(
        self,
        conn: &mut D::Connection,
    ) -> Result<Option<O>, sqlx::Error>
    where
        D: Reads<(O,)>,
    {
        Ok(self
            .fetch_optional::<(O,)>(conn)
            .await?
            .map(|(value,)| value))
    }

    /// Run it; the number of rows it changed.
    pub(crate) async fn execute(self, conn: &mut D::Connection) -> Result<u64, sqlx::Error>
    where
        D: Executes,
    {
        let (sql, arguments) = self.arguments()?;
        D::execute(conn, sql, arguments).await
    }
}

/// The database encodes values of type `T` (borrowed for `'t`) as statement arguments.
pub(crate) trait Encodes<'t, T>: Database {
    /// Add `value` to `arguments`.
    fn encode(arguments: &mut Self::Arguments, value: T) -> Result<(), BoxDynError>;
}

impl<'t, D: Database, T: Encode<'t, D> + Type<D>> Encodes<'t, T> for D {
    #[inline]
    fn encode(arguments: &mut D::Arguments, value: T) -> Result<(), BoxDynError> {
        arguments.add(value)
    }
}

/// The database's rows read as `O`.
pub(crate) trait Reads<O>: Database {
    /// Every row of `sql` run with `arguments`.
    fn fetch_all(
        conn: &mut Self::Connection,
        sql: &'static str,
        arguments: Self::Arguments,
    ) -> impl Future<Output = Result<Vec<O>, sqlx::Error>> + Send;

    /// The first row of `sql` run with `arguments`, if any.
    fn fetch_optional(
        conn: &mut Self::Connection,
        sql: &'static str,
        arguments: Self::Arguments,
    ) -> impl Future<Output = Result<Option<O>, sqlx::Error>> + Send;
}

impl<D, O> Reads<O> for D
where
    D: Database<Arguments: IntoArguments<D>>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    O: for<'r> FromRow<'r, D::Row> + Send + Unpin + 'static,
{
    #[inline]
    fn fetch_all(
        conn: &mut D::Connection,
        sql: &'static str,
        arguments: D::Arguments,
    ) -> impl Future<Output = Result<Vec<O>, sqlx::Error>> + Send {
        sqlx::query_as_with::<D, O, _>(sql, arguments).fetch_all(conn)
    }

    #[inline]
    fn fetch_optional(
        conn: &mut D::Connection,
        sql: &'static str,
        arguments: D::Arguments,
    ) -> impl Future<Output = Result<Option<O>, sqlx::Error>> + Send {
        sqlx::query_as_with::<D, O, _>(sql, arguments).fetch_optional(conn)
    }
}

/// The database runs statements and says how many rows they changed.
pub(crate) trait Executes: Database {
    /// Run `sql` with `arguments`; the number of rows it changed.
    fn execute(
        conn: &mut Self::Connection,
        sql: &'static str,
        arguments: Self::Arguments,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
}

impl<D> Executes for D
where
    D: Database<Arguments: IntoArguments<D>, QueryResult: RowsAffected>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
{
    #[inline]
    async fn execute(
        conn: &mut D::Connection,
        sql: &'static str,
        arguments: D::Arguments,
    ) -> Result<u64, sqlx::Error> {
        let done = sqlx::query_with::<D, _>(sql, arguments)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }
}

/// A statement's result: how many rows it changed. (Each database's result type has this
/// method, but no sqlx trait names it.)
pub(crate) trait RowsAffected {
    /// The number of rows the statement changed.
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}
