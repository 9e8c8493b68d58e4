//! The host calls the worker client makes, one typed method each, for the tests that read
//! through the worker API as a worker does.

use weft_protocol::host_call::{ConnectionRead, SecretRead, VariableRead, XcomPull};
use weft_protocol::{AttemptRef, Connection};
use weft_worker::PlaneError;
use weft_worker::api::ApiClient;

/// One method per host call of [`ApiClient`].
#[allow(async_fn_in_trait)]
pub trait HostCalls {
    /// The XCom value `key` of task `task_id` in the attempt's run.
    async fn xcom(
        &self,
        attempt: AttemptRef,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError>;
    /// Variable `key` of the attempt's tenant.
    async fn variable(&self, attempt: AttemptRef, key: &str) -> Result<Option<String>, PlaneError>;
    /// Connection `conn_id`, which the attempt's task declares.
    async fn connection(
        &self,
        attempt: AttemptRef,
        conn_id: &str,
    ) -> Result<Option<Connection>, PlaneError>;
    /// The value of secret `name`, which the attempt's task declares.
    async fn secret(&self, attempt: AttemptRef, name: &str) -> Result<Option<String>, PlaneError>;
}

impl HostCalls for ApiClient {
    async fn xcom(
        &self,
        attempt: AttemptRef,
        task_id: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, PlaneError> {
        let pull = XcomPull {
            task_id: task_id.into(),
            key: key.into(),
        };
        Ok(self.ask(attempt, pull).await?.map(|bytes| bytes.0))
    }

    async fn variable(&self, attempt: AttemptRef, key: &str) -> Result<Option<String>, PlaneError> {
        self.ask(attempt, VariableRead { key: key.into() }).await
    }

    async fn connection(
        &self,
        attempt: AttemptRef,
        conn_id: &str,
    ) -> Result<Option<Connection>, PlaneError> {
        let read = ConnectionRead {
            conn_id: conn_id.into(),
        };
        self.ask(attempt, read).await
    }

    async fn secret(&self, attempt: AttemptRef, name: &str) -> Result<Option<String>, PlaneError> {
        let read = SecretRead { name: name.into() };
        Ok(self.ask(attempt, read).await?.map(|secret| secret.value))
    }
}
