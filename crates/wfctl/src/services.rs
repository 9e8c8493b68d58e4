//! What the long-running commands (`standalone`, `server`, `scheduler`, `worker`) share:
//! the async runtime, the Redis queue and bus (each waited for at start until it answers, see
//! [`waiting`]), and shutdown signals. The metadata store, which a worker never opens, is in
//! [`metadata`](crate::metadata).

use std::sync::Arc;
use std::time::Duration;

use weft_bus::Bus;
use weft_queue::RedisQueue;
use weft_tls::Trust;

use crate::exit::{CommandResult, Failure};
use crate::waiting::{self, Peer};

/// The Redis server of an installation, and its key prefix.
#[derive(Debug, Clone, clap::Args)]
pub struct RedisArgs {
    /// The Redis server for queues and the bus: `redis://HOST:PORT`.
    #[arg(long, env = "WEFT_REDIS_URL")]
    pub redis: String,
    /// Prefix of every Redis key (the same for every process of one installation), so several
    /// installations can share one Redis.
    #[arg(long, env = "WEFT_REDIS_NAMESPACE", default_value = "weft")]
    pub namespace: String,
}

/// Run `main` on a multi-threaded tokio runtime.
pub fn block_on<F: std::future::Future<Output = CommandResult>>(main: F) -> CommandResult {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?
        .block_on(main)
}

/// The Redis queue at `url`, keys under `namespace`, waited for until Redis answers; over
/// `rediss://`, trusting `trust`.
pub async fn redis_queue(
    url: &str,
    namespace: &str,
    trust: &Trust,
) -> Result<Arc<RedisQueue>, Failure> {
    waiting::wait_for(&Peer::new("Redis", url), || {
        RedisQueue::connect_trusting(url, namespace, trust)
    })
    .await
    .map(Arc::new)
    .map_err(|e| Failure::usage(waiting::chain(&e)))
}

/// The bus at `url`, keys under `namespace`, waited for until Redis answers; over
/// `rediss://`, trusting `trust`.
pub async fn bus(url: &str, namespace: &str, trust: &Trust) -> Result<Bus, Failure> {
    waiting::wait_for(&Peer::new("Redis", url), || {
        Bus::connect_trusting(url, namespace, trust)
    })
    .await
    .map_err(|e| Failure::usage(waiting::chain(&e)))
}

/// Split a comma-separated list, dropping empty items.
pub fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Tenant names given comma-separated to `flag`: at least one, each a valid tenant name.
pub fn tenant_names(text: &str, flag: &str) -> Result<Vec<String>, Failure> {
    let names = list(text);
    if names.is_empty() {
        return Err(Failure::usage(format!("{flag} names no tenant")));
    }
    for name in &names {
        weft_model::tenancy::check_tenant_name(name)
            .map_err(|e| Failure::usage(format!("{flag}: {e}")))?;
    }
    Ok(names)
}

/// A duration given in seconds on the command line (fractions allowed).
pub fn seconds(value: f64, flag: &str) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Failure::usage(format!("{flag} must be a positive number of seconds")))
}

/// This machine's host name (`WEFT_HOSTNAME` wins, for tests that fake several machines).
pub fn hostname() -> String {
    std::env::var("WEFT_HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| crate::local_run::local_worker("").hostname)
}

/// A shutdown signal every task of a process can wait on.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<tokio::sync::Notify>, Arc<std::sync::atomic::AtomicBool>);

impl Shutdown {
    /// Resolves once [`Shutdown::trigger`] was called (also if it was called before).
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let this = self.clone();
        async move {
            loop {
                let notified = this.0.notified();
                if this.1.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                notified.await;
            }
        }
    }

    /// Tell every waiter to stop.
    pub fn trigger(&self) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        self.0.notify_waiters();
    }
}

/// Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{Failure, redis_queue};

    /// The message of a usage failure.
    pub(crate) fn message<T>(result: Result<T, Failure>) -> String {
        match result {
            Err(Failure::Usage(message)) => message,
            Err(Failure::Failed) => panic!("a usage failure was expected"),
            Ok(_) => panic!("a malformed URL was accepted"),
        }
    }

    #[tokio::test]
    async fn a_malformed_redis_url_is_not_waited_for() {
        let text = message(
            redis_queue(
                "redis://:secret@127.0.0.1:port",
                "weft",
                &weft_tls::Trust::default(),
            )
            .await,
        );
        assert!(
            text.starts_with("cannot use Redis at redis://:***@"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }
}
