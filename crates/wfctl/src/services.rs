//! What the long-running commands (`standalone`, `server`, `scheduler`, `worker`) share:
//! the async runtime, the metadata store, the Redis queue and bus (each waited for at start
//! until it answers, see [`waiting`]), and shutdown signals.

use std::sync::Arc;
use std::time::Duration;

use weft_bus::Bus;
use weft_queue::RedisQueue;
use weft_store::{PostgresStore, SqliteStore, Store, StoreError};

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

/// The metadata store at `database`: a `postgres://` URL, waited for until the server answers
/// and the schema is up to date (see [`waiting`]), or `sqlite:PATH`.
pub async fn open_store(database: &str) -> Result<Arc<dyn Store>, Failure> {
    if let Some(path) = database.strip_prefix("sqlite:") {
        let store = SqliteStore::open(std::path::Path::new(path))
            .await
            .map_err(|e| Failure::usage(format!("cannot open the SQLite database {path}: {e}")))?;
        return Ok(Arc::new(store));
    }
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let peer = Peer::new("PostgreSQL", database);
        let store = waiting::wait_for(&peer, || async move {
            if let Some((host, port)) = tcp_address(database) {
                reachable(&host, port).await?;
            }
            PostgresStore::connect(database).await
        })
        .await
        .map_err(|e| Failure::usage(waiting::chain(&e)))?;
        return Ok(Arc::new(store));
    }
    Err(Failure::usage(format!(
        "--database {:?} is neither a postgres:// URL nor sqlite:PATH",
        waiting::address(database)
    )))
}

/// Where the server of a PostgreSQL URL listens, when the URL names one TCP host: its host and
/// port (5432 unless given). `None` for a Unix socket, several hosts or a `host=` parameter.
fn tcp_address(url: &str) -> Option<(String, u16)> {
    let (_, rest) = url.split_once("://")?;
    if rest
        .split_once('?')
        .is_some_and(|(_, query)| query.contains("host="))
    {
        return None;
    }
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() || host_port.contains(',') || host_port.starts_with('%') {
        return None;
    }
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => 5432,
    };
    Some((host.to_owned(), port))
}

/// Whether a TCP connection to `host:port` opens within a few seconds. The pool of
/// [`PostgresStore::connect`] keeps trying a refused connection for its whole acquire
/// timeout and then says only that it timed out; this says why, at once.
async fn reachable(host: &str, port: u16) -> Result<(), StoreError> {
    let connecting = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(PROBE_TIMEOUT, connecting).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(StoreError::Unavailable(format!(
            "cannot reach {host}:{port}: {e}"
        ))),
        Err(_) => Err(StoreError::Unavailable(format!(
            "cannot reach {host}:{port}: no answer within {PROBE_TIMEOUT:?}"
        ))),
    }
}

/// How long [`reachable`] waits for a TCP connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The Redis queue at `url`, keys under `namespace`, waited for until Redis answers.
pub async fn redis_queue(url: &str, namespace: &str) -> Result<Arc<RedisQueue>, Failure> {
    waiting::wait_for(&Peer::new("Redis", url), || {
        RedisQueue::connect(url, namespace)
    })
    .await
    .map(Arc::new)
    .map_err(|e| Failure::usage(waiting::chain(&e)))
}

/// The bus at `url`, keys under `namespace`, waited for until Redis answers.
pub async fn bus(url: &str, namespace: &str) -> Result<Bus, Failure> {
    waiting::wait_for(&Peer::new("Redis", url), || Bus::connect(url, namespace))
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
mod tests {
    use super::{Failure, open_store, redis_queue, tcp_address};

    /// The message of a usage failure.
    fn message<T>(result: Result<T, Failure>) -> String {
        match result {
            Err(Failure::Usage(message)) => message,
            Err(Failure::Failed) => panic!("a usage failure was expected"),
            Ok(_) => panic!("a malformed URL was accepted"),
        }
    }

    #[tokio::test]
    async fn malformed_urls_are_not_waited_for() {
        let text = message(open_store("postgres://weft:secret@db:port/weft").await);
        assert!(
            text.starts_with("cannot use PostgreSQL at postgres://weft:***@db:port/weft: "),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        let text = message(redis_queue("redis://:secret@127.0.0.1:port", "weft").await);
        assert!(
            text.starts_with("cannot use Redis at redis://:***@"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn postgres_urls_name_their_tcp_host() {
        let at = |host: &str, port| Some((host.to_owned(), port));
        assert_eq!(
            tcp_address("postgres://weft:pw@db.example:6543/weft"),
            at("db.example", 6543)
        );
        assert_eq!(tcp_address("postgresql://db/weft"), at("db", 5432));
        assert_eq!(
            tcp_address("postgres://u@[::1]:5433/weft?sslmode=disable"),
            at("::1", 5433)
        );
        assert_eq!(tcp_address("postgres://u@[::1]/weft"), at("::1", 5432));
        // Unix sockets, several hosts and host parameters are left to the driver.
        assert_eq!(tcp_address("postgres:///weft"), None);
        assert_eq!(tcp_address("postgres://%2Fvar%2Frun/weft"), None);
        assert_eq!(tcp_address("postgres://a:5432,b:5432/weft"), None);
        assert_eq!(tcp_address("postgres://u@db/weft?host=/tmp"), None);
        assert_eq!(tcp_address("postgres://db:port/weft"), None);
    }
}
