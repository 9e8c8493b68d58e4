//! Waiting for a peer at start: the processes of an installation (`wfctl server`, `scheduler`,
//! `worker`) come up in any order, so each one tries the peers it needs (PostgreSQL, Redis,
//! the API server) again and again, with capped exponential backoff and jitter, until they
//! answer.
//!
//! [`wait_for`] says which peer it waits for and at which address (never a password: see
//! [`address`]), with the last error, and says again when the peer is up. It gives up only on
//! errors that retrying cannot fix ([`Transient`] tells them apart): a refused token, a
//! malformed URL, a failed migration. Those end the command with a clear message.
//!
//! The policy lives here, at the binary's edge, rather than in a library: the store, queue,
//! bus and worker crates connect once and say through their typed errors whether a retry may
//! help; only the command knows that waiting is the right answer at start.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use weft_bus::BusError;
use weft_queue::QueueError;
#[cfg(feature = "control-plane")]
use weft_store::StoreError;
use weft_worker::PlaneError;

/// The first delay between two attempts.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest delay between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(5);
/// While a peer stays away, how often the wait is reported again, at warn level.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// Whether an error may go away by itself: the peer is not up yet, restarting or busy.
pub trait Transient: Error + Send + Sync + 'static {
    /// True when the same attempt may succeed later.
    fn is_transient(&self) -> bool;
}

#[cfg(feature = "control-plane")]
impl Transient for StoreError {
    /// The database cannot be reached or is busy; not a bad URL, a refused password or a
    /// failed migration.
    fn is_transient(&self) -> bool {
        self.is_retriable()
    }
}

impl Transient for QueueError {
    /// Redis cannot be reached, is loading or busy; not a bad URL or a refused password.
    fn is_transient(&self) -> bool {
        self.is_retriable()
    }
}

impl Transient for BusError {
    /// Redis cannot be reached; not a bad URL or namespace.
    fn is_transient(&self) -> bool {
        matches!(self, BusError::Unavailable { .. })
    }
}

impl Transient for PlaneError {
    /// The API server cannot be reached or failed; not a refused worker token (401, 403)
    /// nor a URL where no worker API answers (404).
    fn is_transient(&self) -> bool {
        self.is_retriable()
    }
}

/// A peer a process needs at start: what it is and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// What it is, for people: "PostgreSQL", "Redis", "the API server".
    name: &'static str,
    /// Its URL, without password or query (see [`address`]).
    address: String,
}

impl Peer {
    /// The peer `name` at `url`; the URL's password and query are never shown.
    pub fn new(name: &'static str, url: &str) -> Peer {
        Peer {
            name,
            address: address(url),
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.name, self.address)
    }
}

/// Waiting ended without the peer: its last error cannot be fixed by trying again.
#[derive(Debug, thiserror::Error)]
#[error("cannot use {peer}")]
pub struct GaveUp<E: Error + 'static> {
    /// The peer waited for.
    pub peer: Peer,
    /// Why it cannot be used.
    #[source]
    pub source: E,
}

/// Delays between attempts: from `first`, doubling up to `cap`, each one jittered.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    cap: Duration,
}

impl Default for Backoff {
    /// [`FIRST_DELAY`] doubling to [`MAX_DELAY`].
    fn default() -> Backoff {
        Backoff::new(FIRST_DELAY, MAX_DELAY)
    }
}

impl Backoff {
    /// Delays from `first`, doubling up to `cap`.
    pub fn new(first: Duration, cap: Duration) -> Backoff {
        Backoff {
            next: first.min(cap),
            cap,
        }
    }

    /// The next delay, given `unit` in `[0, 1]` (a random number in use): between half the
    /// step's delay (`unit` 0) and all of it (`unit` 1), so processes started together do
    /// not knock on a peer in step, and never longer than the cap.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let step = self.next;
        self.next = step.saturating_mul(2).min(self.cap);
        let half = step / 2;
        half + (step - half).mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// A random number in `[0, 1)`, without a random-number dependency: std's randomly keyed
/// hasher (new keys on every call) over the time.
fn random_unit() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let bits = RandomState::new().hash_one(nanos) >> 11;
    // 53 bits, exactly representable, divided by 2^53.
    bits as f64 / (1u64 << 53) as f64
}

/// Try `connect` until it succeeds, waiting between attempts with a [`Backoff::default`];
/// its value, or the first error retrying cannot fix.
pub async fn wait_for<T, E, F, Fut>(peer: &Peer, connect: F) -> Result<T, GaveUp<E>>
where
    E: Transient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    wait_with(
        peer,
        connect,
        Backoff::default(),
        random_unit,
        tokio::time::sleep,
    )
    .await
}

/// [`wait_for`] with the backoff, the jitter and the sleep given (tests sleep in no time).
async fn wait_with<T, E, F, Fut, S, SleepFut>(
    peer: &Peer,
    mut connect: F,
    mut backoff: Backoff,
    mut jitter: impl FnMut() -> f64,
    mut sleep: S,
) -> Result<T, GaveUp<E>>
where
    E: Transient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    S: FnMut(Duration) -> SleepFut,
    SleepFut: Future<Output = ()>,
{
    let started = Instant::now();
    let mut reported = started;
    let mut attempts: u64 = 0;
    loop {
        attempts += 1;
        let error = match connect().await {
            Ok(value) => {
                if attempts > 1 {
                    tracing::info!(
                        attempts,
                        waited = ?started.elapsed(),
                        "{peer} is up, carrying on"
                    );
                }
                return Ok(value);
            }
            Err(e) if !e.is_transient() => {
                return Err(GaveUp {
                    peer: peer.clone(),
                    source: e,
                });
            }
            Err(e) => e,
        };
        let delay = backoff.next_delay(jitter());
        let error = chain(&error);
        if attempts == 1 {
            tracing::info!(%error, "waiting for {peer}");
        } else if reported.elapsed() >= REPORT_EVERY {
            reported = Instant::now();
            tracing::warn!(
                %error,
                attempts,
                waited = ?started.elapsed(),
                "still waiting for {peer}"
            );
        } else {
            tracing::debug!(%error, attempts, next_in = ?delay, "waiting for {peer}");
        }
        sleep(delay).await;
    }
}

/// `error` and its sources, joined by `: ` (an error's own message often leaves out why,
/// which its source says: "connection refused").
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}

/// `url` as it may be shown: a password in it replaced by `***`, and a query (which may
/// carry one, as PostgreSQL's `?password=` does) left out.
pub fn address(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{}?…", weft_redis::redact(base)),
        None => weft_redis::redact(url),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// An error whose transience the test chooses.
    #[derive(Debug, thiserror::Error)]
    #[error("{message}")]
    struct Flaky {
        message: &'static str,
        transient: bool,
        #[source]
        source: Option<std::io::Error>,
    }

    impl Transient for Flaky {
        fn is_transient(&self) -> bool {
            self.transient
        }
    }

    fn down() -> Flaky {
        Flaky {
            message: "cannot connect",
            transient: true,
            source: Some(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            )),
        }
    }

    fn millis(delays: &[Duration]) -> Vec<u128> {
        delays.iter().map(Duration::as_millis).collect()
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let whole: Vec<Duration> = (0..9).map(|_| backoff.next_delay(1.0)).collect();
        assert_eq!(
            millis(&whole),
            [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]
        );
        let mut backoff = Backoff::default();
        let half: Vec<Duration> = (0..8).map(|_| backoff.next_delay(0.0)).collect();
        assert_eq!(millis(&half), [50, 100, 200, 400, 800, 1600, 2500, 2500]);
    }

    #[test]
    fn jitter_stays_between_half_and_the_whole_step() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        let mut step = Duration::from_millis(100);
        for _ in 0..20 {
            let delay = backoff.next_delay(random_unit());
            assert!(delay >= step / 2 && delay <= step, "{delay:?} for {step:?}");
            step = (step * 2).min(Duration::from_secs(5));
        }
        // Out-of-range units are clamped; a first delay beyond the cap is capped.
        let mut backoff = Backoff::new(Duration::from_secs(9), Duration::from_secs(5));
        assert_eq!(backoff.next_delay(7.0), Duration::from_secs(5));
        assert_eq!(backoff.next_delay(-1.0), Duration::from_millis(2500));
        let units: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(units.iter().any(|u| *u != units[0]), "{units:?}");
    }

    #[tokio::test]
    async fn waits_with_backoff_until_the_peer_answers() {
        let peer = Peer::new("Redis", "redis://127.0.0.1:6379");
        let attempts = RefCell::new(0);
        let slept = RefCell::new(Vec::new());
        let value = wait_with(
            &peer,
            || {
                *attempts.borrow_mut() += 1;
                let n = *attempts.borrow();
                async move { if n < 9 { Err(down()) } else { Ok(n) } }
            },
            Backoff::default(),
            || 1.0,
            |d| {
                slept.borrow_mut().push(d);
                async {}
            },
        )
        .await
        .expect("the peer comes up");
        assert_eq!(value, 9);
        assert_eq!(
            millis(&slept.borrow()),
            [100, 200, 400, 800, 1600, 3200, 5000, 5000]
        );
    }

    #[tokio::test]
    async fn gives_up_at_once_on_an_error_retrying_cannot_fix() {
        let peer = Peer::new("the API server", "http://user:secret@control:8080");
        let attempts = RefCell::new(0);
        let slept = RefCell::new(Vec::new());
        let result: Result<(), _> = wait_with(
            &peer,
            || {
                *attempts.borrow_mut() += 1;
                let n = *attempts.borrow();
                async move {
                    if n < 3 {
                        Err(down())
                    } else {
                        Err(Flaky {
                            message: "refused: the API server refused the worker token",
                            transient: false,
                            source: None,
                        })
                    }
                }
            },
            Backoff::default(),
            || 0.0,
            |d| {
                slept.borrow_mut().push(d);
                async {}
            },
        )
        .await;
        let e = result.expect_err("a refusal ends the wait");
        assert_eq!(*attempts.borrow(), 3);
        assert_eq!(millis(&slept.borrow()), [50, 100]);
        assert_eq!(
            e.to_string(),
            "cannot use the API server at http://user:***@control:8080"
        );
        assert_eq!(
            chain(&e),
            "cannot use the API server at http://user:***@control:8080: \
             refused: the API server refused the worker token"
        );
    }

    #[test]
    fn chains_name_the_cause_once() {
        assert_eq!(chain(&down()), "cannot connect: connection refused");
        let repeated = Flaky {
            message: "io: connection refused",
            transient: true,
            source: Some(std::io::Error::other("connection refused")),
        };
        assert_eq!(chain(&repeated), "io: connection refused");
    }

    #[test]
    fn addresses_never_show_a_password() {
        assert_eq!(
            address("postgres://weft:secret@db:5432/weft"),
            "postgres://weft:***@db:5432/weft"
        );
        assert_eq!(
            address("postgres://db/weft?password=secret&sslmode=disable"),
            "postgres://db/weft?…"
        );
        assert_eq!(address("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        // A lone user info may be a password (`redis://secret@host`): hidden too.
        assert_eq!(address("redis://secret@r/0?a=b@c"), "redis://***@r/0?…");
        assert_eq!(
            Peer::new("Redis", "redis://:pw@r:6379/0").to_string(),
            "Redis at redis://:***@r:6379/0"
        );
    }
}
