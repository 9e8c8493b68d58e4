//! Starts a Redis and a PostgreSQL server, prints their ports as `PORT=<n>` lines, and exits
//! without stopping them. The testkit's own test runs it to prove that servers stop when the
//! process that started them ends, however it ends.

use weft_testkit::{PostgresServer, RedisServer, port_open};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let redis: &'static RedisServer = Box::leak(Box::new(RedisServer::start()?));
    let postgres: &'static PostgresServer = Box::leak(Box::new(PostgresServer::start()?));
    for port in [redis.port(), postgres.port()] {
        let port = port.ok_or("a server has no port")?;
        if !port_open(port) {
            return Err(format!("port {port} is not open").into());
        }
        println!("PORT={port}");
    }
    // Exit at once: no destructor runs.
    std::process::exit(0);
}
