//! Test support for Weft's integration tests: real PostgreSQL, Redis and SMTP servers, and a
//! webhook receiver.
//!
//! [`PostgresServer::start`] runs `initdb` and `pg_ctl` in a temp dir (as the `postgres`
//! user when the tests run as root) and [`RedisServer::start`] runs `redis-server`, each on a
//! free loopback port. [`postgres()`] and [`redis()`] give one shared server per test process;
//! when `WEFT_TEST_POSTGRES_URL` / `WEFT_TEST_REDIS_URL` are set (scripts/services.sh does
//! that for a whole test run) those servers are used and nothing is started.
//!
//! # Stopping
//! A started server is stopped, and its directory removed, when its value is dropped — and
//! also when the test process ends without dropping it (a `static` is never dropped; a test
//! runner may call `exit`; a run may be killed). Each server has a watchdog: a small shell
//! process, in its own process group, blocked reading a pipe whose only write end this process
//! holds. The kernel closes that pipe when the process ends, however it ends, and the
//! watchdog then stops the server. No exit hook and no `unsafe` is needed.
//!
//! ```no_run
//! let url = weft_testkit::postgres().fresh_database();
//! assert!(url.starts_with("postgres://"));
//! ```
//!
//! # Layout
//! - [`postgres`](mod@postgres), [`redis`](mod@redis): the servers; `process`: finding and
//!   running programs, ports, the watchdog; [`error`]: errors.
//! - [`tls`]: a CA made at test time and the server certificates it signs.
//! - [`smtp`]: a real SMTP server (aiosmtpd) and [`webhook`]: an HTTP receiver, for
//!   notification tests.
//! - [`examples`]: where `wfctl build` leaves the repository's interpreted examples.

pub mod error;
pub mod examples;
pub mod postgres;
mod process;
pub mod redis;
pub mod smtp;
pub mod tls;
pub mod webhook;

use std::sync::OnceLock;

pub use error::{TestkitError, TestkitResult};
pub use postgres::{POSTGRES_URL_ENV, PostgresServer};
pub use process::{port_open, unique_name};
pub use redis::{REDIS_URL_ENV, RedisServer};

/// This process's shared PostgreSQL server (from `WEFT_TEST_POSTGRES_URL`, or started on
/// first use). Panics, saying what to install, when no server can be had.
pub fn postgres() -> &'static PostgresServer {
    static SERVER: OnceLock<PostgresServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        PostgresServer::from_env_or_start()
            .unwrap_or_else(|e| panic!("no PostgreSQL server for tests: {e}"))
    })
}

/// This process's shared Redis server (from `WEFT_TEST_REDIS_URL`, or started on first use).
/// Panics, saying what to install, when no server can be had.
pub fn redis() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        RedisServer::from_env_or_start()
            .unwrap_or_else(|e| panic!("no Redis server for tests: {e}"))
    })
}
