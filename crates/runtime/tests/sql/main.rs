//! `weft:dag/sql` against the real PostgreSQL and MariaDB servers of scripts/services.sh
//! (`WEFT_TEST_POSTGRES_SQL_URL`, `WEFT_TEST_MYSQL_URL`): typed values both ways,
//! transactions, streams, timeouts cancelled on the server, caps, the egress policy, and
//! the password kept out of the guest.
//!
//! # Layout
//! - `fixture`: the servers, the connections of the task, running the probe;
//! - `statements`, `sessions`: the tests both servers run, each over a server;
//! - `postgres`, `mariadb`: those tests on each server, and what only one does;
//! - `connections`: which connections a task may open.

mod connections;
mod fixture;
mod mariadb;
mod postgres;
mod sessions;
mod statements;
#[path = "../support/task.rs"]
mod task;
