//! A real PostgreSQL server for tests: `initdb` + `pg_ctl` in a temp dir on a free loopback
//! port with trust authentication, or a server named by `WEFT_TEST_POSTGRES_URL`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{TestkitError, TestkitResult};
use crate::process::{self, Watchdog};
use crate::tls::TlsFiles;

/// Environment variable naming a running server to use instead of starting one: a URL of a
/// database on it as a user that may create databases (`postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_URL_ENV: &str = "WEFT_TEST_POSTGRES_URL";

/// Stops a started server: the watchdog's script (`$1` dir, `$2` pg_ctl, `$3` 1 when root).
const STOP_SCRIPT: &str = r#"
if [ "$3" = 1 ]; then
    runuser -u postgres -- "$2" -D "$1/data" -m immediate -w stop
else
    "$2" -D "$1/data" -m immediate -w stop
fi >/dev/null 2>&1
rm -rf "$1"
"#;

/// A PostgreSQL server: started by this process (and stopped when dropped, or when the
/// process ends), or an external one named by [`POSTGRES_URL_ENV`].
#[derive(Debug)]
pub struct PostgresServer {
    /// URL of the `postgres` database (or the external URL).
    url: String,
    /// The `psql` program, used to create databases.
    psql: PathBuf,
    /// Port of a server we started.
    port: Option<u16>,
    /// Stops a server we started.
    watchdog: Option<Watchdog>,
}

impl PostgresServer {
    /// Start a new server in a new temp dir on a free loopback port.
    pub fn start() -> TestkitResult<Self> {
        Self::start_with(None, "")
    }

    /// [`start`](Self::start) with `pg_stat_statements` loaded, so that a benchmark can count
    /// the statements each database runs (`CREATE EXTENSION pg_stat_statements` in it first).
    pub fn start_with_statement_stats() -> TestkitResult<Self> {
        Self::start_with(
            None,
            " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all",
        )
    }

    /// Start a new server that refuses connections without TLS, with the certificate and
    /// key of `files`. Its URL asks for `sslmode=verify-full` against a copy of `files.ca`
    /// (host `localhost`).
    pub fn start_tls(files: &TlsFiles) -> TestkitResult<Self> {
        Self::start_with(Some(files), "")
    }

    /// A new server, with TLS when `tls` is given and the server options `settings` (each
    /// ` -c name=value`) added to the testkit's own.
    fn start_with(tls: Option<&TlsFiles>, settings: &str) -> TestkitResult<Self> {
        let dirs = process::postgres_bin_dirs();
        let initdb = process::find_program("initdb", &dirs)?;
        let pg_ctl = process::find_program("pg_ctl", &dirs)?;
        let psql = process::find_program("psql", &dirs)?;
        let root = process::is_root();
        let dir = process::make_dir("weft-pg-")?;
        let dir_text = dir.to_string_lossy().into_owned();
        let pg_ctl_text = pg_ctl.to_string_lossy().into_owned();
        let watchdog = Watchdog::spawn(
            STOP_SCRIPT,
            &[&dir_text, &pg_ctl_text, if root { "1" } else { "0" }],
        )?;
        let mut server = Self {
            url: String::new(),
            psql,
            port: None,
            watchdog: Some(watchdog),
        };
        if root {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&dir);
            process::run(
                chown,
                "giving the data directory to the postgres user (chown)",
            )?;
        }
        let mut init = process::as_postgres(&initdb, root);
        init.arg("-D").arg(dir.join("data"));
        init.args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        process::run(init, "initdb")?;
        if let Some(files) = tls {
            require_tls(&dir, files, root)?;
        }
        let port = start_on_free_port(&pg_ctl, &dir, root, tls.is_some(), settings)?;
        server.port = Some(port);
        server.url = match tls {
            Some(_) => format!(
                "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
                dir.join("ca.pem").display()
            ),
            None => format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        Ok(server)
    }

    /// Use a running server: `url` names a database on it as a user that may create databases.
    pub fn external(url: &str) -> TestkitResult<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(TestkitError::BadUrl {
                variable: POSTGRES_URL_ENV,
                url: url.to_owned(),
                reason: "expected postgres://...",
            });
        }
        let psql = process::find_program("psql", &process::postgres_bin_dirs())?;
        Ok(Self {
            url: url.to_owned(),
            psql,
            port: None,
            watchdog: None,
        })
    }

    /// The server named by [`POSTGRES_URL_ENV`] if it is set, else a new one.
    pub fn from_env_or_start() -> TestkitResult<Self> {
        match std::env::var(POSTGRES_URL_ENV) {
            Ok(url) if !url.is_empty() => Self::external(&url),
            _ => Self::start(),
        }
    }

    /// URL of the server's administrative database (`postgres`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Port of a server this process started; `None` for an external one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Create a new, uniquely named, empty database and return its URL.
    pub fn try_fresh_database(&self) -> TestkitResult<String> {
        let name = process::unique_name("weft_test");
        self.psql(&format!("CREATE DATABASE {name}"))?;
        Ok(with_database(&self.url, &name))
    }

    /// [`try_fresh_database`](Self::try_fresh_database) for tests: panics with the reason
    /// when the database cannot be created.
    pub fn fresh_database(&self) -> String {
        self.try_fresh_database()
            .unwrap_or_else(|e| panic!("creating a test database: {e}"))
    }

    /// Run one SQL command with `psql` against the administrative database; its output.
    pub fn psql(&self, sql: &str) -> TestkitResult<String> {
        let mut command = Command::new(&self.psql);
        command
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.url);
        command.arg("-c").arg(sql);
        process::run(command, &format!("psql -c {sql:?}"))
    }

    /// Run `sql` with `psql` on the database at `url` (one of [`fresh_database`](Self::fresh_database)'s,
    /// say); its output.
    pub fn psql_on(&self, url: &str, sql: &str) -> TestkitResult<String> {
        let mut command = Command::new(&self.psql);
        command
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(url);
        command.arg("-c").arg(sql);
        process::run(command, &format!("psql -c {sql:?}"))
    }

    /// Stop a server this process started (dropping does the same); nothing for an external one.
    pub fn stop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            watchdog.stop();
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Start the initialised cluster in `dir` on a free port, trying a few ports in case
/// another process takes the one we picked first.
fn start_on_free_port(
    pg_ctl: &Path,
    dir: &Path,
    root: bool,
    tls: bool,
    settings: &str,
) -> TestkitResult<u16> {
    let log = dir.join("pg.log");
    let mut attempt = 1;
    loop {
        let port = process::free_port()?;
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            dir.display()
        );
        if tls {
            options.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        options.push_str(settings);
        let mut start = process::as_postgres(pg_ctl, root);
        start.arg("-D").arg(dir.join("data")).arg("-l").arg(&log);
        start.args(["-o", &options, "-w", "-t", "60", "start"]);
        match process::run(start, "pg_ctl start") {
            Ok(_) if process::wait_until(Duration::from_secs(10), || process::port_open(port)) => {
                return Ok(port);
            }
            Ok(_) => {
                let log = process::log_tail(&log);
                return Err(TestkitError::NotReady {
                    server: "PostgreSQL",
                    port,
                    seconds: 10,
                    log,
                });
            }
            Err(_) if attempt < 3 => attempt += 1,
            Err(TestkitError::Failed {
                what,
                status,
                output,
            }) => {
                let output = format!("{output}{}", process::log_tail(&log));
                return Err(TestkitError::Failed {
                    what,
                    status,
                    output,
                });
            }
            Err(other) => return Err(other),
        }
    }
}

/// Put the certificate and key of `files` in the cluster's data directory (the key readable
/// by the server's user only, as PostgreSQL demands) and the CA beside it for clients, and
/// make `pg_hba.conf` refuse TCP connections without TLS.
fn require_tls(dir: &Path, files: &TlsFiles, root: bool) -> TestkitResult<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let data = dir.join("data");
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| TestkitError::Io { what, path, source }
    };
    for (from, to, mode) in [
        (&files.cert, data.join("server.crt"), 0o644),
        (&files.key, data.join("server.key"), 0o600),
        (&files.ca, dir.join("ca.pem"), 0o644),
    ] {
        std::fs::copy(from, &to).map_err(io("copying", from))?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))
            .map_err(io("setting the mode of", &to))?;
        if root {
            let mut chown = Command::new("chown");
            chown.arg("postgres:postgres").arg(&to);
            process::run(chown, "giving a TLS file to the postgres user (chown)")?;
        }
    }
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).map_err(io("reading", &hba))?;
    std::fs::write(&hba, format!("hostnossl all all all reject\n{rules}"))
        .map_err(io("writing", &hba))
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(
            with_database("postgres://u@h:5/db?sslmode=disable", "x"),
            "postgres://u@h:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h/", "x"), "postgresql://h/x");
    }
}
