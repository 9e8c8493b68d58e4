//! The secrets of one attempt: fetched once each from the [`TaskHost`] when first used,
//! masked in the attempt's log from then on, and put into outgoing requests in place of
//! `{{secret:NAME}}` by the egress proxy, so that a task can send a secret it never sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use weft_protocol::host_call::SecretRead;

use crate::call::{HostError, TaskHost};
use crate::log::LogBuffer;

/// Why a secret could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretError {
    #[error("secret {0:?} is not declared for this task")]
    NotDeclared(String),
    #[error("secret {0:?} does not exist")]
    NotFound(String),
    #[error("secrets unavailable: {0}")]
    Unavailable(String),
    #[error("the attempt's deadline passed")]
    Timeout,
}

/// The secrets a task declares, fetched on first use.
#[derive(Clone)]
pub(crate) struct SecretSource {
    host: Option<Arc<dyn TaskHost>>,
    declared: Arc<[String]>,
    fetched: Arc<Mutex<HashMap<String, String>>>,
    log: LogBuffer,
}

impl SecretSource {
    pub(crate) fn new(
        host: Option<Arc<dyn TaskHost>>,
        declared: Vec<String>,
        log: LogBuffer,
    ) -> SecretSource {
        SecretSource {
            host,
            declared: declared.into(),
            fetched: Arc::default(),
            log,
        }
    }

    /// The value of `name`, which the task must declare; masked in the log from now on.
    pub(crate) fn get(&self, name: &str, deadline: Instant) -> Result<String, SecretError> {
        if !self.declared.iter().any(|d| d == name) {
            return Err(SecretError::NotDeclared(name.to_owned()));
        }
        let mut fetched = self
            .fetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = fetched.get(name) {
            return Ok(value.clone());
        }
        let host = self
            .host
            .as_ref()
            .ok_or_else(|| SecretError::Unavailable("no task host".into()))?;
        let read = SecretRead {
            name: name.to_owned(),
        };
        let value = match host.ask(read, deadline) {
            Ok(Some(secret)) => secret.value,
            Ok(None) => return Err(SecretError::NotFound(name.to_owned())),
            Err(HostError::Timeout) => return Err(SecretError::Timeout),
            Err(HostError::Unavailable(why)) => return Err(SecretError::Unavailable(why)),
        };
        self.log.mask(&value);
        fetched.insert(name.to_owned(), value.clone());
        Ok(value)
    }
}

/// The proxy asks for the secrets a request names.
impl weft_egress::Secrets for SecretSource {
    fn get(&self, name: &str, deadline: Instant) -> Result<String, weft_egress::SecretError> {
        SecretSource::get(self, name, deadline).map_err(Into::into)
    }
}
