//! `weft:dag/sql` of every world version that has it (0.2.0 on), served by the calls of
//! `sql.rs` on the SQL client's types. Every version's resources are the client's own
//! types; values, rows and errors are converted case by case (the WIT texts of the versions
//! are identical, so the conversions are total).

/// The `sql` host of world `$v`.
macro_rules! sql_host {
    ($v:ident) => {
        pub(crate) mod $v {
            use wasmtime::component::Resource;
            use weft_sql::{RowStream, Session};

            use crate::bindings::$v::weft::dag::sql as wit;
            use crate::sandbox::HostState;

            fn value_in(v: wit::SqlValue) -> weft_sql::SqlValue {
                use weft_sql::SqlValue as N;
                use wit::SqlValue as O;
                match v {
                    O::Null => N::Null,
                    O::Boolean(b) => N::Boolean(b),
                    O::Int(i) => N::Int(i),
                    O::Float(f) => N::Float(f),
                    O::Text(t) => N::Text(t),
                    O::Bytes(b) => N::Bytes(b),
                    O::Decimal(d) => N::Decimal(d),
                    O::Timestamp(t) => N::Timestamp(t),
                    O::Datetime(t) => N::Datetime(t),
                    O::Date(t) => N::Date(t),
                    O::Time(t) => N::Time(t),
                    O::Uuid(t) => N::Uuid(t),
                    O::Json(t) => N::Json(t),
                }
            }

            fn value_out(v: weft_sql::SqlValue) -> wit::SqlValue {
                use weft_sql::SqlValue as N;
                use wit::SqlValue as O;
                match v {
                    N::Null => O::Null,
                    N::Boolean(b) => O::Boolean(b),
                    N::Int(i) => O::Int(i),
                    N::Float(f) => O::Float(f),
                    N::Text(t) => O::Text(t),
                    N::Bytes(b) => O::Bytes(b),
                    N::Decimal(d) => O::Decimal(d),
                    N::Timestamp(t) => O::Timestamp(t),
                    N::Datetime(t) => O::Datetime(t),
                    N::Date(t) => O::Date(t),
                    N::Time(t) => O::Time(t),
                    N::Uuid(t) => O::Uuid(t),
                    N::Json(t) => O::Json(t),
                }
            }

            fn error_out(e: weft_sql::SqlError) -> wit::SqlError {
                use weft_sql::SqlError as N;
                use wit::SqlError as O;
                match e {
                    N::NotDeclared(m) => O::NotDeclared(m),
                    N::NotFound(m) => O::NotFound(m),
                    N::Unsupported(m) => O::Unsupported(m),
                    N::Denied(m) => O::Denied(m),
                    N::Connect(m) => O::Connect(m),
                    N::Timeout(m) => O::Timeout(m),
                    N::Limit(m) => O::Limit(m),
                    N::State(m) => O::State(m),
                    N::Database(d) => O::Database(wit::DatabaseError {
                        code: d.code,
                        message: d.message,
                    }),
                }
            }

            fn columns_out(columns: Vec<weft_sql::Column>) -> Vec<wit::Column> {
                columns
                    .into_iter()
                    .map(|c| wit::Column {
                        name: c.name,
                        type_name: c.type_name,
                    })
                    .collect()
            }

            fn rows_out(rows: Vec<weft_sql::Row>) -> Vec<wit::Row> {
                rows.into_iter()
                    .map(|row| row.into_iter().map(value_out).collect())
                    .collect()
            }

            fn params_in(params: Vec<wit::SqlValue>) -> Vec<weft_sql::SqlValue> {
                params.into_iter().map(value_in).collect()
            }

            type Answer<T> = wasmtime::Result<Result<T, wit::SqlError>>;

            fn answer<T, U>(r: super::super::Answer<T>, f: impl FnOnce(T) -> U) -> Answer<U> {
                r.map(|inner| inner.map(f).map_err(error_out))
            }

            impl wit::Host for HostState {
                fn open(&mut self, conn_id: String) -> Answer<Resource<Session>> {
                    answer(self.sql_open(conn_id), |s| s)
                }
            }

            impl wit::HostSession for HostState {
                fn query(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<wit::SqlValue>,
                ) -> Answer<wit::RowSet> {
                    let r = self.sql_query(res, statement, params_in(params));
                    answer(r, |set| wit::RowSet {
                        columns: columns_out(set.columns),
                        rows: rows_out(set.rows),
                    })
                }

                fn query_stream(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<wit::SqlValue>,
                ) -> Answer<Resource<RowStream>> {
                    answer(
                        self.sql_query_stream(res, statement, params_in(params)),
                        |s| s,
                    )
                }

                fn execute(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<wit::SqlValue>,
                ) -> Answer<u64> {
                    answer(self.sql_execute(res, statement, params_in(params)), |n| n)
                }

                #[tracing::instrument(level = "debug", skip(self))]
                fn begin(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(self.sql_transaction(res, "BEGIN"), |()| ())
                }

                #[tracing::instrument(level = "debug", skip(self))]
                fn commit(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(self.sql_transaction(res, "COMMIT"), |()| ())
                }

                #[tracing::instrument(level = "debug", skip(self))]
                fn rollback(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(self.sql_transaction(res, "ROLLBACK"), |()| ())
                }

                fn drop(&mut self, res: Resource<Session>) -> wasmtime::Result<()> {
                    self.sql_session_drop(res)
                }
            }

            impl wit::HostRowStream for HostState {
                fn columns(
                    &mut self,
                    res: Resource<RowStream>,
                ) -> wasmtime::Result<Vec<wit::Column>> {
                    self.sql_columns(res).map(columns_out)
                }

                fn next(&mut self, res: Resource<RowStream>, max: u32) -> Answer<Vec<wit::Row>> {
                    answer(self.sql_next(res, max), rows_out)
                }

                fn drop(&mut self, res: Resource<RowStream>) -> wasmtime::Result<()> {
                    self.sql_stream_drop(res)
                }
            }
        }
    };
}

crate::bindings::worlds_from!(v0_2, sql_host);
