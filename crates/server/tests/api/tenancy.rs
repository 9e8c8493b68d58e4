//! Tenants, tokens and roles, proven over the route table itself: for every route of the
//! OpenAPI document, a token of tenant B finds none of tenant A's objects (404, or a list
//! without them, or a write that leaves A's object as it was), a token whose role is one
//! step too small is refused (403) before anything happens, a request without a token is
//! refused (401), and the route's own role succeeds. A route added to the router without a
//! line in the policy table fails here.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use weft_model::tenancy::Role;
use weft_server::policy::{self, Needs};
use weft_test_guests_artifacts as guests;

use crate::support::tenants::{ADMIN, Body, World, call, created, world};
use crate::support::{Harness, guest};

const WORKER_PREFIX: &str = "/api/v1/worker/";

/// Every operation of the user API in the OpenAPI document, deletes last (so that they do
/// not take away what the others look for).
fn operations() -> Vec<(Method, String)> {
    let document = serde_json::to_value(weft_server::openapi()).expect("document");
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if path.starts_with(WORKER_PREFIX) {
            continue;
        }
        for method in item.as_object().expect("item").keys() {
            let method: Method = method.to_uppercase().parse().expect("method");
            out.push((method, path.clone()));
        }
    }
    out.sort_by_key(|(method, path)| (*method == Method::DELETE, path.clone()));
    out
}

/// The route under `/api/v1`.
fn route(path: &str) -> &str {
    path.strip_prefix("/api/v1").expect("under /api/v1")
}

/// `path` with tenant A's objects in its parameters.
fn fill(path: &str, world: &World) -> String {
    let name = if path.starts_with("/api/v1/secrets") {
        "alpha-secret"
    } else if path.starts_with("/api/v1/pools") {
        "alpha-pool"
    } else {
        "team-a"
    };
    path.replace("{dag_id}", "normal")
        .replace("{run_id}", "alpha-run")
        .replace("{task_id}", "echo_context")
        .replace("{key}", "alpha-var")
        .replace("{conn_id}", "alpha-conn")
        .replace("{token_id}", &world.victim_token)
        .replace("{name}", name)
}

/// A body the route would accept.
fn body(method: &Method, path: &str) -> Body {
    let json = |v: Value| Body::Json(v);
    match (method.as_str(), route(path)) {
        ("POST", "/dags") => Body::Wasm(guest(guests::NORMAL)),
        ("PATCH", "/dags/{dag_id}") => json(json!({"paused": true})),
        ("POST", "/dags/{dag_id}/backfill") => json(json!({
            "start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00Z"
        })),
        ("POST", "/dags/{dag_id}/runs") => json(json!({})),
        ("POST", "/dags/{dag_id}/runs/{run_id}/clear") => json(json!({})),
        ("POST", "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mark") => {
            json(json!({"state": "failed"}))
        }
        ("PUT", "/variables/{key}") => json(json!({"value": "changed"})),
        ("PUT", "/connections/{conn_id}") => json(json!({"uri": "http://changed.example"})),
        ("PATCH", "/connections/{conn_id}") => json(json!({"host": "changed.example"})),
        ("PUT", "/secrets/{name}") => json(json!({"value": "changed"})),
        ("PUT", "/pools/{name}") => json(json!({"slots": 9})),
        ("POST", "/tokens") | ("POST", "/tenants/{name}/tokens") => {
            json(json!({"name": "made in the matrix", "role": "viewer"}))
        }
        ("POST", "/tenants") => json(json!({"name": "team-c"})),
        (_, _) => Body::None,
    }
}

/// What only tenant A has, and no answer to tenant B may hold.
fn a_markers(world: &World) -> Vec<String> {
    let mut markers: Vec<String> = [
        "alpha-run",
        "alpha-var",
        "alpha-conn",
        "alpha-secret",
        "alpha-pool",
        "alpha-victim",
        "team-a",
        "db.a.internal",
    ]
    .map(str::to_owned)
    .into();
    markers.push(world.victim_token.clone());
    markers
}

/// What tenant A's objects look like to A: compared before and after B's writes.
async fn a_snapshot(world: &World) -> Vec<Value> {
    let viewer = Some(world.a.of(Role::Viewer));
    let mut out = Vec::new();
    for uri in [
        "/api/v1/dags/normal",
        "/api/v1/dags/normal/runs/alpha-run",
        "/api/v1/variables/alpha-var",
        "/api/v1/connections/alpha-conn",
        "/api/v1/secrets/alpha-secret",
        "/api/v1/pools",
    ] {
        let reply = call(&world.h, viewer, Method::GET, uri, Body::None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json());
        out.push(reply.json());
    }
    let admin = Some(world.a.of(Role::Admin));
    out.push(
        call(&world.h, admin, Method::GET, "/api/v1/tokens", Body::None)
            .await
            .json(),
    );
    out
}

#[tokio::test]
async fn the_policy_table_lists_every_route_of_the_user_api_and_only_those() {
    let documented: BTreeSet<(String, String)> = operations()
        .into_iter()
        .map(|(m, p)| (m.to_string(), route(&p).to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = policy::POLICY
        .iter()
        .map(|(m, r, _)| ((*m).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(documented, listed);
}

#[tokio::test]
async fn another_tenants_token_finds_nothing_of_a_tenant_on_any_route() {
    let world = world(false).await;
    let before = a_snapshot(&world).await;
    let markers = a_markers(&world);
    let b_admin = Some(world.b.of(Role::Admin));
    let mut checked = 0;
    // B looks for A's objects first, then deletes by their names (finding none), then puts
    // objects of its own by those names, then makes objects (a DAG, a token) of its own.
    let mut operations = operations();
    operations.sort_by_key(
        |(method, path)| match (method.as_str(), path.contains('{')) {
            ("DELETE", _) => 1,
            ("PUT", _) => 2,
            ("POST", false) => 3,
            _ => 0,
        },
    );
    for (method, path) in operations {
        let needs = policy::needs(method.as_str(), route(&path)).expect("listed");
        if matches!(needs, Needs::Nothing | Needs::InstallationAdmin) {
            continue;
        }
        let uri = fill(&path, &world);
        let reply = call(
            &world.h,
            b_admin,
            method.clone(),
            &uri,
            body(&method, &path),
        )
        .await;
        let what = format!("{method} {uri} as team-b");
        assert_ne!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{what}: {:?}",
            reply.body
        );
        assert_ne!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {:?}",
            reply.body
        );
        if reply.status.is_success() {
            assert_eq!(reply.headers["weft-tenant"], "team-b", "{what}");
        }
        if reply.status.is_success() {
            // An answer holds nothing of A's but the names B itself put in the path (a PUT
            // makes B's own object of that name).
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            for marker in markers.iter().filter(|m| !uri.contains(m.as_str())) {
                assert!(
                    !text.contains(marker.as_str()),
                    "{what} shows {marker}: {text}"
                );
            }
        }
        if path.contains('{') && method != Method::PUT {
            // An object named in the path is A's: B cannot tell it from one that does not exist.
            reply.assert_error(StatusCode::NOT_FOUND, "not_found");
        }
        checked += 1;
    }
    assert!(checked > 25, "only {checked} routes checked");
    // B's writes (PUT makes B's own object of the same name) left A's objects as they were.
    assert_eq!(a_snapshot(&world).await, before);
}

#[tokio::test]
async fn each_route_takes_its_role_and_refuses_the_one_below() {
    let world = world(false).await;
    let mut refused = 0;
    for (method, path) in operations() {
        let needs = policy::needs(method.as_str(), route(&path)).expect("listed");
        let uri = fill(&path, &world);
        let what = format!("{method} {uri}");
        let (enough, below): (Option<&str>, Option<&str>) = match needs {
            Needs::Nothing => (None, None),
            Needs::Role(role) => {
                let i = Role::ALL.iter().position(|r| *r == role).expect("role");
                let below = i.checked_sub(1).map(|j| world.a.of(Role::ALL[j]));
                (Some(world.a.of(role)), below)
            }
            Needs::InstallationAdmin => (Some(ADMIN), Some(world.a.of(Role::Admin))),
        };
        if needs != Needs::Nothing {
            let reply = call(&world.h, None, method.clone(), &uri, body(&method, &path)).await;
            let message = reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
            assert!(
                message.contains("missing bearer token"),
                "{what}: {message}"
            );
            let reply = call(
                &world.h,
                Some("wft_0123456789abcdef_not-a-secret"),
                method.clone(),
                &uri,
                body(&method, &path),
            )
            .await;
            reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        if let Some(token) = below {
            let reply = call(
                &world.h,
                Some(token),
                method.clone(),
                &uri,
                body(&method, &path),
            )
            .await;
            let message = reply.assert_error(StatusCode::FORBIDDEN, "forbidden");
            assert!(message.contains("needs"), "{what}: {message}");
            refused += 1;
        }
        let reply = call(&world.h, enough, method.clone(), &uri, body(&method, &path)).await;
        assert!(
            !matches!(
                reply.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ) && !reply.status.is_server_error(),
            "{what} with the role it needs: {} {:?}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    assert!(refused > 20, "only {refused} routes refused a smaller role");
}

#[tokio::test]
async fn tokens_are_shown_once_stored_as_digests_and_refused_once_revoked_or_expired() {
    let world = world(false).await;
    let h = &world.h;
    let admin = Some(world.a.of(Role::Admin));
    let body = Body::Json(json!({"name": "short-lived", "role": "viewer", "expires_in": "1h"}));
    let made = created(&call(h, admin, Method::POST, "/api/v1/tokens", body).await);
    let token = made["token"].as_str().expect("token").to_owned();
    let id = made["token_id"].as_str().expect("id").to_owned();
    assert!(token.starts_with(&format!("wft_{id}_")), "{token}");

    // Listed without the token; stored as a digest only.
    let list = call(h, admin, Method::GET, "/api/v1/tokens", Body::None).await;
    let text = String::from_utf8_lossy(&list.body).into_owned();
    assert!(text.contains(&id) && !text.contains(&token), "{text}");
    let stored = h.store.token(&id).await.expect("read").expect("stored");
    // After `wft_<id>_`: the secret itself may hold `_` (URL-safe base64).
    let secret = &token[format!("wft_{id}_").len()..];
    assert_ne!(stored.secret_digest, secret);

    // It works, says who it is, and stops at its expiry.
    let me = call(h, Some(&token), Method::GET, "/api/v1/whoami", Body::None).await;
    assert_eq!(
        created(&me),
        json!({
            "tenant": "team-a", "role": "viewer", "installation_admin": false, "token_id": id
        })
    );
    h.clock.advance(std::time::Duration::from_secs(3_601));
    let reply = call(h, Some(&token), Method::GET, "/api/v1/whoami", Body::None).await;
    let message = reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(message.contains("expired"), "{message}");

    // A revoked token is refused at once; revoking is the tenant's own business.
    let viewer = world.a.of(Role::Viewer).to_owned();
    let viewer_id = call(h, Some(&viewer), Method::GET, "/api/v1/whoami", Body::None)
        .await
        .json()["token_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let uri = format!("/api/v1/tokens/{viewer_id}");
    let b_admin = Some(world.b.of(Role::Admin));
    call(h, b_admin, Method::DELETE, &uri, Body::None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let reply = call(h, admin, Method::DELETE, &uri, Body::None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = call(h, Some(&viewer), Method::GET, "/api/v1/dags", Body::None).await;
    let message = reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(message.contains("revoked"), "{message}");

    // A token with the right id and a wrong secret is refused without saying more.
    let forged = format!("wft_{id}_{}", "A".repeat(43));
    let reply = call(h, Some(&forged), Method::GET, "/api/v1/dags", Body::None).await;
    let message = reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(message, "token not accepted");
}

#[tokio::test]
async fn bad_token_and_tenant_requests_are_refused_and_store_nothing() {
    let world = world(false).await;
    let h = &world.h;
    let admin = Some(world.a.of(Role::Admin));
    for (body, words) in [
        (json!({"name": "", "role": "viewer"}), "token name"),
        (json!({"name": "x", "role": "owner"}), "role"),
        (
            json!({"name": "x", "role": "viewer", "expires_in": "soon"}),
            "expires_in",
        ),
        (json!({"name": "x", "role": "viewer", "extra": 1}), "extra"),
    ] {
        let reply = call(
            h,
            admin,
            Method::POST,
            "/api/v1/tokens",
            Body::Json(body.clone()),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.json()
        );
        let message = reply.json()["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.contains(words), "{body}: {message}");
    }
    // A well-formed duration no token can last breaks a rule, not the document.
    let reply = call(
        h,
        admin,
        Method::POST,
        "/api/v1/tokens",
        Body::Json(json!({"name": "x", "role": "viewer", "expires_in": "0s"})),
    )
    .await;
    assert!(reply.assert_refused("unprocessable").contains("expires_in"));
    let tokens = call(h, admin, Method::GET, "/api/v1/tokens", Body::None)
        .await
        .json();
    assert_eq!(
        tokens["tokens"].as_array().expect("tokens").len(),
        Role::ALL.len() + 1
    );

    for (body, status) in [
        (json!({"name": "Team A"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"name": "team-a"}), StatusCode::CONFLICT),
        (
            json!({"name": "x", "description": "d".repeat(1_001)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "x", "description": "nul\u{0}here"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let reply = call(
            h,
            Some(ADMIN),
            Method::POST,
            "/api/v1/tenants",
            Body::Json(body.clone()),
        )
        .await;
        assert_eq!(reply.status, status, "{body}: {}", reply.json());
    }
    let uri = "/api/v1/tenants/nobody/tokens";
    let body = Body::Json(json!({"name": "x", "role": "admin"}));
    call(h, Some(ADMIN), Method::POST, uri, body)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // A tenant with DAGs is not deleted, nor is `default`.
    let reply = call(
        h,
        Some(ADMIN),
        Method::DELETE,
        "/api/v1/tenants/team-a",
        Body::None,
    )
    .await;
    let message = reply.assert_error(StatusCode::CONFLICT, "conflict");
    assert!(message.contains("normal"), "{message}");
    call(
        h,
        Some(ADMIN),
        Method::DELETE,
        "/api/v1/tenants/default",
        Body::None,
    )
    .await
    .assert_refused("unprocessable");
    let list = call(h, Some(ADMIN), Method::GET, "/api/v1/tenants", Body::None)
        .await
        .json();
    let names: Vec<&str> = list["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["default", "team-a", "team-b"]);

    // Deleting team-b takes its tokens with it.
    let b_viewer = world.b.of(Role::Viewer).to_owned();
    let reply = call(
        h,
        Some(ADMIN),
        Method::DELETE,
        "/api/v1/tenants/team-b",
        Body::None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    call(h, Some(&b_viewer), Method::GET, "/api/v1/dags", Body::None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn open_reads_let_anonymous_reads_see_the_default_tenant_only() {
    let world = world(true).await;
    let h = &world.h;
    let me = call(h, None, Method::GET, "/api/v1/whoami", Body::None).await;
    assert_eq!(
        created(&me),
        json!({"tenant": "default", "role": "viewer", "installation_admin": false, "token_id": null})
    );
    let dags = call(h, None, Method::GET, "/api/v1/dags", Body::None).await;
    assert_eq!(created(&dags)["dags"], json!([]));
    call(h, None, Method::GET, "/api/v1/dags/normal", Body::None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Writes and token lists still need a token.
    for (method, uri) in [
        (Method::PUT, "/api/v1/variables/k"),
        (Method::GET, "/api/v1/tokens"),
    ] {
        let body = if method == Method::PUT {
            Body::Json(json!({"value": "v"}))
        } else {
            Body::None
        };
        call(h, None, method, uri, body)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[tokio::test]
async fn without_administrator_tokens_an_anonymous_request_is_the_administrator_and_tenant_tokens_still_choose_their_tenant()
 {
    let h = Harness::new().await;
    let me = h.get("/api/v1/whoami").await;
    assert_eq!(created(&me)["installation_admin"], true);
    let body = json!({"name": "team-a"});
    created(&h.json(Method::POST, "/api/v1/tenants", body).await);
    let body = json!({"name": "a admin", "role": "editor"});
    let made = created(
        &h.json(Method::POST, "/api/v1/tenants/team-a/tokens", body)
            .await,
    );
    let token = made["token"].as_str().expect("token");
    let reply = call(
        &h,
        Some(token),
        Method::PUT,
        "/api/v1/variables/k",
        Body::Json(json!({"value": "a"})),
    )
    .await;
    assert_eq!(reply.headers["weft-tenant"], "team-a");
    created(&reply);
    assert!(
        h.store
            .variable("team-a", "k")
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        h.store
            .variable("default", "k")
            .await
            .expect("read")
            .is_none()
    );
    // A token the server does not know is refused, not taken for an anonymous request.
    let reply = call(&h, Some("wrong"), Method::GET, "/api/v1/dags", Body::None).await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}
