//! Two tenants on one distributed installation, set up as the README says: the installation
//! administrator makes the tenants and their first tokens with `wfctl`, each tenant deploys
//! the same component, keeps its own variable of the same name, and runs on the shared
//! scheduler and worker; neither sees the other's DAGs, runs or variables, and a token's role
//! bounds what it may do.

use std::time::Duration;

use serde_json::json;
use weft_e2e::{Api, Cluster, WorkerSpec};
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
    assert_eq!(
        api_a.get("/dags/normal")["digest"],
        api_b.get("/dags/normal")["digest"],
        "the same bytes"
    );

    // Each run reads its own tenant's variable through the worker.
    for (api, value) in [(&api_a, "hello from a"), (&api_b, "hello from b")] {
        let run_id = api.trigger("normal", json!({"key": "greeting"}), Some("r1"));
        let run = api.wait_run("normal", &run_id, Duration::from_secs(60));
        let variables = Api::task(&run, "variables");
        assert_eq!(variables["state"], "success", "{run}");
        let xcom = api.get("/dags/normal/runs/r1/xcom");
        assert!(
            xcom.to_string().contains(value),
            "{value} not in the run's output: {xcom}"
        );
    }

    // Neither sees the other's: B's run list holds B's run only, and A's run is B's own.
    let runs_b = api_b.get("/runs");
    assert_eq!(
        runs_b["runs"].as_array().expect("runs").len(),
        1,
        "{runs_b}"
    );
    let xcom_b = api_b.get("/dags/normal/runs/r1/xcom").to_string();
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
    let me = anonymous.get("/whoami");
    assert_eq!(me["role"], "viewer", "{me}");
    assert_eq!(me["tenant"], "default", "{me}");
    let (status, body) = anonymous.post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 401, "{body}");
    let (status, body) = anonymous
        .clone()
        .with_token("not-the-token")
        .post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 401, "{body}");
    // Its worker runs inside it: the worker API answers no one, not even the administrator.
    let component = format!(
        "/worker/tenants/default/components/sha256:{}",
        "0".repeat(64)
    );
    let (status, _) = anonymous.get_raw(&component);
    assert_eq!(status, 401);
    let admin = anonymous.with_token("standalone-admin-token");
    let (status, _) = admin.get_raw(&component);
    assert_eq!(status, 401);
    let (status, body) = admin.post("/tenants", &json!({"name": "team-a"}));
    assert_eq!(status, 201, "{body}");
    assert_eq!(admin.get("/whoami")["installation_admin"], true);
}
