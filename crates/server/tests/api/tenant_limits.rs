//! What the installation administrator sets per tenant, through the API: the weight of its
//! fair share and its quotas, each refused by name when wrong and answered with a clear 4xx
//! or 429 (nothing stored) when a tenant goes past it.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use weft_model::tenancy::Role;
use weft_test_guests_artifacts as guests;

use crate::support::guest;
use crate::support::tenants::{ADMIN, Body, call, created, world};

#[tokio::test]
async fn tenant_weights_are_given_at_creation_changed_by_the_administrator_and_checked() {
    let world = world(false).await;
    let h = &world.h;
    let made = created(
        &call(
            h,
            Some(ADMIN),
            Method::POST,
            "/api/v1/tenants",
            Body::Json(json!({"name": "heavy", "weight": 3})),
        )
        .await,
    );
    assert_eq!(made["weight"], 3);
    let set = |uri: &str, body: Value, token: Option<String>| {
        let uri = uri.to_owned();
        async move { call(h, token.as_deref(), Method::PUT, &uri, Body::Json(body)).await }
    };
    let reply = set(
        "/api/v1/tenants/heavy/weight",
        json!({"weight": 7}),
        Some(ADMIN.to_owned()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["weight"], 7);
    for (body, code, words) in [
        (json!({"weight": 0}), "unprocessable", "weight"),
        (json!({"weight": 1001}), "unprocessable", "1000"),
        (json!({"weight": "x"}), "invalid_json", "an integer"),
        (json!({"weight": 2, "extra": 1}), "invalid_json", "extra"),
    ] {
        let reply = set(
            "/api/v1/tenants/heavy/weight",
            body.clone(),
            Some(ADMIN.to_owned()),
        )
        .await;
        let message = reply.assert_refused(code);
        assert!(message.contains(words), "{body}: {message}");
    }
    set(
        "/api/v1/tenants/nobody/weight",
        json!({"weight": 2}),
        Some(ADMIN.to_owned()),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // A tenant's own admin may not weigh it.
    set(
        "/api/v1/tenants/team-a/weight",
        json!({"weight": 1000}),
        Some(world.a.of(Role::Admin).to_owned()),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let reply = call(
        h,
        Some(ADMIN),
        Method::POST,
        "/api/v1/tenants",
        Body::Json(json!({"name": "zero", "weight": 0})),
    )
    .await;
    reply.assert_refused("unprocessable");
    let list = call(h, Some(ADMIN), Method::GET, "/api/v1/tenants", Body::None)
        .await
        .json();
    let weights: Vec<(String, u64)> = list["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or("").to_owned(),
                t["weight"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(weights.contains(&("heavy".to_owned(), 7)), "{weights:?}");
    assert!(!weights.iter().any(|(n, _)| n == "zero"), "{weights:?}");
}

#[tokio::test]
async fn tenant_quotas_refuse_with_clear_answers_and_store_nothing() {
    let world = world(false).await;
    let h = &world.h;
    let put = |name: &str, body: Value, token: &str| {
        let uri = format!("/api/v1/tenants/{name}/quotas");
        let token = token.to_owned();
        async move { call(h, Some(&token), Method::PUT, &uri, Body::Json(body)).await }
    };
    // Bad quotas are refused by name; only the administrator sets them.
    for (body, code, words) in [
        (
            json!({"max_running_tasks": 0}),
            "unprocessable",
            "max_running_tasks",
        ),
        (json!({"api_burst": 3}), "unprocessable", "api_burst needs"),
        (json!({"max_runs": 3}), "invalid_json", "max_runs"),
        (json!({"max_active_runs": -1}), "invalid_json", "-1"),
    ] {
        let message = put("team-a", body.clone(), ADMIN)
            .await
            .assert_refused(code);
        assert!(message.contains(words), "{body}: {message}");
    }
    put("nobody", json!({}), ADMIN)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    put(
        "team-a",
        json!({"max_active_runs": 1}),
        world.a.of(Role::Admin),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");

    let quotas =
        json!({"max_queued_tasks": 1, "max_components": 1, "max_component_bytes": 50_000_000});
    let reply = put("team-a", quotas.clone(), ADMIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    assert_eq!(reply.json()["quotas"], quotas);
    let list = call(h, Some(ADMIN), Method::GET, "/api/v1/tenants", Body::None)
        .await
        .json();
    let shown = list["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["name"] == "team-a")
        .expect("team-a");
    assert_eq!(shown["quotas"], quotas);

    // A trigger past the waiting task instances: 429 with Retry-After, no run stored.
    let runs = || async {
        h.store
            .runs("team-a", &weft_store::RunFilter::default())
            .await
            .expect("runs")
            .len()
    };
    let before = runs().await;
    let operator = world.a.of(Role::Operator);
    let trigger = Body::Json(json!({"run_id": "one-too-many"}));
    let reply = call(
        h,
        Some(operator),
        Method::POST,
        "/api/v1/dags/normal/runs",
        trigger,
    )
    .await;
    let retry_after = reply.headers.get("retry-after").cloned();
    let message = reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "quota_exceeded");
    assert!(message.contains("max_queued_tasks"), "{message}");
    assert_eq!(
        retry_after.as_ref().and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert_eq!(runs().await, before);
    // Tenant B, without quotas, triggers the same DAG id freely.
    let editor_b = Some(world.b.of(Role::Editor));
    created(
        &call(
            h,
            editor_b,
            Method::POST,
            "/api/v1/dags",
            Body::Wasm(guest(guests::NORMAL)),
        )
        .await,
    );
    let trigger = Body::Json(json!({"run_id": "b-run"}));
    created(
        &call(
            h,
            Some(world.b.of(Role::Operator)),
            Method::POST,
            "/api/v1/dags/normal/runs",
            trigger,
        )
        .await,
    );

    // A second component past max_components: 409, nothing stored.
    let editor = world.a.of(Role::Editor);
    let dags_before = h.store.dags("team-a").await.expect("dags");
    let reply = call(
        h,
        Some(editor),
        Method::POST,
        "/api/v1/dags",
        Body::Wasm(guest(guests::NOOP)),
    )
    .await;
    let message = reply.assert_error(StatusCode::CONFLICT, "quota_exceeded");
    assert!(message.contains("max_components of 1"), "{message}");
    assert_eq!(h.store.dags("team-a").await.expect("dags"), dags_before);
    // A component larger than max_component_bytes: 413 before it is compiled.
    put("team-a", json!({"max_component_bytes": 1000}), ADMIN).await;
    let reply = call(
        h,
        Some(editor),
        Method::POST,
        "/api/v1/dags",
        Body::Wasm(guest(guests::NOOP)),
    )
    .await;
    let message = reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded");
    assert!(message.contains("max_component_bytes of 1000"), "{message}");

    // The API rate: a burst of 2, then 429 with Retry-After; other tenants and the
    // administrator are not counted against it.
    put(
        "team-a",
        json!({"api_requests_per_second": 1, "api_burst": 2}),
        ADMIN,
    )
    .await;
    let viewer = world.a.of(Role::Viewer);
    for _ in 0..2 {
        let reply = call(h, Some(viewer), Method::GET, "/api/v1/dags", Body::None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    }
    let reply = call(h, Some(viewer), Method::GET, "/api/v1/dags", Body::None).await;
    let retry_after = reply.headers.get("retry-after").cloned();
    let message = reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(message.contains("api_requests_per_second"), "{message}");
    assert_eq!(
        retry_after.as_ref().and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let reply = call(
        h,
        Some(world.b.of(Role::Viewer)),
        Method::GET,
        "/api/v1/dags",
        Body::None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = call(h, Some(ADMIN), Method::GET, "/api/v1/tenants", Body::None).await;
    assert_eq!(reply.status, StatusCode::OK);
    // Quotas taken away: no limit at once on this server.
    put("team-a", json!({}), ADMIN).await;
    let reply = call(h, Some(viewer), Method::GET, "/api/v1/dags", Body::None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
}
