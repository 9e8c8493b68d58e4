//! The servers of the SQL tests, the connections a task is given to them, and running the
//! `sql_probe` guest on a runtime whose egress policy opens them.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::{Executor, Row as _};
use weft_protocol::Connection;
use weft_runtime::{EgressPolicy, MemoryHost, Runtime, SqlLimits, TaskReport};
use weft_test_guests_artifacts as guests;

use crate::task::{self, Task};

/// A server of the tests, from its URL.
#[derive(Clone)]
pub struct Server {
    url: String,
    conn_type: &'static str,
    pub host: String,
    pub port: u16,
    pub login: String,
    pub password: String,
    database: String,
}

fn server(env: &str, conn_type: &'static str) -> Server {
    let url = std::env::var(env).unwrap_or_else(|_| {
        panic!("{env} is not set: run `source scripts/services.sh; weft_services_start` first")
    });
    let rest = url.split_once("://").expect("url scheme").1;
    let (auth, rest) = rest.split_once('@').expect("url has user:password@");
    let (login, password) = auth.split_once(':').expect("url has a password");
    let (hostport, database) = rest.split_once('/').expect("url has a database");
    let (host, port) = hostport.rsplit_once(':').expect("url has a port");
    Server {
        url: url.clone(),
        conn_type,
        host: host.to_owned(),
        port: port.parse().expect("port"),
        login: login.to_owned(),
        password: password.to_owned(),
        database: database.to_owned(),
    }
}

/// The PostgreSQL server (`WEFT_TEST_POSTGRES_SQL_URL`).
pub fn pg() -> Server {
    server("WEFT_TEST_POSTGRES_SQL_URL", "postgres")
}

/// The MariaDB server (`WEFT_TEST_MYSQL_URL`).
pub fn my() -> Server {
    server("WEFT_TEST_MYSQL_URL", "mariadb")
}

impl Server {
    pub fn connection(&self, id: &str) -> Connection {
        Connection {
            conn_id: id.into(),
            conn_type: self.conn_type.into(),
            host: Some(self.host.clone()),
            port: Some(self.port),
            schema: Some(self.database.clone()),
            login: Some(self.login.clone()),
            password: Some(self.password.clone()),
            extra: json!({"sslmode": self.pick("disable", "disabled")}),
        }
    }

    pub fn is_pg(&self) -> bool {
        self.conn_type == "postgres"
    }

    /// `pg` on PostgreSQL, `my` on MariaDB: what differs between the two.
    pub fn pick<T>(&self, pg: T, my: T) -> T {
        if self.is_pg() { pg } else { my }
    }

    /// The id the probe opens this server by.
    pub fn id(&self) -> &'static str {
        self.pick("pg", "my")
    }

    /// Runs `statements` directly (not through a task), returning the first column of the
    /// last one's rows as text.
    pub fn direct(&self, statements: &[&str]) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio");
        if self.is_pg() {
            rt.block_on(first_column::<sqlx::PgConnection>(&self.url, statements))
        } else {
            rt.block_on(first_column::<sqlx::MySqlConnection>(&self.url, statements))
        }
    }
}

/// Runs `statements` on a connection of its own to `url`; the first column of the last
/// one's rows as text.
async fn first_column<C>(url: &str, statements: &[&str]) -> Vec<String>
where
    C: sqlx::Connection,
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, C::Database> + sqlx::Type<C::Database>,
    usize: sqlx::ColumnIndex<<C::Database as sqlx::Database>::Row>,
{
    let mut c = C::connect(url).await.expect("connect");
    let mut out = Vec::new();
    for s in statements {
        let rows = c.fetch_all(sqlx::AssertSqlSafe(*s)).await.expect(s);
        out = rows
            .iter()
            .map(|r| {
                r.try_get::<Option<String>, _>(0)
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            })
            .collect();
    }
    out
}

/// The operator's `tcp://` rules for `servers` (by address and as `localhost`), with
/// `nets` opened to the address checks.
pub fn policy(servers: &[&Server], nets: &[&str]) -> EgressPolicy {
    let rules: Vec<String> = servers
        .iter()
        .flat_map(|s| {
            [
                format!("tcp://{}:{}", s.host, s.port),
                format!("tcp://localhost:{}", s.port),
            ]
        })
        .collect();
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    task::policy(&rules, nets)
}

pub fn runtime_with(policy: EgressPolicy) -> Runtime {
    task::runtime(4, policy)
}

/// A runtime that opens both servers on loopback.
pub fn runtime() -> Runtime {
    runtime_with(policy(&[&pg(), &my()], &["127.0.0.0/8"]))
}

/// A runtime that opens both servers on loopback, under `limits`.
pub fn runtime_limited(limits: SqlLimits) -> Runtime {
    let mut policy = policy(&[&pg(), &my()], &["127.0.0.0/8"]);
    policy.sql = limits;
    runtime_with(policy)
}

/// A host with both servers (`pg`, `my`), both with a wrong password (`pg_wrong`,
/// `my_wrong`), PostgreSQL by name (`local`), an S3 connection (`files`), and `extra`
/// in place of those of the same id.
pub fn host(extra: impl IntoIterator<Item = Connection>) -> MemoryHost {
    let (pg, my) = (pg(), my());
    let mut pg_wrong = pg.connection("pg_wrong");
    pg_wrong.password = Some("not-the-password".into());
    let mut my_wrong = my.connection("my_wrong");
    my_wrong.password = Some("not-the-password".into());
    let mut local = pg.connection("local");
    local.host = Some("localhost".into());
    let files = Connection {
        conn_id: "files".into(),
        conn_type: "s3".into(),
        host: Some("s3.example.com".into()),
        port: None,
        schema: None,
        login: Some("key".into()),
        password: Some("s3-secret".into()),
        extra: json!({}),
    };
    let mut all = vec![
        pg.connection("pg"),
        my.connection("my"),
        pg_wrong,
        my_wrong,
        local,
        files,
    ];
    for c in extra {
        all.retain(|o| o.conn_id != c.conn_id);
        all.push(c);
    }
    MemoryHost::default().with_access(all, [])
}

/// Runs task `task` of the probe with `conf` on `host`.
pub fn run_on(runtime: &Runtime, host: MemoryHost, task: &str, conf: Value) -> TaskReport {
    Task {
        guest: guests::SQL_PROBE,
        dag_id: "sql_probe",
        task_id: task,
        conf,
        host,
        timeout: Duration::from_secs(60),
    }
    .run(runtime)
}

/// Runs the probe's task that declares every connection, with `conf`.
pub fn run(runtime: &Runtime, conf: Value) -> TaskReport {
    run_on(runtime, host([]), "probe", conf)
}

pub fn step(op: &str, sql: &str, params: Value) -> Value {
    json!({"op": op, "sql": sql, "params": params})
}

/// A statement step without parameters.
pub fn plain(op: &str, sql: &str) -> Value {
    step(op, sql, json!([]))
}

/// The results of the steps, all of which must have succeeded.
pub fn oks(out: &Value) -> Vec<Value> {
    assert_eq!(out["open"], json!({"ok": true}), "{out}");
    out["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            assert!(r.get("error").is_none(), "a step failed: {r}\n{out}");
            r["ok"].clone()
        })
        .collect()
}

/// The results of the steps, failed or not.
pub fn results(out: &Value) -> Vec<Value> {
    out["results"].as_array().expect("results").clone()
}

/// The message of an error, which must have one.
pub fn message(error: &Value) -> &str {
    error["message"].as_str().expect("message")
}

/// A table name of this test process.
pub fn table(name: &str) -> String {
    format!("{name}_{}", std::process::id())
}
