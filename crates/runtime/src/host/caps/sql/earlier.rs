//! `weft:dag/sql` of the worlds before the current one (0.2.0 to 0.5.0): the same interface
//! as the current one's, served by the current host. Every version's resources are the same
//! host types; values and errors are converted case by case (the WIT texts are identical, so
//! the conversions are total).

/// The `sql` host of world `$v`, forwarding to the current world's.
macro_rules! earlier_sql_host {
    ($v:ident) => {
        pub(crate) mod $v {
            use wasmtime::component::Resource;

            use crate::bindings::v0_6::weft::dag::sql as new;
            use crate::bindings::$v::weft::dag::sql as old;
            use crate::sandbox::HostState;
            use crate::sql::{RowStream, Session};

            fn value_in(v: old::SqlValue) -> new::SqlValue {
                use new::SqlValue as N;
                use old::SqlValue as O;
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

            fn value_out(v: new::SqlValue) -> old::SqlValue {
                use new::SqlValue as N;
                use old::SqlValue as O;
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

            fn error_out(e: new::SqlError) -> old::SqlError {
                use new::SqlError as N;
                use old::SqlError as O;
                match e {
                    N::NotDeclared(m) => O::NotDeclared(m),
                    N::NotFound(m) => O::NotFound(m),
                    N::Unsupported(m) => O::Unsupported(m),
                    N::Denied(m) => O::Denied(m),
                    N::Connect(m) => O::Connect(m),
                    N::Timeout(m) => O::Timeout(m),
                    N::Limit(m) => O::Limit(m),
                    N::State(m) => O::State(m),
                    N::Database(d) => O::Database(old::DatabaseError {
                        code: d.code,
                        message: d.message,
                    }),
                }
            }

            fn columns_out(columns: Vec<new::Column>) -> Vec<old::Column> {
                columns
                    .into_iter()
                    .map(|c| old::Column {
                        name: c.name,
                        type_name: c.type_name,
                    })
                    .collect()
            }

            fn rows_out(rows: Vec<new::Row>) -> Vec<old::Row> {
                rows.into_iter()
                    .map(|row| row.into_iter().map(value_out).collect())
                    .collect()
            }

            fn params_in(params: Vec<old::SqlValue>) -> Vec<new::SqlValue> {
                params.into_iter().map(value_in).collect()
            }

            type Answer<T> = wasmtime::Result<Result<T, old::SqlError>>;

            fn answer<T, U>(
                r: wasmtime::Result<Result<T, new::SqlError>>,
                f: impl FnOnce(T) -> U,
            ) -> Answer<U> {
                r.map(|inner| inner.map(f).map_err(error_out))
            }

            impl old::Host for HostState {
                fn open(&mut self, conn_id: String) -> Answer<Resource<Session>> {
                    answer(new::Host::open(self, conn_id), |s| s)
                }
            }

            impl old::HostSession for HostState {
                fn query(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<old::SqlValue>,
                ) -> Answer<old::RowSet> {
                    let r = new::HostSession::query(self, res, statement, params_in(params));
                    answer(r, |set| old::RowSet {
                        columns: columns_out(set.columns),
                        rows: rows_out(set.rows),
                    })
                }

                fn query_stream(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<old::SqlValue>,
                ) -> Answer<Resource<RowStream>> {
                    let r = new::HostSession::query_stream(self, res, statement, params_in(params));
                    answer(r, |s| s)
                }

                fn execute(
                    &mut self,
                    res: Resource<Session>,
                    statement: String,
                    params: Vec<old::SqlValue>,
                ) -> Answer<u64> {
                    let r = new::HostSession::execute(self, res, statement, params_in(params));
                    answer(r, |n| n)
                }

                fn begin(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(new::HostSession::begin(self, res), |()| ())
                }

                fn commit(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(new::HostSession::commit(self, res), |()| ())
                }

                fn rollback(&mut self, res: Resource<Session>) -> Answer<()> {
                    answer(new::HostSession::rollback(self, res), |()| ())
                }

                fn drop(&mut self, res: Resource<Session>) -> wasmtime::Result<()> {
                    new::HostSession::drop(self, res)
                }
            }

            impl old::HostRowStream for HostState {
                fn columns(
                    &mut self,
                    res: Resource<RowStream>,
                ) -> wasmtime::Result<Vec<old::Column>> {
                    new::HostRowStream::columns(self, res).map(columns_out)
                }

                fn next(&mut self, res: Resource<RowStream>, max: u32) -> Answer<Vec<old::Row>> {
                    answer(new::HostRowStream::next(self, res, max), rows_out)
                }

                fn drop(&mut self, res: Resource<RowStream>) -> wasmtime::Result<()> {
                    new::HostRowStream::drop(self, res)
                }
            }
        }
    };
}

earlier_sql_host!(v0_2);
earlier_sql_host!(v0_3);
earlier_sql_host!(v0_4);
earlier_sql_host!(v0_5);
