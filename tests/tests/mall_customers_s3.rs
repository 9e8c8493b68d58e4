//! The `mall_customers` example against a real S3-compatible server (s3s-fs, which checks
//! SigV4 signatures), in embedded mode (`wfctl standalone`) and distributed mode (server,
//! scheduler and worker processes): the CSV is uploaded from the host, the DAG downloads it
//! through the connection `aws_default` with signed requests from inside the sandbox, and
//! writes back a Parquet file sorted by spending score and the figures per gender as JSON,
//! which the test downloads and checks. The rows move through the bucket, and the tasks'
//! outputs only say where they are. The SQL step runs too: `sort_by_spending` loads the sorted
//! rows into a table of the test's PostgreSQL through the connection `postgres_default` (a
//! role that logs in with a password, which the host holds), and `top_spenders` reads the top
//! ten back; the test checks the table with `psql` and that the password shows nowhere.
//!
//! Needs the host side of `weft:dag@0.2.0` (wasi:http under the egress policy, connections
//! through the API): connections are registered with `PUT /api/v1/connections/{id}` and the
//! operator's egress policy is given in [`OPERATOR_EGRESS_ENV`].

use std::time::Duration;

use serde_json::{Value, json};
use weft_client::Client;
use weft_client::api::tasks::XcomList;
use weft_e2e::{Api, Cluster, S3Client, S3Server, WorkerSpec, standalone};

mod support;

use support::{
    INPUT_KEY, ROWS, Row, bucket_with_csv, check_gender_figures, check_sorted_parquet, component,
    csv, generated_rows, sorted_by_spending,
};
use weft_model::{DagRunState, TaskState};

/// The connection the DAG reads.
const CONNECTION: &str = "aws_default";
/// The connection to the database the DAG loads the sorted rows into.
const SQL_CONNECTION: &str = "postgres_default";
/// The PostgreSQL role and database for the SQL step, from `scripts/services.sh`:
/// `postgres://weft_sql:PASSWORD@127.0.0.1:PORT/weft_sql`.
const SQL_URL_ENV: &str = "WEFT_TEST_POSTGRES_SQL_URL";
/// The secret key sealing connections in the distributed server (base64 of 32 bytes).
const SECRET_KEY: &str = "d2VmdC1lMmUtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";

/// The operator's egress policy, for processes that run tasks: the rules allowing the S3
/// server and the database's port, and the loopback range they live in (not public, so
/// refused unless allowed).
fn operator_egress_env(s3: &S3Server, db: &Database) -> Vec<(&'static str, String)> {
    vec![
        (
            OPERATOR_EGRESS_ENV[0],
            format!("GET,PUT {};tcp://{}:{}", s3.url, db.host, db.port),
        ),
        (OPERATOR_EGRESS_ENV[1], "127.0.0.0/8".to_owned()),
    ]
}

/// The test's PostgreSQL database for the SQL step, as [`SQL_URL_ENV`] gives it.
struct Database {
    url: String,
    host: String,
    port: u16,
    login: String,
    password: String,
    name: String,
}

impl Database {
    fn from_env() -> Database {
        let url = std::env::var(SQL_URL_ENV).unwrap_or_else(|_| {
            panic!("{SQL_URL_ENV} is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        });
        let parse = || -> Option<Database> {
            let rest = url.strip_prefix("postgres://")?;
            let (credentials, rest) = rest.split_once('@')?;
            let (login, password) = credentials.split_once(':')?;
            let (address, name) = rest.split_once('/')?;
            let (host, port) = address.rsplit_once(':')?;
            Some(Database {
                url: url.clone(),
                host: host.to_owned(),
                port: port.parse().ok()?,
                login: login.to_owned(),
                password: password.to_owned(),
                name: name.to_owned(),
            })
        };
        parse().unwrap_or_else(|| {
            panic!("{SQL_URL_ENV} is not postgres://LOGIN:PASSWORD@HOST:PORT/DB")
        })
    }

    /// `sql`'s output, run with `psql` as the test's role.
    fn psql(&self, sql: &str) -> String {
        weft_testkit::postgres()
            .psql_on(&self.url, sql)
            .unwrap_or_else(|e| panic!("psql {sql:?}: {e}"))
    }
}

/// Register connection `postgres_default` to `db`, password included.
fn add_sql_connection(api: &Api, db: &Database) {
    let body = json!({
        "conn_type": "postgres",
        "host": db.host,
        "port": db.port,
        "schema": db.name,
        "login": db.login,
        "password": db.password,
        "extra": {},
    });
    if let Err(e) = api.client().put_connection(SQL_CONNECTION, &body) {
        panic!("PUT /connections/{SQL_CONNECTION}: {e}");
    }
    // As the server sends it: the password must be nowhere in it.
    let read = api.get(&format!("/connections/{SQL_CONNECTION}"));
    assert!(
        !read.to_string().contains(&db.password),
        "the API does not show the password: {read}"
    );
}

/// Names of the operator's egress settings: allowed rules and allowed address ranges.
const OPERATOR_EGRESS_ENV: [&str; 2] = ["WEFT_EGRESS_ALLOW", "WEFT_EGRESS_ALLOW_NETS"];

/// Register connection `aws_default` for `s3`, its default bucket `bucket`.
fn add_connection(api: &Api, s3: &S3Server, bucket: &str) {
    put_connection(api, s3, bucket, &s3.url);
}

/// Register connection `aws_default` with `s3`'s credentials and endpoint `endpoint`.
fn put_connection(api: &Api, s3: &S3Server, bucket: &str, endpoint: &str) {
    let body = json!({
        "conn_type": "aws",
        "host": null,
        "port": null,
        "schema": bucket,
        "login": s3.access_key,
        "password": s3.secret_key,
        "extra": { "endpoint_url": endpoint, "region_name": "us-east-1" },
    });
    if let Err(e) = api.client().put_connection(CONNECTION, &body) {
        panic!("PUT /connections/{CONNECTION}: {e}");
    }
}

/// Deploy, trigger with `{"s3": {...}, "sql": {...}}`, wait; check the run, the objects it
/// wrote and the table it loaded.
fn run_and_check(
    api: &Api,
    s3: &S3Server,
    bucket: &S3Client,
    rows: &[Row],
    db: &Database,
    mode: &str,
) {
    let deployed = api.deploy(&component(s3));
    assert_eq!(deployed.dag_id, "mall_customers", "{deployed:?}");
    let prefix = format!("out/{mode}/");
    // Each mode its own table: the default name in one, named by the conf in the other.
    let table = if mode == "embedded" {
        "mall_customers_sorted".to_owned()
    } else {
        format!("mall_customers_sorted_{mode}")
    };
    let sql_conf = if mode == "embedded" {
        json!({})
    } else {
        json!({ "table": table })
    };
    // In one mode the DAG creates the table; in the other it exists already and holds rows
    // of the run left by an earlier attempt, which the load replaces.
    let run_id = weft_testkit::unique_name(&format!("e2e-{mode}"));
    if mode != "embedded" {
        db.psql(&format!(
            "CREATE TABLE {table} (run_id text NOT NULL, sorted_position bigint NOT NULL, \
             customer_id bigint NOT NULL, gender text NOT NULL, age integer NOT NULL, \
             annual_income_k bigint NOT NULL, spending_score integer NOT NULL, \
             PRIMARY KEY (run_id, sorted_position)); \
             INSERT INTO {table} VALUES ('{run_id}', 1, 999999, 'Stale', 1, 1, 1), \
             ('{run_id}', 999999, 999998, 'Stale', 1, 1, 1)"
        ));
    }
    // The bucket comes from the connection's schema; the prefix from the conf.
    let run_id = api.trigger(
        "mall_customers",
        json!({ "s3": { "output_prefix": prefix }, "sql": sql_conf }),
        Some(&run_id),
    );
    let run = api.wait_run("mall_customers", &run_id, Duration::from_secs(180));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    for task in [
        "extract",
        "sort_by_spending",
        "aggregate_by_gender",
        "report",
        "upload",
        "top_spenders",
    ] {
        assert_eq!(
            Api::task(&run, task).state,
            TaskState::Success,
            "{task}: {run:?}"
        );
    }

    let parquet = bucket
        .get(&format!("{prefix}sorted_by_spending.parquet"))
        .expect("the DAG wrote the Parquet file");
    // `upload` announced the sorted customers: its event says where they are.
    let events = api.read("the events of the sorted customers", |client| {
        client.asset_events(
            Some("weft-example://mall_customers/sorted_by_spending"),
            1000,
        )
    });
    let event = events
        .events
        .iter()
        .find(|e| e.source.as_ref().is_some_and(|s| s.run_id == run_id))
        .unwrap_or_else(|| panic!("no event of run {run_id}: {events:?}"));
    assert_eq!(
        event.source.as_ref().map(|s| s.task_id.as_str()),
        Some("upload"),
        "{event:?}"
    );
    assert_eq!(event.extra["rows"], rows.len(), "{event:?}");
    assert!(
        event.extra["parquet"]
            .as_str()
            .is_some_and(|uri| uri.ends_with(&format!("{prefix}sorted_by_spending.parquet"))),
        "{event:?}"
    );
    check_sorted_parquet(parquet, rows);

    // The tasks' outputs only say where the data is.
    let xcom = api.xcoms("mall_customers", &run_id);
    check_sql_step(api, &xcom, rows, db, &table, &run_id);
    if mode != "embedded" {
        let log = api
            .get(&Client::log_path(
                "mall_customers",
                &run_id,
                "sort_by_spending",
            ))
            .to_string();
        assert!(
            log.contains("replacing the 2 rows an earlier attempt loaded"),
            "{log}"
        );
    }
    for output in &xcom.xcoms {
        assert!(output.size < 4096, "{output:?}");
    }
    let report = Api::output(&xcom, "report")
        .map(|x| &x.value)
        .unwrap_or_else(|| panic!("no output of report in {xcom:?}"));
    assert_eq!(report["customers"], rows.len(), "{report}");
    assert_eq!(
        report["parquet"],
        format!("s3://{}/{prefix}sorted_by_spending.parquet", bucket.name()),
        "{report}"
    );

    let json = bucket
        .get(&format!("{prefix}by_gender.json"))
        .expect("the DAG wrote the figures per gender");
    check_gender_figures(&json, rows);
}

/// The table holds every row of the run in sorted order, `top_spenders` returned the ten
/// highest spending scores (ties by id), and no log of the SQL tasks shows the password.
fn check_sql_step(
    api: &Api,
    xcom: &XcomList,
    rows: &[Row],
    db: &Database,
    table: &str,
    run_id: &str,
) {
    let run = run_id.replace('\'', "''");
    let loaded = db.psql(&format!(
        "SELECT customer_id FROM {table} WHERE run_id = '{run}' ORDER BY sorted_position"
    ));
    let expected: Vec<String> = sorted_by_spending(rows)
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        loaded.lines().collect::<Vec<_>>(),
        expected,
        "{table} holds the run's rows in sorted order"
    );

    let mut top: Vec<&Row> = rows.iter().collect();
    top.sort_by_key(|r| (std::cmp::Reverse(r.score), r.id));
    let top: Vec<Value> = top
        .iter()
        .take(10)
        .map(|r| {
            json!({"customer_id": r.id, "gender": r.gender, "age": r.age,
                   "annual_income_k": r.income, "spending_score": r.score})
        })
        .collect();
    let spenders = Api::output(xcom, "top_spenders")
        .map(|x| &x.value)
        .unwrap_or_else(|| panic!("no output of top_spenders in {xcom:?}"));
    assert_eq!(
        spenders,
        &json!({ "table": table, "customers": rows.len(), "top": top }),
        "the top ten, read back by SQL"
    );

    for task in ["sort_by_spending", "top_spenders"] {
        // As the server sends it: the password must be nowhere in it.
        let text = api
            .get(&Client::log_path("mall_customers", run_id, task))
            .to_string();
        assert!(text.contains(table), "{task}'s log names the table: {text}");
        assert!(
            !text.contains(&db.password),
            "{task}'s log does not show the password: {text}"
        );
    }
}

/// Point the connection at the cloud metadata address, which the DAG's egress rules do not
/// name: the run fails at `extract` with class `egress_denied`, not retried, and the error
/// names the refused destination.
fn redirected_connection_is_refused(api: &Api, s3: &S3Server, bucket: &str) {
    put_connection(api, s3, bucket, "http://169.254.169.254");
    let run_id = api.trigger("mall_customers", json!({ "s3": {} }), None);
    let run = api.wait_run("mall_customers", &run_id, Duration::from_secs(180));
    assert_eq!(run.run.state, DagRunState::Failed, "{run:?}");
    let extract = Api::task(&run, "extract");
    assert_eq!(extract.state, TaskState::Failed, "{run:?}");
    assert_eq!(
        extract.error_class.as_deref(),
        Some("egress_denied"),
        "{extract:?}"
    );
    assert_eq!(
        extract.try_number, 1,
        "a denial is not retried: {extract:?}"
    );
    let error = extract.error.as_deref().expect("an error");
    assert!(error.contains("169.254.169.254"), "{error}");
    assert!(
        !error.contains(&s3.secret_key),
        "the error does not show the secret key: {error}"
    );
    assert_eq!(
        Api::task(&run, "upload").state,
        TaskState::UpstreamFailed,
        "{run:?}"
    );
}

#[test]
fn embedded_mode_sorts_s3_csv_into_parquet() {
    let s3 = S3Server::from_env_or_start();
    let (bucket, rows) = bucket_with_csv(&s3, "mall-embedded");
    let db = Database::from_env();
    let dir = tempfile::Builder::new()
        .prefix("weft-e2e-mall-")
        .tempdir()
        .expect("temp dir");
    let egress = operator_egress_env(&s3, &db);
    let mut env: Vec<(&str, &str)> = egress.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("WEFT_SECRET_KEY", SECRET_KEY));
    let (server, api) = standalone::start(dir.path(), &env);
    add_connection(&api, &s3, bucket.name());
    add_sql_connection(&api, &db);
    run_and_check(&api, &s3, &bucket, &rows, &db, "embedded");
    redirected_connection_is_refused(&api, &s3, bucket.name());
    drop(server);
}

#[test]
fn distributed_mode_sorts_s3_csv_into_parquet() {
    let s3 = S3Server::from_env_or_start();
    let (bucket, rows) = bucket_with_csv(&s3, "mall-distributed");
    let db = Database::from_env();
    let mut cluster = Cluster::on_shared_redis();
    for (key, value) in operator_egress_env(&s3, &db) {
        cluster.set_env(key, &value);
    }
    cluster.set_env("WEFT_SECRET_KEY", SECRET_KEY);
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    // A debug build's Cranelift takes 30 s or more to compile this component on a busy
    // machine, with every core given to it: the lease is the production default, so that a
    // heartbeat held up by the compile does not count as a dead worker (this test is not
    // about leases; the chaos tests are).
    let _worker = cluster.worker(&WorkerSpec {
        lease_secs: 30.0,
        ..WorkerSpec::new("worker-s3", "host-s3", &["default"])
    });
    let api = cluster.api();
    add_connection(&api, &s3, bucket.name());
    add_sql_connection(&api, &db);
    run_and_check(&api, &s3, &bucket, &rows, &db, "distributed");
    redirected_connection_is_refused(&api, &s3, bucket.name());
}

#[test]
fn the_generated_csv_is_deterministic_and_has_the_kaggle_header() {
    let rows = generated_rows();
    assert_eq!(rows, generated_rows());
    assert_eq!(rows.len(), ROWS as usize);
    assert!(
        rows.iter()
            .all(|r| (1..=100).contains(&r.score) && (18..=70).contains(&r.age))
    );
    assert!(rows.iter().any(|r| r.gender == "Male") && rows.iter().any(|r| r.gender == "Female"));
    let text = csv(&rows[..1]);
    assert!(text.starts_with("CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\n"));
}

#[test]
fn the_s3_server_checks_signatures() {
    let s3 = S3Server::from_env_or_start();
    let (bucket, rows) = bucket_with_csv(&s3, "mall-signatures");
    assert_eq!(bucket.get(INPUT_KEY), Some(csv(&rows).into_bytes()));
    let (status, _) = bucket.get_unsigned(INPUT_KEY);
    assert_eq!(status, 403, "an unsigned request is refused");
    let forger = s3.client_as(bucket.name(), &s3.access_key, "not-the-secret-key");
    let (status, _) = forger.get_raw(INPUT_KEY);
    assert_eq!(
        status, 403,
        "a request signed with the wrong key is refused"
    );
}
