//! What TLS on every link costs: a second distributed installation whose API server answers
//! over HTTPS, whose Redis speaks TLS only (`rediss://`) and whose PostgreSQL refuses
//! connections without TLS (`sslmode=verify-full`), all under a CA made for the run, measured
//! on the latency scenarios beside the plain installation's figures.

use weft_testkit::tls::TestCa;
use weft_testkit::{PostgresServer, RedisServer};

use crate::dags::Sizes;
use crate::error::BenchError;
use crate::figure::Figure;
use crate::figures::TlsResults;
use crate::install::{Backends, InstallOptions, Installation, LinkTls};
use crate::scenarios;

/// Start the TLS-only services and installation under `options.dir/tls`, run the latency
/// scenarios, and stop everything.
pub fn measure(options: &InstallOptions, sizes: &Sizes) -> TlsResults {
    match start_and_measure(options, sizes) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("    cannot start: {e}");
            TlsResults::all_failed(&format!("cannot start: {e}"))
        }
    }
}

fn start_and_measure(options: &InstallOptions, sizes: &Sizes) -> Result<TlsResults, BenchError> {
    eprintln!("==> distributed over TLS: a CA, PostgreSQL and Redis that speak TLS only");
    let ca = TestCa::new()?;
    let files = ca.server_files(&["localhost"])?;
    let postgres = PostgresServer::start_tls(&files)?;
    let redis = RedisServer::start_tls(&files)?;
    // The database URL names the CA itself; the processes also trust it through
    // WEFT_CA_FILE, as the README's TLS section sets them up.
    let backends = Backends {
        database_url: postgres.try_fresh_database()?,
        redis_url: redis.url().to_owned(),
        namespace: weft_testkit::unique_name("bench-tls"),
    };
    let tls = LinkTls {
        cert: files.cert.clone(),
        key: files.key.clone(),
        ca: files.ca.clone(),
    };
    let options = InstallOptions {
        dir: options.dir.join("tls"),
        ..options.clone()
    };
    eprintln!("==> distributed over TLS: starting wfctl server (HTTPS), scheduler and worker");
    let mut installation = Installation::distributed(&options, &backends, Some(&tls))?;
    let results = scenarios::run_latency(&mut installation, "distributed over TLS", sizes);
    eprintln!("==> distributed over TLS: stopping");
    installation.stop();
    Ok(results)
    // The servers stop here, when `redis` and `postgres` are dropped.
}

/// The mode of the figures of the distributed installation with TLS on every link.
pub const TLS: &str = "tls";

/// The TLS installation's figures: its round trips and chain40, beside the plain ones.
pub fn rows(results: &TlsResults, sizes: &Sizes) -> Vec<Figure> {
    let mut all = scenarios::round_trip_rows(TLS, &results.round_trip, sizes.round_trips, None);
    all.extend(scenarios::chain_rows(TLS, &results.chain40, sizes, None));
    all
}
