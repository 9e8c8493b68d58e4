//! The OpenAPI document lists every route, and every route it lists is served.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::Harness;

/// Every route of the API, as (method, path).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/dags"),
    ("get", "/api/v1/dags"),
    ("get", "/api/v1/dags/{dag_id}"),
    ("patch", "/api/v1/dags/{dag_id}"),
    ("get", "/api/v1/dags/{dag_id}/versions"),
    ("post", "/api/v1/dags/{dag_id}/runs"),
    ("get", "/api/v1/dags/{dag_id}/runs"),
    ("post", "/api/v1/dags/{dag_id}/backfill"),
    ("get", "/api/v1/runs"),
    ("get", "/api/v1/dags/{dag_id}/runs/{run_id}"),
    ("post", "/api/v1/dags/{dag_id}/runs/{run_id}/clear"),
    ("get", "/api/v1/dags/{dag_id}/runs/{run_id}/notifications"),
    (
        "get",
        "/api/v1/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs",
    ),
    (
        "post",
        "/api/v1/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mark",
    ),
    ("get", "/api/v1/dags/{dag_id}/runs/{run_id}/xcom"),
    ("get", "/api/v1/variables"),
    ("get", "/api/v1/variables/{key}"),
    ("put", "/api/v1/variables/{key}"),
    ("delete", "/api/v1/variables/{key}"),
    ("get", "/api/v1/pools"),
    ("put", "/api/v1/pools/{name}"),
    ("delete", "/api/v1/pools/{name}"),
    ("get", "/api/v1/workers"),
    (
        "get",
        "/api/v1/worker/attempts/{ti}/{lease}/components/{digest}",
    ),
    ("post", "/api/v1/worker/attempts/{ti}/{lease}/calls"),
    ("get", "/api/v1/connections"),
    ("get", "/api/v1/connections/{conn_id}"),
    ("put", "/api/v1/connections/{conn_id}"),
    ("patch", "/api/v1/connections/{conn_id}"),
    ("delete", "/api/v1/connections/{conn_id}"),
    ("get", "/api/v1/secrets"),
    ("get", "/api/v1/secrets/{name}"),
    ("put", "/api/v1/secrets/{name}"),
    ("delete", "/api/v1/secrets/{name}"),
    ("post", "/api/v1/secret-key/rotate"),
    ("put", "/api/v1/worker/workers/{worker_id}"),
    ("get", "/api/v1/health"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/whoami"),
    ("get", "/api/v1/dags/{dag_id}/next-runs"),
    ("get", "/api/v1/dags/{dag_id}/grid"),
    ("get", "/api/v1/queues"),
    ("get", "/api/v1/metrics"),
    (
        "get",
        "/api/v1/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs/stream",
    ),
    ("post", "/api/v1/worker/attempts/{ti}/{lease}/logs"),
    ("get", "/api/v1/assets"),
    ("get", "/api/v1/assets/events"),
    ("post", "/api/v1/assets/events"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
    ("get", "/api/v1/tenants"),
    ("post", "/api/v1/tenants"),
    ("put", "/api/v1/tenants/{name}/weight"),
    ("put", "/api/v1/tenants/{name}/quotas"),
    ("put", "/api/v1/tenants/{name}/sandbox"),
    ("delete", "/api/v1/tenants/{name}"),
    ("post", "/api/v1/tenants/{name}/tokens"),
];

fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes() {
    let h = Harness::new().await;
    let reply = h.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(
        doc["openapi"]
            .as_str()
            .expect("openapi version")
            .starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Weft API");
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(documented(&doc), expected);
    assert_eq!(
        doc,
        serde_json::to_value(weft_server::openapi_for(
            &weft_server::ServerConfig::default()
        ))
        .expect("document")
    );
}

/// Tokens are declared required only where a request without one is refused: without an
/// administrator token every user route takes one optionally, and open reads make the
/// viewer routes optional; either way a token given is checked (401, 403).
#[tokio::test]
async fn the_document_requires_a_token_only_where_the_server_does() {
    let security = |config: &weft_server::ServerConfig, method: &str, path: &str| {
        let doc = serde_json::to_value(weft_server::openapi_for(config)).expect("document");
        let operation = &doc["paths"][path][method];
        let responses = operation["responses"].as_object().expect("responses");
        if !operation["security"].is_null() {
            assert!(responses.contains_key("401"), "{method} {path}");
        }
        operation["security"].clone()
    };
    let required = json!([{"api_token": []}]);
    let optional = json!([{"api_token": []}, {}]);
    let open = weft_server::ServerConfig::default();
    assert_eq!(security(&open, "get", "/api/v1/dags"), optional);
    assert_eq!(security(&open, "post", "/api/v1/dags"), optional);
    assert_eq!(
        security(&open, "put", "/api/v1/worker/workers/{worker_id}"),
        Value::Null
    );
    let mut secured = weft_server::ServerConfig::default();
    secured.auth.api_tokens = vec!["t".to_owned()];
    secured.auth.open_reads = true;
    assert_eq!(security(&secured, "get", "/api/v1/dags"), optional);
    assert_eq!(security(&secured, "post", "/api/v1/dags"), required);
    assert_eq!(security(&secured, "get", "/api/v1/tokens"), required);
    assert_eq!(security(&secured, "get", "/api/v1/health"), Value::Null);
    secured.auth.open_reads = false;
    assert_eq!(security(&secured, "get", "/api/v1/dags"), required);
}

/// Ranges the server checks are in the document, and parameters are never `null`.
#[tokio::test]
async fn the_document_states_ranges_and_patterns() {
    let doc = serde_json::to_value(weft_server::openapi()).expect("document");
    let parameter = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))["schema"]
            .clone()
    };
    let limit = parameter("/api/v1/runs", "limit");
    assert_eq!(
        (limit["minimum"].clone(), limit["maximum"].clone()),
        (json!(1), json!(1000))
    );
    assert_eq!(limit["type"], "integer");
    let wait = parameter("/api/v1/dags/{dag_id}/runs/{run_id}", "wait_ms");
    assert_eq!(wait["maximum"], 60000);
    let grid = parameter("/api/v1/dags/{dag_id}/grid", "limit");
    assert_eq!(grid["maximum"], 100);
    let dag_id = parameter("/api/v1/dags/{dag_id}", "dag_id");
    assert_eq!(dag_id["pattern"], "^[A-Za-z0-9_.-]+$");
    assert_eq!(dag_id["maxLength"], 250);
    let tenant =
        doc["paths"]["/api/v1/tenants/{name}"]["delete"]["parameters"][0]["schema"].clone();
    assert_eq!(tenant["maxLength"], 63);
    let stream = parameter(
        "/api/v1/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs/stream",
        "Last-Event-ID",
    );
    assert_eq!(stream["type"], "integer");
    // Other text in a URL holds anything but NUL, as the server checks.
    let uri = parameter("/api/v1/assets/events", "uri");
    assert_eq!(uri["pattern"], "^[^\\x00]*$", "{uri}");
    let value = &doc["components"]["schemas"]["PutVariable"]["properties"]["value"];
    assert_eq!(value["pattern"], "^[^\\x00]*$", "{value}");
    // Values that may be any JSON are typed as such.
    let xcom = &doc["components"]["schemas"]["XcomView"]["properties"]["value"];
    assert!(xcom.get("type").is_none(), "{xcom}");
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let h = Harness::new().await;
    let doc = h.get("/api/v1/openapi.json").await.json();
    for (method, path) in documented(&doc) {
        let uri = path.replace(['{', '}'], "");
        let method: Method = method.to_uppercase().parse().expect("method");
        let reply = h.send(method.clone(), &uri, None, "").await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        if reply.status == StatusCode::NOT_FOUND {
            let message = reply.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                !message.starts_with("no route"),
                "{method} {uri}: {message}"
            );
        }
    }
}

#[tokio::test]
async fn the_document_describes_bodies_and_errors() {
    let doc = serde_json::to_value(weft_server::openapi()).expect("document");
    let schemas = &doc["components"]["schemas"];
    for name in [
        "ErrorBody",
        "DeployResponse",
        "DagDetail",
        "RunView",
        "RunDetail",
        "TaskInstanceView",
        "XcomView",
        "TriggerBody",
        "WorkerList",
        "WorkerView",
        "WorkerBeat",
        "HostCall",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name} missing");
    }
    let states = &schemas["RunView"]["properties"]["state"]["enum"];
    assert_eq!(
        states,
        &serde_json::json!(["queued", "running", "success", "failed"])
    );
    let deploy = &doc["paths"]["/api/v1/dags"]["post"];
    assert!(
        deploy["requestBody"]["content"]
            .get("application/wasm")
            .is_some(),
        "{deploy}"
    );
    assert!(deploy["responses"].get("400").is_some(), "{deploy}");
}

#[tokio::test]
async fn the_document_says_which_token_each_route_needs() {
    let doc = serde_json::to_value(weft_server::openapi()).expect("document");
    let schemes = &doc["components"]["securitySchemes"];
    for name in ["api_token", "worker_token"] {
        assert_eq!(schemes[name]["type"], "http", "{schemes}");
        assert_eq!(schemes[name]["scheme"], "bearer", "{schemes}");
    }
    let security = |method: &str, path: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(
        security(
            "get",
            "/api/v1/worker/attempts/{ti}/{lease}/components/{digest}"
        ),
        serde_json::json!([{"worker_token": []}])
    );
    assert_eq!(
        security("put", "/api/v1/worker/workers/{worker_id}"),
        serde_json::json!([{"worker_token": []}])
    );
    assert_eq!(
        security("post", "/api/v1/dags"),
        serde_json::json!([{"api_token": []}])
    );
    assert_eq!(
        security("delete", "/api/v1/variables/{key}"),
        serde_json::json!([{"api_token": []}])
    );
    // Reads need a token too; health and the document do not. Each operation says what
    // it needs.
    assert_eq!(
        security("get", "/api/v1/dags"),
        serde_json::json!([{"api_token": []}])
    );
    assert_eq!(security("get", "/api/v1/health"), Value::Null);
    assert_eq!(security("get", "/api/v1/openapi.json"), Value::Null);
    let said = |method: &str, path: &str| {
        doc["paths"][path][method]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(said("get", "/api/v1/dags").ends_with("Needs a token of role `viewer` or above."));
    assert!(said("post", "/api/v1/dags").contains("role `editor`"));
    assert!(said("post", "/api/v1/dags/{dag_id}/runs").contains("role `operator`"));
    assert!(said("post", "/api/v1/tokens").contains("role `admin`"));
    assert!(said("post", "/api/v1/tenants").contains("installation administrator"));
}
