//! `weft:dag/sql`: sessions on declared connections, through the runtime's pools and the SQL
//! client `weft_sql`. The calls here work on the client's types; `worlds` serves every world
//! version's interface from them.

#[path = "sql/worlds.rs"]
mod worlds;

use std::sync::Arc;

use wasmtime::component::Resource;
use wasmtime_wasi::runtime::in_tokio;
use weft_sql::{
    Column, OpenRequest, Row, RowSet, RowStream, Session, SqlError, SqlUsage, SqlValue,
};

use super::access::ConnectionRefusal;
use crate::error::HostTrap;
use crate::sandbox::HostState;

/// A call's answer: a trap, or the client's result.
type Answer<T> = wasmtime::Result<Result<T, SqlError>>;

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
        let by = (std::time::Instant::now() + usage.limits().statement_timeout).min(self.deadline);
        tokio::time::Instant::from_std(by)
    }

    #[tracing::instrument(name = "open", level = "debug", skip(self))]
    fn sql_open(&mut self, conn_id: String) -> Answer<Resource<Session>> {
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
            allowed: &self.egress.egress.allowed,
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

    #[tracing::instrument(name = "query", level = "debug", skip(self, params))]
    fn sql_query(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> Answer<RowSet> {
        let usage = self.sql_usage("sql.query")?;
        let by = self.statement_by(&usage);
        let session = self.table().get(&res)?;
        Ok(in_tokio(session.query(&usage, by, &statement, &params)))
    }

    #[tracing::instrument(name = "query_stream", level = "debug", skip(self, params))]
    fn sql_query_stream(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> Answer<Resource<RowStream>> {
        let usage = self.sql_usage("sql.query-stream")?;
        let by = self.statement_by(&usage);
        let session = self.table().get(&res)?;
        match in_tokio(session.query_stream(usage, by, statement, params)) {
            Ok(stream) => Ok(Ok(self.table().push(stream)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    #[tracing::instrument(name = "execute", level = "debug", skip(self, params))]
    fn sql_execute(
        &mut self,
        res: Resource<Session>,
        statement: String,
        params: Vec<SqlValue>,
    ) -> Answer<u64> {
        let usage = self.sql_usage("sql.execute")?;
        let by = self.statement_by(&usage);
        let session = self.table().get(&res)?;
        Ok(in_tokio(session.execute(&usage, by, &statement, &params)))
    }

    /// `BEGIN`, `COMMIT` or `ROLLBACK` on the session `res`: one that does not fit the
    /// session's state is refused before the attempt's deadline is checked.
    fn sql_transaction(&mut self, res: Resource<Session>, statement: &'static str) -> Answer<()> {
        if let Err(e) = self.table().get(&res)?.check_transaction(statement) {
            return Ok(Err(e));
        }
        let usage = self.sql_usage("sql.session")?;
        let by = self.statement_by(&usage);
        let session = self.table().get_mut(&res)?;
        Ok(in_tokio(session.transaction(&usage, by, statement)))
    }

    fn sql_session_drop(&mut self, res: Resource<Session>) -> wasmtime::Result<()> {
        let session = self.table().delete(res)?;
        in_tokio(session.close());
        Ok(())
    }

    fn sql_columns(&mut self, res: Resource<RowStream>) -> wasmtime::Result<Vec<Column>> {
        self.check_deadline()?;
        Ok(self.table().get(&res)?.columns().to_vec())
    }

    #[tracing::instrument(name = "next", level = "debug", skip(self))]
    fn sql_next(&mut self, res: Resource<RowStream>, max: u32) -> Answer<Vec<Row>> {
        self.check_deadline()?;
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let stream = self.table().get_mut(&res)?;
        match in_tokio(async { tokio::time::timeout_at(deadline, stream.next(max)).await }) {
            Ok(result) => Ok(result),
            Err(_) => Err(wasmtime::Error::new(HostTrap::Deadline)),
        }
    }

    fn sql_stream_drop(&mut self, res: Resource<RowStream>) -> wasmtime::Result<()> {
        let mut stream = self.table().delete(res)?;
        in_tokio(stream.stop());
        Ok(())
    }
}

/// Adds `sql` to `linker`, in every world version that has it (0.2.0 on).
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_2, sql);
    Ok(())
}
