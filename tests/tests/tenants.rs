//! Two tenants on one distributed installation, set up as the README says: the installation
//! administrator makes the tenants and their first tokens with `wfctl`, each tenant deploys
//! the same component, keeps its own variable of the same name, and runs on the shared
//! scheduler and worker; neither sees the other's DAGs, runs or variables, and a token's role
//! bounds what it may do. Workers serve named tenants with Redis users limited to them: one
//! never runs another tenant's task, cannot read its queue, its forged reports are
//! refused, and it can neither trim nor delete another tenant's reports.

use std::time::Duration;

use serde_json::json;
use weft_client::{Client, RunFilter};
use weft_e2e::{Api, Cluster, WorkerSpec};
use weft_model::tenancy::Role;
use weft_model::{DagRunState, TaskState};
use weft_test_guests_artifacts as guests;

/// `wfctl` as `token`, which must succeed: its standard output.
fn ok(cluster: &Cluster, token: &str, args: &[&str]) -> String {
    let (code, stdout, stderr) = cluster.wfctl_as(token, args);
    assert_eq!(code, 0, "wfctl {args:?}:\n{stdout}{stderr}");
    stdout
}

/// Make tenant `name` and a token of it with `role`, as the administrator; the token.
fn tenant_with_token(cluster: &Cluster, name: &str, role: &str) -> String {
    let admin = weft_e2e::cluster::API_TOKEN;
    ok(
        cluster,
        admin,
        &["tenants", "create", name, "--description", "a team"],
    );
    let stdout = ok(
        cluster,
        admin,
        &["tenants", "token", name, "first admin", "--role", role],
    );
    let token = stdout.trim().to_owned();
    assert!(token.starts_with("wft_"), "{stdout}");
    token
}

#[test]
fn two_tenants_share_an_installation_and_see_only_their_own() {
    let mut cluster = Cluster::on_shared_redis();
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let _worker = cluster.worker(&WorkerSpec::new("worker-1", "host-1", &["default"]));
    let a = tenant_with_token(&cluster, "team-a", "admin");
    let b = tenant_with_token(&cluster, "team-b", "admin");
    let listed = ok(&cluster, weft_e2e::cluster::API_TOKEN, &["tenants", "list"]);
    assert!(
        listed.contains("team-a") && listed.contains("team-b"),
        "{listed}"
    );
    assert_eq!(
        ok(&cluster, &a, &["whoami"]).trim(),
        format!("admin of tenant team-a (token {})", &a[4..20])
    );

    // Each deploys the same component and sets its own `greeting`.
    for (token, value) in [(&a, "hello from a"), (&b, "hello from b")] {
        ok(&cluster, token, &["deploy", guests::NORMAL]);
        ok(&cluster, token, &["variables", "set", "greeting", value]);
    }
    let api_a = Api::new(&cluster.url()).with_token(&a);
    let api_b = Api::new(&cluster.url()).with_token(&b);
    let digest = |api: &Api| {
        api.read("DAG normal", |client| client.dag("normal"))
            .dag
            .digest
    };
    assert_eq!(digest(&api_a), digest(&api_b), "the same bytes");

    // Each run reads its own tenant's variable through the worker.
    for (api, value) in [(&api_a, "hello from a"), (&api_b, "hello from b")] {
        let run_id = api.trigger("normal", json!({"key": "greeting"}), Some("r1"));
        let run = api.wait_run("normal", &run_id, Duration::from_secs(60));
        let variables = Api::task(&run, "variables");
        assert_eq!(variables.state, TaskState::Success, "{run:?}");
        let xcom = serde_json::to_string(&api.xcoms("normal", "r1")).expect("JSON");
        assert!(
            xcom.contains(value),
            "{value} not in the run's output: {xcom}"
        );
    }

    // Neither sees the other's: B's run list holds B's run only, and A's run is B's own.
    let runs_b = api_b.runs(&RunFilter::default());
    assert_eq!(runs_b.runs.len(), 1, "{runs_b:?}");
    let xcom_b = serde_json::to_string(&api_b.xcoms("normal", "r1")).expect("JSON");
    assert!(!xcom_b.contains("hello from a"), "{xcom_b}");

    // A viewer of team-a reads, and is refused a trigger with the role it would need.
    let viewer = ok(
        &cluster,
        &a,
        &["tokens", "create", "dashboards", "--role", "viewer"],
    )
    .trim()
    .to_owned();
    let shown = ok(&cluster, &viewer, &["runs", "list"]);
    assert!(shown.contains("r1"), "{shown}");
    let (code, stdout, stderr) = cluster.wfctl_as(&viewer, &["dags", "trigger", "normal"]);
    assert_ne!(code, 0, "{stdout}");
    assert!(
        stderr.contains("403") || stderr.contains("operator"),
        "{stderr}"
    );

    // The tenant admin lists and revokes it; it is refused from then on.
    let tokens = ok(&cluster, &a, &["tokens", "list"]);
    let id = tokens
        .lines()
        .find(|l| l.contains("dashboards"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the viewer token is listed")
        .to_owned();
    assert!(!tokens.contains(&viewer), "{tokens}");
    ok(&cluster, &a, &["tokens", "revoke", &id]);
    let (code, _, stderr) = cluster.wfctl_as(&viewer, &["runs", "list"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("revoked"), "{stderr}");

    // A tenant admin is no installation administrator.
    let (code, _, stderr) = cluster.wfctl_as(&a, &["tenants", "list"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("installation administrator"), "{stderr}");
}

#[test]
fn standalone_takes_tokens_when_given_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_standalone, anonymous) = weft_e2e::standalone::start(
        dir.path(),
        &[
            ("WEFT_API_TOKENS", "standalone-admin-token"),
            ("WEFT_OPEN_READS", "true"),
        ],
    );
    // Reads without a token are a viewer's of `default`; anything else needs a token.
    let me = anonymous.read("whoami", Client::whoami);
    assert_eq!(me.role, Role::Viewer, "{me:?}");
    assert_eq!(me.tenant, "default", "{me:?}");
    let (status, body) = anonymous.post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 401, "{body}");
    let (status, body) = anonymous
        .clone()
        .with_token("not-the-token")
        .post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 401, "{body}");
    // Its worker runs inside it: the worker API answers no one, not even the administrator.
    let component = format!("/worker/attempts/1/1/components/sha256:{}", "0".repeat(64));
    let (status, _) = anonymous.get_raw(&component);
    assert_eq!(status, 401);
    let admin = anonymous.with_token("standalone-admin-token");
    let (status, _) = admin.get_raw(&component);
    assert_eq!(status, 401);
    let (status, body) = admin.post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 201, "{body}");
    assert!(admin.read("whoami", Client::whoami).installation_admin);
}

/// The installation's secret key (base64 of 32 bytes): schedulers issue attempt keys under
/// it and the server checks them.
const INSTALLATION_KEY: &str = "S2V5IG9mIHRoZSB0ZW5hbnQgd29ya2VycyB0ZXN0ISE=";
/// The password of both workers' Redis users.
const REDIS_PASSWORD: &str = "redis-worker-password";

/// `url` logging in as `user`.
fn as_user(url: &str, user: &str) -> String {
    url.replacen("redis://", &format!("redis://{user}:{REDIS_PASSWORD}@"), 1)
}

/// A report that `ti` (under `lease`) succeeded, as a forger writes it.
fn forged_success(ti: i64, lease: i64, key: Option<weft_protocol::AttemptKey>) -> Vec<u8> {
    let now = jiff::Timestamp::now();
    let report = weft_protocol::Report::Finished(Box::new(weft_protocol::AttemptResult {
        ti,
        lease,
        key,
        run: 1,
        try_number: 1,
        outcome: weft_protocol::AttemptOutcome::Success {
            output: b"\"forged\"".to_vec(),
            asset_extras: Vec::new(),
        },
        xcom: Vec::new(),
        log: Vec::new(),
        started_at: now,
        ended_at: now,
        worker_id: "forger".into(),
        hostname: "forger-host".into(),
    }));
    weft_protocol::Envelope::encode(&vec![report]).expect("encode")
}

#[test]
fn a_tenants_worker_runs_only_its_tenants_tasks_and_cannot_forge_reports() {
    let mut cluster = Cluster::on_shared_redis();
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), INSTALLATION_KEY.into())];
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    let a = tenant_with_token(&cluster, "team-a", "admin");
    let b = tenant_with_token(&cluster, "team-b", "admin");
    let ns = cluster.namespace.clone();
    let (user_a, user_b) = (format!("{ns}-a"), format!("{ns}-b"));
    let _users = acl_users(&mut cluster, &[(&user_a, "team-a"), (&user_b, "team-b")]);
    let spec = |id: &str, host: &str, tenant: &str, user: &str| {
        tenant_worker(&cluster, id, host, tenant, user)
    };
    let _worker_b = cluster.worker(&spec("worker-b", "host-b", "team-b", &user_b));
    for token in [&a, &b] {
        ok(&cluster, token, &["deploy", guests::NOOP]);
    }
    let api_a = Api::new(&cluster.url()).with_token(&a);
    let api_b = Api::new(&cluster.url()).with_token(&b);

    // A's run is queued first; B's worker runs B's run and leaves A's task where it is.
    api_a.trigger("noop", json!({}), Some("a1"));
    api_b.trigger("noop", json!({}), Some("b1"));
    let run_b = api_b.wait_run("noop", "b1", Duration::from_secs(60));
    assert_eq!(run_b.run.state, DagRunState::Success, "{run_b:?}");
    assert_eq!(
        Api::task(&run_b, "noop").hostname.as_deref(),
        Some("host-b"),
        "{run_b:?}"
    );
    let run_a = api_a.run("noop", "a1");
    let task_a = Api::task(&run_a, "noop");
    assert_eq!(task_a.state, TaskState::Queued, "{run_a:?}");
    assert!(task_a.hostname.is_none(), "{run_a:?}");

    // B's Redis user reaches neither A's queue, nor any reports, nor the key space.
    let client = redis::Client::open(as_user(&cluster.redis, &user_b)).expect("client");
    let mut conn = client.get_connection().expect("B's user logs in");
    let a_ready = format!("{ns}:q:t:team-a:ready:default");
    let reports = format!("{ns}:bus:reports:team-b");
    let refused: Vec<redis::Cmd> = vec![
        redis::cmd("ZRANGE").arg(&a_ready).arg(0).arg(-1).clone(),
        redis::cmd("XRANGE").arg(&reports).arg("-").arg("+").clone(),
        redis::cmd("XRANGE")
            .arg(format!("{ns}:bus:reports:team-a"))
            .arg("-")
            .arg("+")
            .clone(),
        redis::cmd("KEYS").arg("*").clone(),
        redis::cmd("SCAN").arg(0).clone(),
        redis::cmd("FLUSHALL").clone(),
    ];
    for command in refused {
        let error = command
            .query::<redis::Value>(&mut conn)
            .expect_err("refused to B's user");
        assert!(denied(&error), "{error}");
    }
    // What it may do: add reports to its own tenant's stream. It claims A's task succeeded
    // there, for every task instance and lease it could guess, without a key and with a
    // made-up one: all refused.
    for ti in 1..=12 {
        for lease in 1..=3 {
            for key in [None, Some(weft_protocol::AttemptKey([7; 16]))] {
                let _: String = redis::cmd("XADD")
                    .arg(&reports)
                    .arg("*")
                    .arg("r")
                    .arg(forged_success(ti, lease, key))
                    .query(&mut conn)
                    .expect("B's user may add reports");
            }
        }
    }

    // A's own worker comes: the task runs there, once, after every forgery was read.
    let _worker_a = cluster.worker(&spec("worker-a", "host-a", "team-a", &user_a));
    let run_a = api_a.wait_run("noop", "a1", Duration::from_secs(60));
    assert_eq!(run_a.run.state, DagRunState::Success, "{run_a:?}");
    let task_a = Api::task(&run_a, "noop");
    assert_eq!(task_a.hostname.as_deref(), Some("host-a"), "{run_a:?}");
    assert_eq!(task_a.worker_id.as_deref(), Some("worker-a"), "{run_a:?}");
    assert_eq!(task_a.try_number, 1, "{run_a:?}");
    let run_b = api_b.run("noop", "b1");
    assert_eq!(
        Api::task(&run_b, "noop").hostname.as_deref(),
        Some("host-b"),
        "{run_b:?}"
    );

    // A scheduler given another secret key (whose attempts no server could check) stops at
    // start, naming the key the installation uses, never the key itself.
    let other = "T3RoZXIga2V5IG9mIHRoZSB0ZW5hbnQgd29ya2VycyE=";
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), other.into())];
    let mut stray = cluster.scheduler("scheduler-stray");
    let code = stray.wait_exit(Duration::from_secs(30));
    let output = stray.output();
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("WEFT_SECRET_KEY does not match the database"),
        "{output}"
    );
    assert!(
        !output.contains(other) && !output.contains(INSTALLATION_KEY),
        "{output}"
    );
}

/// Make each `(user, tenant)` pair's Redis user as `wfctl redis-acl --apply` does, with
/// [`REDIS_PASSWORD`]; the users are deleted when the answer is dropped.
fn acl_users(cluster: &mut Cluster, users: &[(&str, &str)]) -> AclUsers {
    let made = AclUsers {
        redis: cluster.redis.clone(),
        users: users.iter().map(|(user, _)| (*user).to_owned()).collect(),
    };
    cluster.set_env("WEFT_REDIS_ACL_PASSWORD", REDIS_PASSWORD);
    let admin = weft_e2e::cluster::API_TOKEN;
    let ns = cluster.namespace.clone();
    for (user, tenant) in users {
        let applied = ok(
            cluster,
            admin,
            &[
                "redis-acl",
                "--user",
                user,
                "--tenants",
                tenant,
                "--namespace",
                &ns,
                "--apply",
                &cluster.redis,
            ],
        );
        assert!(applied.contains(tenant), "{applied}");
        assert!(!applied.contains(REDIS_PASSWORD), "{applied}");
    }
    made
}

/// A worker of `tenant` logging in to Redis as `user`.
fn tenant_worker(cluster: &Cluster, id: &str, host: &str, tenant: &str, user: &str) -> WorkerSpec {
    WorkerSpec {
        tenants: Some(tenant.to_owned()),
        redis: Some(as_user(&cluster.redis, user)),
        ..WorkerSpec::new(id, host, &["default"])
    }
}

/// Whether Redis refused a command for want of permission.
fn denied(error: &redis::RedisError) -> bool {
    let text = error.to_string();
    text.contains("NOPERM") || text.contains("permission")
}

#[test]
fn a_tenants_worker_can_neither_trim_nor_delete_another_tenants_reports() {
    let mut cluster = Cluster::on_shared_redis();
    cluster.server_env = vec![("WEFT_SECRET_KEY".into(), INSTALLATION_KEY.into())];
    let _server = cluster.server();
    let _scheduler = cluster.scheduler("scheduler-1");
    tenant_with_token(&cluster, "team-a", "admin");
    let b = tenant_with_token(&cluster, "team-b", "admin");
    let ns = cluster.namespace.clone();
    let (user_a, user_b) = (format!("{ns}-a"), format!("{ns}-b"));
    let _users = acl_users(&mut cluster, &[(&user_a, "team-a"), (&user_b, "team-b")]);
    let _worker_b = cluster.worker(&tenant_worker(
        &cluster, "worker-b", "host-b", "team-b", &user_b,
    ));
    ok(&cluster, &b, &["deploy", guests::NOOP]);
    let api_b = Api::new(&cluster.url()).with_token(&b);

    // A's user may add to its own tenant's stream (it is logged in and can write)...
    let client = redis::Client::open(as_user(&cluster.redis, &user_a)).expect("client");
    let mut conn = client.get_connection().expect("A's user logs in");
    let _: String = redis::cmd("XADD")
        .arg(format!("{ns}:bus:reports:team-a"))
        .arg("*")
        .arg("r")
        .arg("not a report")
        .query(&mut conn)
        .expect("A's user may add to its own tenant's reports");
    // ...and while B's runs go, it tries, over and over, to trim, delete, overwrite or
    // block every stream that carries B's reports: the stream all tenants once shared, and
    // B's own. Each try is refused.
    let attacked = [
        format!("{ns}:bus:reports"),
        format!("{ns}:bus:reports:team-b"),
    ];
    let attacks: Vec<redis::Cmd> = attacked
        .iter()
        .flat_map(|key| {
            [
                redis::cmd("XADD")
                    .arg(key)
                    .arg("MAXLEN")
                    .arg(0)
                    .arg("*")
                    .arg("r")
                    .arg("x")
                    .clone(),
                redis::cmd("XADD")
                    .arg(key)
                    .arg("MINID")
                    .arg("99999999999999")
                    .arg("*")
                    .arg("r")
                    .arg("x")
                    .clone(),
                redis::cmd("XADD")
                    .arg(key)
                    .arg("18446744073709551615-18446744073709551614")
                    .arg("r")
                    .arg("x")
                    .clone(),
                redis::cmd("XTRIM").arg(key).arg("MAXLEN").arg(0).clone(),
                redis::cmd("XDEL").arg(key).arg("0-1").clone(),
                redis::cmd("DEL").arg(key).clone(),
                redis::cmd("SET").arg(key).arg("x").clone(),
                redis::cmd("XGROUP")
                    .arg("DESTROY")
                    .arg(key)
                    .arg("schedulers")
                    .clone(),
            ]
        })
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attacker = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut tries = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for attack in &attacks {
                    match attack.query::<redis::Value>(&mut conn) {
                        Err(e) if denied(&e) => tries += 1,
                        other => return Err(format!("{attack:?} was not refused: {other:?}")),
                    }
                }
            }
            Ok(tries)
        })
    };
    let runs: Vec<String> = (1..=10).map(|n| format!("b{n}")).collect();
    for run in &runs {
        api_b.trigger("noop", json!({}), Some(run));
    }
    // Every one of B's runs ends, each task in its first try: no report of B's was lost.
    for run in &runs {
        let done = api_b.wait_run("noop", run, Duration::from_secs(60));
        assert_eq!(done.run.state, DagRunState::Success, "{done:?}");
        let task = Api::task(&done, "noop");
        assert_eq!(task.try_number, 1, "{done:?}");
        assert_eq!(task.hostname.as_deref(), Some("host-b"), "{done:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let tries = attacker
        .join()
        .expect("the attacker ends")
        .expect("every attack refused");
    assert!(tries > 0, "no attack was tried");
}

/// Redis users a test made, deleted when it ends (passed or not): the server is shared.
struct AclUsers {
    redis: String,
    users: Vec<String>,
}

impl Drop for AclUsers {
    fn drop(&mut self) {
        let admin = redis::Client::open(self.redis.as_str()).and_then(|c| c.get_connection());
        if let Ok(mut conn) = admin {
            let _: Result<i64, _> = redis::cmd("ACL")
                .arg("DELUSER")
                .arg(&self.users)
                .query(&mut conn);
        }
    }
}
