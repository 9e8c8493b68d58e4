//! The [`Bus`]: a Redis server, a key namespace, and the connections to reach it.

use std::time::Duration;
use weft_tls::Trust;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisError};

use crate::error::{BusError, redact};

/// How long a plain command may take before it counts as failed.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A handle on the bus: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Bus {
    client: Client,
    commands: ConnectionManager,
    namespace: String,
    url: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("url", &self.url)
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
        let shown = redact(url);
        if namespace.is_empty() || namespace.contains(char::is_whitespace) {
            return Err(BusError::BadUrl {
                url: shown,
                reason: format!("namespace {namespace:?} must be non-empty without spaces"),
            });
        }
        let client = trust.redis_client(url).map_err(|e| BusError::BadUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(2);
        let commands = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| unavailable(&shown, &e))?;
        Ok(Bus {
            client,
            commands,
            namespace: namespace.to_owned(),
            url: shown,
        })
    }

    /// The connection for ordinary (non-blocking) commands.
    pub(crate) fn commands(&self) -> ConnectionManager {
        self.commands.clone()
    }

    /// A connection of its own, for blocking reads (which would hold up every other command
    /// on a shared connection). Its answers may take up to `block` plus the usual timeout.
    pub(crate) async fn blocking(
        &self,
        block: Duration,
    ) -> Result<MultiplexedConnection, BusError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(block + COMMAND_TIMEOUT));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.unavailable(&e))
    }

    /// The key of one of the bus's streams or lists.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}:bus:{name}", self.namespace)
    }

    /// The key namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The server's URL, password hidden.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn unavailable(&self, e: &RedisError) -> BusError {
        unavailable(&self.url, e)
    }
}

fn unavailable(url: &str, e: &RedisError) -> BusError {
    BusError::Unavailable {
        url: url.to_owned(),
        source: e.clone(),
    }
}

/// The reports streams: one per tenant, `{namespace}:bus:reports:<tenant>`.
pub(crate) const REPORTS: &str = "reports";

impl Bus {
    /// The key of `tenant`'s reports stream. Each tenant's reports travel on a stream of their
    /// own, so that a worker's Redis user, which may add to its tenants' streams only, can
    /// trim, delete or reorder no other tenant's reports.
    pub(crate) fn reports_key(&self, tenant: &str) -> String {
        self.key(&format!("{REPORTS}:{tenant}"))
    }
}

/// The ACL rules a worker's Redis user needs on the bus of `escaped_namespace` (the namespace
/// with its glob characters escaped) to report on the attempts of `tenants` (names checked
/// by the caller, without glob characters): `XADD` to those tenants' report streams, which
/// it may write but not read, and nothing else.
///
/// The rules are one ACL selector, so that they grant `XADD` and only `XADD` on those keys
/// whatever other commands the user's root rules allow (the queue's commands include `DEL`
/// and `SET`, which would otherwise reach the streams too). `XADD` with `MAXLEN` or `MINID`,
/// or with an ID of its own, still trims or blocks the stream it writes: a tenant's user can
/// harm its own tenants' reports that way, never another tenant's. A worker reads no other
/// worker's reports, and what it writes is taken only with the keys of the attempts it was
/// handed. Needs Redis 7 (selectors).
pub fn worker_acl_rules(escaped_namespace: &str, tenants: &[String]) -> Vec<String> {
    if tenants.is_empty() {
        return Vec::new();
    }
    let keys: Vec<String> = tenants
        .iter()
        .map(|tenant| format!("%W~{escaped_namespace}:bus:{REPORTS}:{tenant}"))
        .collect();
    vec![format!("({} +xadd)", keys.join(" "))]
}
/// The control stream (notices and commands).
pub(crate) const CONTROL: &str = "control";
/// The stream of runs that ended.
pub(crate) const ENDED: &str = "ended";
/// The consumer group of schedulers on the reports stream.
pub(crate) const GROUP: &str = "schedulers";
/// Lists that carry answers to commands: `{namespace}:bus:reply:<id>`.
pub(crate) const REPLY_PREFIX: &str = "reply:";
