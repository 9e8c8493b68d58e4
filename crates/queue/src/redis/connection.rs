//! Connections to the server: one shared, self-reconnecting multiplexed connection for the
//! scripts, and a pool of connections of their own for blocking waits. Every request has a
//! bounded time, and Redis errors become [`QueueError`]s naming the (password-free) URL:
//! unavailable (retriable), denied (the user's credentials or ACL), or failed.

use std::future::Future;
use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::StreamReadReply;
use redis::{
    AsyncConnectionConfig, ErrorKind, RedisError, RedisResult, ScriptInvocation, ServerErrorKind,
    Value,
};

use weft_tls::Trust;

use crate::error::{BadInput, QueueError};

/// How long one attempt to open a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the server may take to answer a script (a push of a large batch included).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// The hard bound on any one operation, reconnection attempts included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// How much longer than its block time a blocking wait may take to answer.
const BLOCK_SLACK: Duration = Duration::from_secs(5);
/// Idle blocking connections kept for later waits.
const MAX_IDLE: usize = 16;

/// What a wait with a script behind it answered: the streams that woke the wait (or why its
/// answer failed), and the script's answer.
pub(super) type WaitThenRan = (Result<Vec<String>, QueueError>, RedisResult<Value>);

/// The connections of one [`RedisQueue`](super::RedisQueue) and its clones.
pub(super) struct Connections {
    client: redis::Client,
    shared: ConnectionManager,
    /// The URL without its password, for messages.
    url: String,
    /// Connections for blocking commands, idle between waits.
    idle: Mutex<Vec<MultiplexedConnection>>,
}

impl Connections {
    /// Connects to `url`, trusting `trust`'s certificates over `rediss://`.
    pub(super) async fn open(url: &str, trust: &Trust) -> Result<Connections, QueueError> {
        let shown = redact(url);
        let client = trust.redis_client(url).map_err(|e| BadInput::BadUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let shared = bounded(connecting, OPERATION_TIMEOUT)
            .await
            .map_err(|e| classify(&format!("connecting to {shown}"), e))?;
        Ok(Connections {
            client,
            shared,
            url: shown,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The server's URL, without its password.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// The shared connection, to send a request on.
    pub(super) fn shared(&self) -> ConnectionManager {
        self.shared.clone()
    }

    /// Checks that the server answers (and accepts the credentials), writing nothing.
    pub(super) async fn ping(&self) -> Result<(), QueueError> {
        let mut connection = self.shared();
        self.run(
            "PING",
            redis::cmd("PING").query_async::<Value>(&mut connection),
        )
        .await
        .map(drop)
    }

    /// Runs `request` (operation `operation`) within the time bound.
    pub(super) async fn run<T>(
        &self,
        operation: &str,
        request: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, QueueError> {
        bounded(request, OPERATION_TIMEOUT)
            .await
            .map_err(|e| classify(&format!("{operation} on {}", self.url), e))
    }

    /// Blocks until one of `streams` has an entry after the matching id of `after`, or
    /// `block` passes: the streams that had (none when the time ran out).
    pub(super) async fn wait_for_signal(
        &self,
        streams: &[String],
        after: &[String],
        block: Duration,
    ) -> Result<Vec<String>, QueueError> {
        let (woken, _) = self.wait(streams, after, block, None).await?;
        woken
    }

    /// Waits as [`wait_for_signal`](Self::wait_for_signal) does, then runs `then` on the
    /// same connection: Redis runs it the moment the wait ends, in the wake-up that ends it,
    /// and sends both answers together. The script's own answer, an error of its own (say,
    /// a server that lost its scripts) included, comes beside the wait's, which may have
    /// failed on its own (an unreadable reply) while the script ran. The outer error is the
    /// request's: then neither answer came.
    pub(super) async fn wait_then_run(
        &self,
        streams: &[String],
        after: &[String],
        block: Duration,
        then: &ScriptInvocation<'_>,
    ) -> Result<WaitThenRan, QueueError> {
        self.wait(streams, after, block, Some(then)).await
    }

    async fn wait(
        &self,
        streams: &[String],
        after: &[String],
        block: Duration,
        then: Option<&ScriptInvocation<'_>>,
    ) -> Result<WaitThenRan, QueueError> {
        let millis = u64::try_from(block.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut request = redis::pipe();
        request
            .cmd("XREAD")
            .arg("BLOCK")
            .arg(millis)
            .arg("STREAMS")
            .arg(streams)
            .arg(after);
        if let Some(then) = then {
            request.invoke_script(then);
        }
        // The wait's own failure is the request's; the script's is told apart.
        request.ignore_errors();
        let limit = block + BLOCK_SLACK;
        let pooled = self.lock_idle().pop();
        let reused = pooled.is_some();
        let result = match pooled {
            Some(connection) => blocking(connection, &request, limit).await,
            None => self.blocking_then(&request, limit).await,
        };
        let result = match result {
            // An idle connection may have died with a server restart: try a new one once.
            // Not after a wait that ran out of time, which the server may have ended and
            // followed with the script. (A connection that failed after the server ran the
            // script loses its answer: what it took comes back when its lease runs out, as
            // for any request whose answer is lost.)
            Err(e) if reused && is_retriable(&e) && !e.is_timeout() => {
                self.blocking_then(&request, limit).await
            }
            other => other,
        };
        let what = || format!("waiting on {}", self.url);
        let (connection, replies) = result.map_err(|e| classify(&what(), e))?;
        // Kept for another wait: every answer of the request has been read.
        let mut idle = self.lock_idle();
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
        drop(idle);
        let mut replies = replies.into_iter();
        let woken = match replies.next() {
            Some(Ok(reply)) => redis::from_redis_value::<Option<StreamReadReply>>(reply)
                .map(|reply| {
                    reply
                        .map(|r| r.keys.into_iter().map(|k| k.key).collect())
                        .unwrap_or_default()
                })
                .map_err(|e| QueueError::Backend {
                    message: format!("{}: an unreadable XREAD reply", what()),
                    source: Some(Box::new(e)),
                }),
            Some(Err(e)) => Err(classify(&what(), e)),
            None => Err(QueueError::Backend {
                message: format!("{}: no XREAD reply", what()),
                source: None,
            }),
        };
        let ran = replies.next().unwrap_or_else(|| {
            Err(RedisError::from((
                ErrorKind::Client,
                "no answer to a script after the wait",
            )))
        });
        Ok((woken, ran))
    }

    /// Opens a new connection for blocking commands and sends `request` on it.
    async fn blocking_then(
        &self,
        request: &redis::Pipeline,
        limit: Duration,
    ) -> RedisResult<(MultiplexedConnection, Vec<RedisResult<Value>>)> {
        // No response timeout of the client's own: each blocking command has its own bound.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None);
        let connecting = self
            .client
            .get_multiplexed_async_connection_with_config(&config);
        let connection = bounded(connecting, CONNECT_TIMEOUT + BLOCK_SLACK).await?;
        blocking(connection, request, limit).await
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<MultiplexedConnection>> {
        // The list is valid whatever a panicking holder did.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends `request` (a blocking command first) on `connection` within `limit`: each command's
/// answer, and the connection, if it is fit to be used again.
async fn blocking(
    mut connection: MultiplexedConnection,
    request: &redis::Pipeline,
    limit: Duration,
) -> RedisResult<(MultiplexedConnection, Vec<RedisResult<Value>>)> {
    let replies = bounded(
        request.query_async::<Vec<RedisResult<Value>>>(&mut connection),
        limit,
    )
    .await?;
    Ok((connection, replies))
}

/// `request`, failing with a timed-out I/O error after `limit`.
async fn bounded<T>(
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

/// Whether the same request may succeed later: the server is unreachable, restarting,
/// loading, busy or out of memory.
pub(super) fn is_retriable(e: &RedisError) -> bool {
    e.is_io_error()
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::ReadOnly
            )
        )
        || matches!(e.code(), Some("BUSY" | "OOM"))
}

/// Whether the server refused the request for its user: wrong credentials, or a command or
/// key its ACL does not allow (also one run by a script).
pub(super) fn is_denied(e: &RedisError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::AuthenticationFailed | ErrorKind::Server(ServerErrorKind::NoPerm)
    ) || matches!(e.code(), Some("NOPERM" | "WRONGPASS" | "NOAUTH"))
        // Redis 7.0 reports what a script's user may not do as a plain ERR.
        || e
            .detail()
            .is_some_and(|d| d.starts_with("The user executing the script can't"))
}

/// The queue error for Redis error `e` while doing `what`.
pub(super) fn classify(what: &str, e: RedisError) -> QueueError {
    let retriable = is_retriable(&e);
    let denied = is_denied(&e);
    let message = what.to_owned();
    let source = Some(Box::new(e) as crate::error::BoxError);
    if retriable {
        QueueError::Unavailable { message, source }
    } else if denied {
        QueueError::Denied { message, source }
    } else {
        QueueError::Backend { message, source }
    }
}

/// `url` with its password (in the user info, or a `pass`/`password` query parameter)
/// replaced by `***`.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("***@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if matches!(name, "pass" | "password") => {
                        format!("{name}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
            format!("{path}?{}{fragment}", pairs.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}
