//! `weft:dag/connections` and `weft:dag/secrets`: what the task declares, fetched through
//! the [`TaskHost`](crate::TaskHost) and masked in the attempt's log from then on (a
//! connection's password and every string in its `extra`). The
//! password of a SQL connection (see [`crate::sql`]) stays in the host.

use weft_protocol::host_call::ConnectionRead;

use crate::call::HostError;
use crate::egress::secrets::SecretError;
use crate::error::HostTrap;
use crate::sandbox::HostState;

/// Why the attempt has no connection it asked for.
pub(super) enum ConnectionRefusal {
    /// Its task does not declare it.
    NotDeclared(String),
    /// None of that id is stored.
    NotFound(String),
    /// The control plane did not answer.
    Unavailable(String),
}

impl HostState {
    /// Connection `conn_id`, which the attempt's task must declare, read through the
    /// [`TaskHost`](crate::TaskHost) for call `what`; from then on its password and every
    /// string of its `extra` are masked in the attempt's log.
    pub(super) fn declared_connection(
        &mut self,
        what: &'static str,
        conn_id: &str,
    ) -> wasmtime::Result<Result<weft_protocol::Connection, ConnectionRefusal>> {
        let deadline = self.deadline;
        let attempt = self.attempt(what)?;
        let declared = attempt
            .dag
            .task(&attempt.context.task_id)
            .is_some_and(|t| t.resources.connections.iter().any(|c| c == conn_id));
        if !declared {
            return Ok(Err(ConnectionRefusal::NotDeclared(format!(
                "connection {conn_id:?} is not declared for task {:?}",
                attempt.context.task_id
            ))));
        }
        let read = ConnectionRead {
            conn_id: conn_id.to_owned(),
        };
        let found = match attempt.host.ask(read, deadline) {
            Ok(found) => found,
            Err(HostError::Timeout) => return Err(wasmtime::Error::new(HostTrap::Deadline)),
            Err(HostError::Unavailable(why)) => {
                return Ok(Err(ConnectionRefusal::Unavailable(why)));
            }
        };
        let Some(c) = found else {
            return Ok(Err(ConnectionRefusal::NotFound(format!(
                "connection {conn_id:?} does not exist"
            ))));
        };
        if let Some(password) = &c.password {
            self.log.mask(password);
        }
        self.log.mask_strings(&c.extra);
        Ok(Ok(c))
    }
}

/// The connections and secrets hosts of world version `$v` (their types are the same in
/// every version that has them).
macro_rules! access_host {
    ($v:ident) => {
        const _: () = {
            use crate::bindings::$v::types::{AccessError, Connection};

            impl crate::bindings::$v::weft::dag::connections::Host for HostState {
                #[tracing::instrument(level = "debug", skip(self))]
                fn get(
                    &mut self,
                    conn_id: String,
                ) -> wasmtime::Result<Result<Connection, AccessError>> {
                    self.check_deadline()?;
                    let c = match self.declared_connection("connections.get", &conn_id)? {
                        Ok(c) => c,
                        Err(ConnectionRefusal::NotDeclared(why)) => {
                            return Ok(Err(AccessError::NotDeclared(why)));
                        }
                        Err(ConnectionRefusal::NotFound(why)) => {
                            return Ok(Err(AccessError::NotFound(why)));
                        }
                        Err(ConnectionRefusal::Unavailable(why)) => {
                            return Ok(Err(AccessError::Unavailable(why)));
                        }
                    };
                    // SQL connections are host-held: tasks reach them through `sql`, which logs in for
                    // them, so their password never enters the guest.
                    let password = if weft_sql::host_held(&c.conn_type) {
                        None
                    } else {
                        c.password
                    };
                    Ok(Ok(Connection {
                        conn_id: c.conn_id,
                        conn_type: c.conn_type,
                        host: c.host,
                        port: c.port,
                        schema: c.schema,
                        login: c.login,
                        password,
                        extra: c.extra.to_string(),
                    }))
                }
            }

            impl crate::bindings::$v::weft::dag::secrets::Host for HostState {
                #[tracing::instrument(level = "debug", skip(self))]
                fn get(&mut self, name: String) -> wasmtime::Result<Result<String, AccessError>> {
                    self.check_deadline()?;
                    let deadline = self.deadline;
                    let attempt = self.attempt("secrets.get")?;
                    match attempt.secrets.get(&name, deadline) {
                        Ok(value) => Ok(Ok(value)),
                        Err(SecretError::Timeout) => Err(wasmtime::Error::new(HostTrap::Deadline)),
                        Err(e @ SecretError::NotDeclared(_)) => Ok(Err(AccessError::NotDeclared(
                            format!("{e} ({:?})", attempt.context.task_id),
                        ))),
                        Err(e @ SecretError::NotFound(_)) => {
                            Ok(Err(AccessError::NotFound(e.to_string())))
                        }
                        Err(SecretError::Unavailable(why)) => {
                            Ok(Err(AccessError::Unavailable(why)))
                        }
                    }
                }
            }
        };
    };
}

crate::bindings::worlds_from!(v0_2, access_host);

/// Adds the interfaces to `linker`, in every world version that has them.
pub(super) fn link(linker: &mut wasmtime::component::Linker<HostState>) -> wasmtime::Result<()> {
    crate::bindings::link_from!(linker, v0_2, connections, secrets);
    Ok(())
}
