//! The connections to a Redis server: one shared, self-reconnecting multiplexed connection
//! for ordinary commands, and connections of their own for blocking commands (which would
//! hold up every other command on a shared one). How long connecting and answering may take,
//! and how a lost connection is opened again, is a [`Policy`].

use std::future::Future;
use std::io;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, RedisError, RedisResult};
use weft_tls::Trust;

use crate::url::{BadUrl, client, redact};

/// How long connecting and answering may take, and how a lost shared connection is opened
/// again: after `min_delay`, doubling each time up to `max_delay`, at most `retries` times
/// per command before the command fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long one attempt to open a connection may take.
    pub connect_timeout: Duration,
    /// How long the server may take to answer a command on the shared connection.
    pub response_timeout: Duration,
    /// How many times a lost shared connection is opened again before a command fails.
    pub retries: usize,
    /// The first delay before opening a lost connection again.
    pub min_delay: Duration,
    /// The longest delay between attempts (none: doubling without end).
    pub max_delay: Option<Duration>,
    /// The bound on opening the shared connection at start, its retries included (none:
    /// the retries' own).
    pub open_within: Option<Duration>,
}

impl Policy {
    /// The task queue's: tight, since each of its operations is bounded as a whole (15 s)
    /// and a worker or scheduler retries the operation itself.
    pub const QUEUE: Policy = Policy {
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_secs(10),
        retries: 1,
        min_delay: Duration::from_millis(50),
        max_delay: Some(Duration::from_millis(500)),
        open_within: Some(Duration::from_secs(15)),
    };

    /// The report bus's (and an administrator's commands'): a command fails after about
    /// three attempts, the bus's users (reports, notices) retrying or recovering on their
    /// own timers.
    pub const BUS: Policy = Policy {
        connect_timeout: Duration::from_secs(3),
        response_timeout: Duration::from_secs(5),
        retries: 2,
        min_delay: Duration::from_millis(100),
        max_delay: None,
        open_within: None,
    };
}

/// Why a link could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL cannot be used.
    #[error(transparent)]
    BadUrl(#[from] BadUrl),
    /// The server could not be reached, refused the credentials, or did not answer in time.
    #[error("connecting to {url}: {source}")]
    Connect {
        /// The server's URL, password hidden.
        url: String,
        /// What Redis (or the connection to it) said.
        #[source]
        source: RedisError,
    },
}

/// A Redis server and the shared connection to it. Cheap to clone: clones share the
/// connection, which opens itself again after the server restarts.
#[derive(Clone)]
pub struct Link {
    client: redis::Client,
    shared: ConnectionManager,
    /// The URL without its password, for messages.
    url: String,
    policy: Policy,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Connects to the server at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://…` over TLS, trusting `trust`) with `policy`. A URL that cannot be used is
    /// [`OpenError::BadUrl`]; a server that cannot be reached, or refuses the credentials,
    /// is [`OpenError::Connect`]. Neither names the password.
    pub async fn open(url: &str, trust: &Trust, policy: Policy) -> Result<Link, OpenError> {
        let client = client(url, trust)?;
        let url = redact(url);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(policy.connect_timeout))
            .set_response_timeout(Some(policy.response_timeout))
            .set_number_of_retries(policy.retries)
            .set_min_delay(policy.min_delay);
        let config = match policy.max_delay {
            Some(max) => config.set_max_delay(max),
            None => config,
        };
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let shared = match policy.open_within {
            Some(limit) => bounded(connecting, limit).await,
            None => connecting.await,
        };
        let shared = shared.map_err(|source| OpenError::Connect {
            url: url.clone(),
            source,
        })?;
        Ok(Link {
            client,
            shared,
            url,
            policy,
        })
    }

    /// The server's URL, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The shared connection, to send a command on.
    pub fn shared(&self) -> ConnectionManager {
        self.shared.clone()
    }

    /// A new connection of its own, for blocking commands, whose answers may take up to
    /// `response_timeout` (none: each blocking command bounds its own wait).
    pub async fn dedicated(
        &self,
        response_timeout: Option<Duration>,
    ) -> RedisResult<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.policy.connect_timeout))
            .set_response_timeout(response_timeout);
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// The policy the link was opened with.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

/// `request`, failing with a timed-out I/O error (retriable, see
/// [`is_retriable`](crate::is_retriable)) after `limit`.
pub async fn bounded<T>(
    request: impl Future<Output = RedisResult<T>>,
    limit: Duration,
) -> RedisResult<T> {
    match tokio::time::timeout(limit, request).await {
        Ok(result) => result,
        Err(_) => Err(RedisError::from(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer within {limit:?}"),
        ))),
    }
}
