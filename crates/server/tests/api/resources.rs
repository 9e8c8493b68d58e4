//! Variables, pools, components, health and the fallbacks.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use weft_runtime::Digest;
use weft_test_guests_artifacts as guests;

use weft_scheduler::Notice;
use weft_store::DEFAULT_TENANT;

use crate::support::{Call, Harness, guest};

#[tokio::test]
async fn variables_are_created_read_replaced_and_deleted() {
    let h = Harness::new().await;
    let reply = h
        .json(
            Method::PUT,
            "/api/v1/variables/db_url",
            json!({"value": "postgres://x", "description": "main db"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    assert_eq!(
        reply.json(),
        json!({"key": "db_url", "value": "postgres://x", "description": "main db", "updated_at": "2024-06-01T12:00:00Z"})
    );
    let reply = h
        .json(
            Method::PUT,
            "/api/v1/variables/db_url",
            json!({"value": "postgres://y"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()["description"],
        "main db",
        "an omitted description is kept"
    );

    assert_eq!(
        h.get("/api/v1/variables/db_url").await.json()["value"],
        "postgres://y"
    );
    let list = h.get("/api/v1/variables").await.json();
    assert_eq!(list["variables"].as_array().map(Vec::len), Some(1));

    let reply = h
        .send(Method::DELETE, "/api/v1/variables/db_url", None, "")
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    h.get("/api/v1/variables/db_url")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    h.send(Method::DELETE, "/api/v1/variables/db_url", None, "")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_variables_are_refused_and_not_stored() {
    let h = Harness::new().await;
    let cases = [
        (
            "/api/v1/variables/k",
            "{}",
            "invalid_json",
            "missing field `value`",
        ),
        (
            "/api/v1/variables/k",
            "{\"value\": 5}",
            "invalid_json",
            "invalid type",
        ),
        (
            "/api/v1/variables/k",
            "{\"value\": \"v\", \"secret\": true}",
            "invalid_json",
            "unknown field `secret`",
        ),
        (
            "/api/v1/variables/a%20b",
            "{\"value\": \"v\"}",
            "invalid_request",
            "' '",
        ),
    ];
    for (uri, body, code, words) in cases {
        let message = h
            .raw_json(Method::PUT, uri, body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
        assert!(message.contains(words), "{body}: {message}");
    }
    let long = format!("/api/v1/variables/{}", "k".repeat(251));
    h.json(Method::PUT, &long, json!({"value": "v"}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        h.get("/api/v1/variables").await.json()["variables"]
            .as_array()
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn pools_are_listed_and_sized() {
    let h = Harness::new().await;
    let pools = h.get("/api/v1/pools").await.json();
    assert_eq!(pools["pools"][0]["name"], "default_pool");

    let reply = h
        .json(
            Method::PUT,
            "/api/v1/pools/db",
            json!({"slots": 4, "description": "database"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
    assert_eq!(
        reply.json(),
        json!({"name": "db", "slots": 4, "description": "database", "used_slots": 0, "waiting": 0})
    );
    let reply = h
        .json(Method::PUT, "/api/v1/pools/db", json!({"slots": 0}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"name": "db", "slots": 0, "description": "database", "used_slots": 0, "waiting": 0})
    );
    let names: Vec<_> = h.get("/api/v1/pools").await.json()["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, [json!("db"), json!("default_pool")]);
    // Each change is told to the scheduler, so the new size counts at once.
    let tenant_changed = Call::Notify(Notice::TenantChanged {
        tenant: DEFAULT_TENANT.into(),
    });
    assert_eq!(
        h.notices(),
        [tenant_changed.clone(), tenant_changed.clone()]
    );

    // A pool is deleted once; the default pool never.
    let reply = h.send(Method::DELETE, "/api/v1/pools/db", None, "").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(h.notices().len(), 3);
    h.send(Method::DELETE, "/api/v1/pools/db", None, "")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let message = h
        .send(Method::DELETE, "/api/v1/pools/default_pool", None, "")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable");
    assert!(message.contains("cannot be deleted"), "{message}");
    let pools = h.get("/api/v1/pools").await.json();
    assert_eq!(pools["pools"].as_array().map(Vec::len), Some(1), "{pools}");
    assert_eq!(h.notices().len(), 3, "nothing changed, nothing told");
}

#[tokio::test]
async fn bad_pools_are_refused_and_not_stored() {
    let h = Harness::new().await;
    for (uri, body, code, words) in [
        (
            "/api/v1/pools/db",
            json!({"slots": -1}),
            "invalid_request",
            "slots must be 0 or more",
        ),
        (
            "/api/v1/pools/a%20b",
            json!({"slots": 1}),
            "invalid_request",
            "pool name \"a b\"",
        ),
        (
            "/api/v1/pools/db",
            json!({"slots": "many"}),
            "invalid_json",
            "invalid type",
        ),
        (
            "/api/v1/pools/db",
            json!({}),
            "invalid_json",
            "missing field `slots`",
        ),
    ] {
        let message = h
            .json(Method::PUT, uri, body.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(
        h.get("/api/v1/pools").await.json()["pools"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn components_are_served_by_digest_to_a_current_attempt() {
    let (h, ti) = crate::tasks::ran_once_with(weft_server::ServerConfig::default()).await;
    let attempt = h.queued_in_run_of(&ti, "logs").await;
    let bytes = guest(guests::NORMAL);
    let digest = Digest::of(&bytes).to_string();
    let hex = Digest::of(&bytes).hex();
    let components = format!(
        "/api/v1/worker/attempts/{}/{}/components",
        attempt.ti, attempt.lease
    );
    for uri in [
        format!("{components}/{digest}"),
        format!("{components}/{hex}"),
    ] {
        let reply = h.get(&uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(
            reply.headers[header::ETAG],
            format!("\"{digest}\"").as_str()
        );
        assert_eq!(reply.body.as_ref(), bytes.as_slice());
    }
    let other = Digest::of(b"something else");
    let message = h
        .get(&format!("{components}/{other}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains(&other.to_string()), "{message}");
    let message = h
        .get(&format!("{components}/sha256:xyz"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("sha256:<64 hex digits>"), "{message}");
    // The attempt that ran is no longer current: nothing is served for it.
    h.get(&format!(
        "/api/v1/worker/attempts/{}/{}/components/{digest}",
        ti.id, ti.lease
    ))
    .await
    .assert_error(StatusCode::FORBIDDEN, "stale_attempt");
}

#[tokio::test]
async fn health_reads_the_store() {
    let h = Harness::new().await;
    let reply = h.get("/api/v1/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );
    h.sqlite.close().await;
    let reply = h.get("/api/v1/health").await;
    let message = reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        !message.contains("switched"),
        "store detail leaked: {message}"
    );
    h.get("/api/v1/dags")
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let h = Harness::new().await;
    let message = h
        .get("/api/v1/nothing")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("/api/v1/nothing"), "{message}");
    let reply = h.send(Method::DELETE, "/api/v1/dags", None, "").await;
    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

/// An encoded NUL anywhere in a URL is refused before any handler reads the store, naming
/// the part of the URL that holds it.
#[tokio::test]
async fn a_url_holding_nul_is_refused_with_400() {
    let h = Harness::new().await;
    for (uri, part) in [
        ("/api/v1/variables/a%00b", "path"),
        ("/api/v1/dags/d%00/runs", "path"),
        ("/api/v1/assets/events?uri=s3%3A%2F%2Fb%2Fk%00", "query"),
        ("/api/v1/runs?dag_id=a%00", "query"),
    ] {
        let message = h
            .get(uri)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            message.contains(part) && message.contains("NUL"),
            "{uri}: {message}"
        );
    }
    // A NUL-free look-alike is answered as usual.
    h.get("/api/v1/variables/a%01b")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
