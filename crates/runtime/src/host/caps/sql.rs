//! `weft:dag/sql`: sessions on declared connections, through the runtime's pools (see
//! [`crate::sql`]).

#[path = "sql/earlier.rs"]
mod earlier;

use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime_wasi::runtime::in_tokio;

use super::access::ConnectionRefusal;
use crate::bindings::v0_6::weft::dag::sql::{self, Column, Row, RowSet, SqlError, SqlValue};
use crate::error::HostTrap;
use crate::sandbox::HostState;
use crate::sql::session::Call;
use crate::sql::{RowStream, Session, SqlUsage, open::OpenRequest};

impl HostState {
    /// The attempt's SQL counters, or a trap naming the call made outside a task.
    fn sql_usage(&self, call: &str) -> wasmtime::Result<Arc<SqlUsage>> {
        self.check_deadline()?;
        self.sql.as_ref().map(|s| s.usage.clone()).ok_or_else(|| {
            wasmtime::Error::new(HostTrap::Misuse(format!(
                "{call} is only available inside run-task, not in describe"
            )))
        })
    }

    /// When a statement starting now must end.
    fn statement_by(&self, usage: &SqlUsage) -> tokio::time::Instant {
        let by = (std::time::Instant::now() + usage.limits.statement_timeout).min(self.deadline);
        tokio::time::Instant::from_std(by)
    }

    /// Runs one statement call on the session `res`.
    fn on_session<T>(
        &mut self,
        res: &Resource<Session>,
        call: &str,
        run: impl AsyncFnOnce(
            &Session,
            &mut crate::sql::session::Held,
            &Call<'_>,
        ) -> crate::sql::cancel::Bounded<T>,
    ) -> wasmtime::Result<Result<T, SqlError>> {
        let usage = self.sql_usage(call)?;
        let by = self.statement_by(&usage);
        let session = self.table().get(res)?;
        let mut held = match session.take() {
            Ok(held) => held,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = usage.count_statement() {
            session.put(held, false);
            return Ok(Err(e));
        }
        let call = Call { usage: &usage, by };
        let bounded = in_tokio(run(session, &mut held, &call));
        session.put(held, bounded.broken);
        if let Err(SqlError::Timeout(message)) = &bounded.result {
            usage.note_timeout(message);
        }
        Ok(bounded.result)
    }
}

impl sql::Host for HostState {
    #[tracing::instrument(level = "debug", skip(self))]
    fn open(&mut self, conn_id: String) -> wasmtime::Result<Result<Resource<Session>, SqlError>> {
        let usage = self.sql_usage("sql.open")?;
        let deadline = self.deadline;
        let conn = match self.declared_connection("sql.open", &conn_id)? {
            Ok(conn) => conn,
            Err(ConnectionRefusal::NotDeclared(why)) => return Ok(Err(SqlError::NotDeclared(why))),
            Err(ConnectionRefusal::NotFound(why)) => return Ok(Err(SqlError::NotFound(why))),
            Err(ConnectionRefusal::Unavailable(why)) => {
                return Ok(Err(SqlError::Connect(format!(
                    "connection {conn_id:?} could not be read: {why}"
                ))));
            }
        };
        let Some(sql) = self.sql.clone() else {
            return Err(wasmtime::Error::new(HostTrap::Misuse(
                "sql.open outside run-task".into(),
            )));
        };
        let request = OpenRequest {
            conn: &conn,
            egress: &self.egress.egress,
            tenant_rules: self.egress.tenant_rules.as_deref(),
            pools: &sql.pools,
            usage: &usage,
            deadline: tokio::time::Instant::from_std(deadline),
        };
        match in_tokio(request.open()) {
            Ok(session) => Ok(Ok(self.table().push(session)?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl sql::HostSession for HostState {
    #[tracing::instrument(level = "debug", skip(self, params))]
    fn query(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> wasmtime::Result<Result<RowSet, SqlError>> {
        self.on_session(&res, "sql.query", async |s, held, call| {
            s.query(held, call, &statement, &params).await
        })
    }

    #[tracing::instrument(level = "debug", skip(self, params))]
    fn query_stream(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> wasmtime::Result<Result<Resource<RowStream>, SqlError>> {
        let usage = self.sql_usage("sql.query-stream")?;
        let by = self.statement_by(&usage);
        let session = self.table().get(&res)?;
        let held = match session.take() {
            Ok(held) => held,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = usage.count_statement() {
            session.put(held, false);
            return Ok(Err(e));
        }
        let timeouts = usage.clone();
        match in_tokio(crate::sql::stream::open(
            session, held, usage, by, statement, params,
        )) {
            Ok(stream) => Ok(Ok(self.table().push(stream)?)),
            Err(e) => {
                if let SqlError::Timeout(message) = &e {
                    timeouts.note_timeout(message);
                }
                Ok(Err(e))
            }
        }
    }

    #[tracing::instrument(level = "debug", skip(self, params))]
    fn execute(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> wasmtime::Result<Result<u64, SqlError>> {
        self.on_session(&res, "sql.execute", async |s, held, call| {
            s.execute(held, call, &statement, &params).await
        })
    }

    #[tracing::instrument(level = "debug", skip(self))]
    fn begin(&mut self, res: Resource<Session>) -> wasmtime::Result<Result<(), SqlError>> {
        self.transaction(res, "BEGIN")
    }

    #[tracing::instrument(level = "debug", skip(self))]
    fn commit(&mut self, res: Resource<Session>) -> wasmtime::Result<Result<(), SqlError>> {
        self.transaction(res, "COMMIT")
    }

    #[tracing::instrument(level = "debug", skip(self))]
    fn rollback(&mut self, res: Resource<Session>) -> wasmtime::Result<Result<(), SqlError>> {
        self.transaction(res, "ROLLBACK")
    }

    fn drop(&mut self, res: Resource<Session>) -> wasmtime::Result<()> {
        let session = self.table().delete(res)?;
        session.close();
        Ok(())
    }
}

impl HostState {
    fn transaction(
        &mut self,
        res: Resource<Session>,
        statement: &'static str,
    ) -> wasmtime::Result<Result<(), SqlError>> {
        let session = self.table().get(&res)?;
        let open = statement == "BEGIN";
        if session.in_transaction == open {
            let why = if open {
                "a transaction is already open"
            } else {
                "no transaction is open"
            };
            return Ok(Err(SqlError::State(format!(
                "{statement} on the session of connection {:?}: {why}",
                session.conn_id
            ))));
        }
        let result = self.on_session(&res, "sql.session", async |s, held, call| {
            s.control(held, call, statement).await
        })?;
        let session = self.table().get_mut(&res)?;
        // A failed COMMIT or ROLLBACK still ends the transaction on the server.
        if result.is_ok() || !open {
            session.in_transaction = open;
        }
        Ok(result)
    }
}

impl sql::HostRowStream for HostState {
    fn columns(&mut self, res: Resource<RowStream>) -> wasmtime::Result<Vec<Column>> {
        self.check_deadline()?;
        Ok(self.table().get(&res)?.columns.clone())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    fn next(
        &mut self,
        res: Resource<RowStream>,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<Row>, SqlError>> {
        self.check_deadline()?;
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let stream = self.table().get_mut(&res)?;
        match in_tokio(async { tokio::time::timeout_at(deadline, stream.next(max)).await }) {
            Ok(result) => Ok(result),
            Err(_) => Err(wasmtime::Error::new(HostTrap::Deadline)),
        }
    }

    fn drop(&mut self, res: Resource<RowStream>) -> wasmtime::Result<()> {
        let mut stream = self.table().delete(res)?;
        in_tokio(stream.finish(crate::sql::stream::End::Cut));
        Ok(())
    }
}

/// Adds `sql` to `linker`, in every world version: `earlier` serves the versions before 0.6.0,
/// whose sessions return whole row sets only.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_2, sql);
    Ok(())
}
