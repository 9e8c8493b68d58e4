//! A tenant's sandbox policy through the API: set by the installation administrator only,
//! refused by name when wrong (nothing stored), told to the scheduler, and checked at
//! deploy, where a DAG asking for egress past the tenant's rules is refused (nothing stored)
//! while another tenant deploys the same component.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use weft_model::tenancy::Role;
use weft_scheduler::control::Notice;
use weft_test_guests_artifacts as guests;

use crate::support::tenants::{ADMIN, Body, call, created, world};
use crate::support::{Call, guest};

#[tokio::test]
async fn sandbox_policies_are_checked_stored_and_shown() {
    let world = world(false).await;
    let h = &world.h;
    let put = |name: &str, body: Value, token: &str| {
        let uri = format!("/api/v1/tenants/{name}/sandbox");
        let token = token.to_owned();
        async move { call(h, Some(&token), Method::PUT, &uri, Body::Json(body)).await }
    };
    let good = json!({
        "egress_allow": ["GET http://127.0.0.1:*"],
        "default_fuel": 1_000_000,
        "max_fuel": 2_000_000,
        "max_timeout_ms": 60_000,
    });
    let reply = put("team-a", good.clone(), ADMIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["sandbox"], good);
    assert!(
        h.notices().contains(&Call::Notify(Notice::TenantChanged {
            tenant: "team-a".into()
        })),
        "{:?}",
        h.notices()
    );

    // Bad policies are refused by name, and the stored one stays.
    for (body, code, words) in [
        (json!({"default_fuel": 0}), "unprocessable", "default_fuel"),
        (
            json!({"default_timeout_ms": 10, "max_timeout_ms": 5}),
            "unprocessable",
            "default_timeout_ms 10 is past max_timeout_ms 5",
        ),
        (
            json!({"egress_allow": ["ftp://files.example.com"]}),
            "unprocessable",
            "ftp://files.example.com",
        ),
        (json!({"max_cpu": 3}), "invalid_json", "max_cpu"),
        (json!({"max_fuel": -1}), "invalid_json", "-1"),
    ] {
        let message = put("team-a", body.clone(), ADMIN)
            .await
            .assert_refused(code);
        assert!(message.contains(words), "{body}: {message}");
    }
    put("nobody", json!({}), ADMIN)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // A tenant's own admin may not widen its sandbox.
    put("team-a", json!({}), world.a.of(Role::Admin))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let list = call(h, Some(ADMIN), Method::GET, "/api/v1/tenants", Body::None)
        .await
        .json();
    let shown = list["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["name"] == "team-a")
        .expect("team-a")
        .clone();
    assert_eq!(shown["sandbox"], good);

    // A tenant made with a policy has it from the start; a bad one makes no tenant.
    let made = created(
        &call(
            h,
            Some(ADMIN),
            Method::POST,
            "/api/v1/tenants",
            Body::Json(json!({"name": "boxed", "sandbox": {"egress_allow": []}})),
        )
        .await,
    );
    assert_eq!(made["sandbox"], json!({"egress_allow": []}));
    call(
        h,
        Some(ADMIN),
        Method::POST,
        "/api/v1/tenants",
        Body::Json(json!({"name": "bad-box", "sandbox": {"max_memory_bytes": 0}})),
    )
    .await
    .assert_refused("unprocessable");
    assert!(h.store.tenant("bad-box").await.expect("read").is_none());
}

#[tokio::test]
async fn a_deploy_past_the_tenants_egress_is_refused_and_stores_nothing() {
    let world = world(false).await;
    let h = &world.h;
    let narrow = json!({"egress_allow": ["GET http://127.0.0.1:*", "GET http://localhost:*"]});
    let reply = call(
        h,
        Some(ADMIN),
        Method::PUT,
        "/api/v1/tenants/team-a/sandbox",
        Body::Json(narrow),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let deploy = |token: &str| {
        let token = token.to_owned();
        async move {
            let bytes = Body::Wasm(guest(guests::EGRESS_PROBE));
            call(h, Some(&token), Method::POST, "/api/v1/dags", bytes).await
        }
    };
    // `probe` asks for POST to 127.0.0.1 and GET over https to localhost, which the operator
    // allows and tenant A does not.
    let message = deploy(world.a.of(Role::Editor))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "tenant_sandbox");
    assert!(message.contains("team-a"), "{message}");
    assert!(
        message.contains(r#"task "probe": egress GET,POST http://127.0.0.1:*"#),
        "{message}"
    );
    assert!(message.contains("https://localhost:*"), "{message}");
    assert!(!message.contains(r#"task "bare""#), "{message}");
    assert!(
        h.store
            .dag("team-a", "egress_probe")
            .await
            .expect("read")
            .is_none()
    );
    // Tenant B has no policy of its own: the operator's alone decides.
    created(&deploy(world.b.of(Role::Editor)).await);
    // Widened to cover the task's rules, tenant A deploys it too.
    let wide = json!({"egress_allow": ["http://127.0.0.1:*", "localhost:*"]});
    let reply = call(
        h,
        Some(ADMIN),
        Method::PUT,
        "/api/v1/tenants/team-a/sandbox",
        Body::Json(wide),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    created(&deploy(world.a.of(Role::Editor)).await);

    // The operator's policy is checked first: raw TCP it does not allow is refused whatever
    // the tenant says.
    let reply = call(
        h,
        Some(world.b.of(Role::Editor)),
        Method::POST,
        "/api/v1/dags",
        Body::Wasm(guest(guests::TCP_PROBE)),
    )
    .await;
    let message = reply.assert_error(StatusCode::BAD_REQUEST, "egress_not_allowed");
    assert!(message.contains("tcp://"), "{message}");
}

#[tokio::test]
async fn a_deploy_asking_for_more_fuel_than_the_tenants_ceiling_is_refused() {
    let world = world(false).await;
    let h = &world.h;
    let set_max_fuel = |max: u64| async move {
        let reply = call(
            h,
            Some(ADMIN),
            Method::PUT,
            "/api/v1/tenants/team-a/sandbox",
            Body::Json(json!({"max_fuel": max})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    };
    let deploy = || async {
        let bytes = Body::Wasm(guest(guests::FUEL_BUDGET));
        call(
            h,
            Some(world.a.of(Role::Editor)),
            Method::POST,
            "/api/v1/dags",
            bytes,
        )
        .await
    };
    // Both tasks ask for 2,000,000 fuel units.
    set_max_fuel(1_999_999).await;
    let message = deploy()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "tenant_sandbox");
    assert!(
        message.contains(r#"task "spin": fuel 2000000 is past the tenant's max_fuel 1999999"#),
        "{message}"
    );
    assert!(message.contains(r#"task "count""#), "{message}");
    assert!(
        h.store
            .dag("team-a", "fuel_budget")
            .await
            .expect("read")
            .is_none()
    );
    set_max_fuel(2_000_000).await;
    created(&deploy().await);
}
