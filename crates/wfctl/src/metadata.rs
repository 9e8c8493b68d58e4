//! The metadata store of the commands that hold one (`server`, `scheduler`): opened from
//! `--database`, and waited for at start until it answers; and the keys that seal its
//! connections and secrets, checked against it at start (`credentials_*`). Built only with the
//! `control-plane` feature: a worker's build links no database driver.

use std::sync::Arc;
use std::time::Duration;

use weft_store::{Credentials, PostgresStore, SqliteStore, Store, StoreError};
use weft_tls::Trust;
use weft_vault::{AttemptKeys, KeySettings};

use crate::exit::Failure;
use crate::waiting::{self, Peer};

/// The metadata store at `database`: a `postgres://` URL, waited for until the server answers
/// and the schema is up to date (see [`waiting`]), trusting `trust`'s CA file when the URL's
/// `sslmode` verifies the server; or `sqlite:PATH`.
pub async fn open_store(database: &str, trust: &Trust) -> Result<Arc<dyn Store>, Failure> {
    if let Some(path) = database.strip_prefix("sqlite:") {
        let store = SqliteStore::open(std::path::Path::new(path))
            .await
            .map_err(|e| Failure::usage(format!("cannot open the SQLite database {path}: {e}")))?;
        return Ok(Arc::new(store));
    }
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let ca = crate::postgres_tls::store_ca(database, trust)?;
        let peer = Peer::new("PostgreSQL", database);
        let store = waiting::wait_for(&peer, || async move {
            if let Some((host, port)) = tcp_address(database) {
                reachable(&host, port).await?;
            }
            PostgresStore::connect_trusting(database, weft_store::postgres::DEFAULT_CONNECTIONS, ca)
                .await
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

/// Connections and secrets of a distributed server: sealed with the key of
/// `WEFT_SECRET_KEY` or `WEFT_SECRET_KEY_FILE`, checked at start. Without a key the server
/// starts only while nothing sealed is stored (and refuses to store any), so that a key left
/// out of one server's settings stops that server at once rather than failing tasks later.
///
/// Also the attempt keys the server checks on worker API calls (none without a key).
pub async fn credentials_server(
    store: &Arc<dyn Store>,
) -> Result<(Credentials, Option<AttemptKeys>), Failure> {
    let (credentials, keys) = installation_key(store).await?;
    if keys.is_none() {
        tracing::warn!(
            "no WEFT_SECRET_KEY configured: connections and secrets cannot be stored on this \
             server, and worker API calls are taken on their task instance and lease alone"
        );
    }
    Ok((credentials, keys))
}

/// The attempt keys of a distributed scheduler: from the same secret key as the API
/// servers' (`WEFT_SECRET_KEY` or `WEFT_SECRET_KEY_FILE`), checked against the store at
/// start, so that a scheduler given another key than the installation's (or none, once the
/// installation has one) stops at once instead of issuing attempts every server refuses.
/// None (with a warning) in an installation without a key.
pub async fn attempt_keys_scheduler(
    store: &Arc<dyn Store>,
) -> Result<Option<AttemptKeys>, Failure> {
    let (_, keys) = installation_key(store).await?;
    if keys.is_none() {
        tracing::warn!(
            "no WEFT_SECRET_KEY configured: attempts carry no keys, so whoever can add to the \
             report stream in Redis can report on an attempt whose task instance and lease it knows"
        );
    }
    Ok(keys)
}

/// The installation's secret key as a distributed process holds it (`WEFT_SECRET_KEY` or
/// `WEFT_SECRET_KEY_FILE`, previous keys in `WEFT_SECRET_KEY_PREVIOUS`), checked against the
/// store: the credentials it seals with and the attempt keys made from it.
async fn installation_key(
    store: &Arc<dyn Store>,
) -> Result<(Credentials, Option<AttemptKeys>), Failure> {
    let keyring = KeySettings::from_env()
        .keyring()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let keys = keyring.as_ref().map(AttemptKeys::new);
    let credentials = checked(Credentials::new(store.clone(), keyring)).await?;
    Ok((credentials, keys))
}

/// `credentials` once their keys are checked against the store.
async fn checked(credentials: Credentials) -> Result<Credentials, Failure> {
    let check = credentials
        .check_keys(jiff::Timestamp::now())
        .await
        .map_err(|e| Failure::usage(format!("checking the secret key: {e}")))?;
    tracing::info!(current = ?check.current, in_use = ?check.in_use, "secret key checked");
    Ok(credentials)
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

#[cfg(test)]
mod tests {
    use super::{open_store, tcp_address};
    use crate::services::tests::message;

    #[tokio::test]
    async fn a_malformed_postgres_url_is_not_waited_for() {
        let text = message(
            open_store(
                "postgres://weft:secret@db:port/weft",
                &weft_tls::Trust::default(),
            )
            .await,
        );
        assert!(
            text.starts_with("cannot use PostgreSQL at postgres://weft:***@db:port/weft: "),
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
