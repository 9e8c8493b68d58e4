//! The queue's use of its [`Link`] (weft-redis, which connects, reconnects and hides the
//! URL's password): the shared connection for the scripts, and a pool of connections of
//! their own for blocking waits. Every request has a bounded time, and Redis errors become
//! [`QueueError`]s naming the (password-free) URL: unavailable (retriable), denied (the
//! user's credentials or ACL), or failed.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::streams::StreamReadReply;
use redis::{ErrorKind, RedisError, RedisResult, ScriptInvocation, Value};
use weft_redis::{Link, OpenError, Policy, bounded, is_denied, is_retriable};
use weft_tls::Trust;

use crate::error::{BadInput, QueueError};

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
    link: Link,
    /// Connections for blocking commands, idle between waits.
    idle: Mutex<Vec<MultiplexedConnection>>,
}

impl Connections {
    /// Connects to `url`, trusting `trust`'s certificates over `rediss://`.
    pub(super) async fn open(url: &str, trust: &Trust) -> Result<Connections, QueueError> {
        let link = Link::open(url, trust, Policy::QUEUE)
            .await
            .map_err(|e| match e {
                OpenError::BadUrl(bad) => QueueError::from(BadInput::BadUrl {
                    url: bad.url,
                    reason: bad.source.to_string(),
                }),
                OpenError::Connect { url, source } => {
                    classify(&format!("connecting to {url}"), source)
                }
            })?;
        Ok(Connections {
            link,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The server's URL, without its password.
    pub(super) fn url(&self) -> &str {
        self.link.url()
    }

    /// The shared connection, to send a request on.
    pub(super) fn shared(&self) -> ConnectionManager {
        self.link.shared()
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
            .map_err(|e| classify(&format!("{operation} on {}", self.url()), e))
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
        let what = || format!("waiting on {}", self.url());
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
        let connecting = self.link.dedicated(None);
        let connect_limit = self.link.policy().connect_timeout + BLOCK_SLACK;
        let connection = bounded(connecting, connect_limit).await?;
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
