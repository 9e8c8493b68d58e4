//! The [`Bus`]: a Redis server reached through the shared transport (`weft_redis`, which
//! connects, reconnects and hides the URL's password), and a key namespace.

use std::time::Duration;
use weft_tls::Trust;

use redis::RedisError;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use weft_redis::{Link, OpenError, Policy, redact};

use crate::error::BusError;

/// How long a plain command may take before it counts as failed.
pub(crate) const COMMAND_TIMEOUT: Duration = Policy::BUS.response_timeout;

/// A handle on the bus: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Bus {
    link: Link,
    namespace: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("url", &self.url())
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// The bus on the Redis server at `url`, under keys `{namespace}:bus:…`. Connects at once,
    /// so a wrong URL or an unreachable server is reported here.
    pub async fn connect(url: &str, namespace: &str) -> Result<Bus, BusError> {
        Self::connect_trusting(url, namespace, &Trust::default()).await
    }

    /// [`Bus::connect`], trusting `trust`'s certificates over `rediss://`.
    pub async fn connect_trusting(
        url: &str,
        namespace: &str,
        trust: &Trust,
    ) -> Result<Bus, BusError> {
        if namespace.is_empty() || namespace.contains(char::is_whitespace) {
            return Err(BusError::BadUrl {
                url: redact(url),
                reason: format!("namespace {namespace:?} must be non-empty without spaces"),
            });
        }
        let link = Link::open(url, trust, Policy::BUS)
            .await
            .map_err(|e| match e {
                OpenError::BadUrl(bad) => BusError::BadUrl {
                    url: bad.url,
                    reason: bad.source.to_string(),
                },
                OpenError::Connect { url, source } => BusError::Unavailable { url, source },
            })?;
        Ok(Bus {
            link,
            namespace: namespace.to_owned(),
        })
    }

    /// The connection for ordinary (non-blocking) commands.
    pub(crate) fn commands(&self) -> ConnectionManager {
        self.link.shared()
    }

    /// A connection of its own, for blocking reads (which would hold up every other command
    /// on a shared connection). Its answers may take up to `block` plus the usual timeout.
    pub(crate) async fn blocking(
        &self,
        block: Duration,
    ) -> Result<MultiplexedConnection, BusError> {
        self.link
            .dedicated(Some(block + COMMAND_TIMEOUT))
            .await
            .map_err(|e| self.unavailable(&e))
    }

    /// The key of one of the bus's streams or lists.
    pub(crate) fn key(&self, name: &str) -> String {
        weft_redis::keys::bus_key(&self.namespace, name)
    }

    /// The key namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The server's URL, password hidden.
    pub fn url(&self) -> &str {
        self.link.url()
    }

    /// The error of Redis error `e`, naming the server without its password.
    pub(crate) fn unavailable(&self, e: &RedisError) -> BusError {
        BusError::Unavailable {
            url: self.url().to_owned(),
            source: e.clone(),
        }
    }

    /// The key of `tenant`'s reports stream (see `weft_redis::keys::reports_stream`).
    pub(crate) fn reports_key(&self, tenant: &str) -> String {
        weft_redis::keys::reports_stream(&self.namespace, tenant)
    }
}

/// The control stream (notices and commands).
pub(crate) const CONTROL: &str = "control";
/// The stream of runs that ended.
pub(crate) const ENDED: &str = "ended";
/// The consumer group of schedulers on the reports stream.
pub(crate) const GROUP: &str = "schedulers";
/// Lists that carry answers to commands: `{namespace}:bus:reply:<id>`.
pub(crate) const REPLY_PREFIX: &str = "reply:";
