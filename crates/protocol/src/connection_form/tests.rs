//! Airflow's connection forms, the way Airflow reads them.

#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

#[test]
fn a_postgres_uri_is_percent_decoded() {
    let c = connection_from_uri("warehouse", "postgres://user:p%40ss%2Fw0rd@db.internal:5432/analytics?sslmode=require&application_name=").unwrap();
    assert_eq!(c.conn_id, "warehouse");
    assert_eq!(c.conn_type, "postgres");
    assert_eq!(c.host.as_deref(), Some("db.internal"));
    assert_eq!(c.port, Some(5432));
    assert_eq!(c.schema.as_deref(), Some("analytics"));
    assert_eq!(c.login.as_deref(), Some("user"));
    assert_eq!(c.password.as_deref(), Some("p@ss/w0rd"));
    assert_eq!(
        c.extra,
        json!({"sslmode": "require", "application_name": ""})
    );
    assert_eq!(
        connection_from_uri("x", "postgresql://h")
            .unwrap()
            .conn_type,
        "postgres"
    );
}

#[test]
fn credentials_without_a_host_are_accepted() {
    let c = connection_from_uri(
        "aws_default",
        "aws://AKIAIOSFODNN7EXAMPLE:wJalr%2FKEY@?region_name=eu-west-1&endpoint_url=http%3A%2F%2Flocalhost%3A9000",
    )
    .unwrap();
    assert_eq!(c.conn_type, "aws");
    assert_eq!(c.host, None);
    assert_eq!(c.port, None);
    assert_eq!(c.schema, None);
    assert_eq!(c.login.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(c.password.as_deref(), Some("wJalr/KEY"));
    assert_eq!(
        c.extra,
        json!({"region_name": "eu-west-1", "endpoint_url": "http://localhost:9000"})
    );
    let bare = connection_from_uri("s", "aws://").unwrap();
    assert_eq!((bare.host, bare.login, bare.password), (None, None, None));
}

#[test]
fn extra_json_comes_whole_in_dunder_extra() {
    let extra = r#"{"token": "abc", "retries": 3, "nested": {"a": [1, 2]}}"#;
    let uri = format!(
        "http://api.example.com:80/v1?__extra__={}",
        url::form_urlencoded::byte_serialize(extra.as_bytes()).collect::<String>()
    );
    let c = connection_from_uri("api", &uri).unwrap();
    assert_eq!(c.conn_type, "http");
    assert_eq!(c.port, Some(80), "an explicit default port is kept");
    assert_eq!(c.schema.as_deref(), Some("v1"));
    assert_eq!(
        c.extra,
        json!({"token": "abc", "retries": 3, "nested": {"a": [1, 2]}})
    );

    let err = connection_from_uri("api", "http://h?__extra__=%7B%7D&x=1").unwrap_err();
    assert!(
        err.to_string().contains("__extra__ must be the only"),
        "{err}"
    );
    let err = connection_from_uri("api", "http://h?__extra__=%5B1%5D").unwrap_err();
    assert!(
        err.to_string().contains("__extra__ is JSON an array"),
        "{err}"
    );
    let err = connection_from_uri("api", "http://h?__extra__=nope").unwrap_err();
    assert!(err.to_string().contains("__extra__ is not JSON"), "{err}");
}

#[test]
fn types_with_dashes_become_underscores() {
    let c = connection_from_uri("gcp", "google-cloud-platform://?project=p").unwrap();
    assert_eq!(c.conn_type, "google_cloud_platform");
    assert_eq!(c.extra, json!({"project": "p"}));
}

#[test]
fn bad_uris_are_named_without_their_password() {
    let err = connection_from_uri("c", "host:5432").unwrap_err();
    assert!(matches!(err, ConnectionFormError::NoScheme { .. }), "{err}");
    let err = connection_from_uri("c", "postgres://u:topsecret@host:99999/db").unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("connection c: not a valid URI"),
        "{message}"
    );
    assert!(!message.contains("topsecret"), "{message}");
    let err = connection_from_uri("c", "postgres://u:%FF@host/db").unwrap_err();
    assert!(err.to_string().contains("password is not UTF-8"), "{err}");
}

#[test]
fn the_json_form_reads_as_airflow_writes_it() {
    let c = connection_from_json(
        "warehouse",
        r#"{"conn_type": "postgres", "host": "db", "port": "5432", "login": "u",
            "password": "pw", "schema": "analytics", "extra": "{\"sslmode\": \"require\"}",
            "description": "the warehouse"}"#,
    )
    .unwrap();
    assert_eq!(c.port, Some(5432));
    assert_eq!(c.password.as_deref(), Some("pw"));
    assert_eq!(c.extra, json!({"sslmode": "require"}));
    let c = connection_from_json(
        "h",
        r#"{"conn_type": "http", "port": 8080, "extra": {"a": 1}}"#,
    )
    .unwrap();
    assert_eq!((c.port, c.host), (Some(8080), None));
    assert_eq!(c.extra, json!({"a": 1}));

    for (json, expected) in [
        ("[]", "it is an array"),
        ("{}", "conn_type is missing"),
        (r#"{"conn_type": "x", "port": 70000}"#, "port 70000 is not"),
        (
            r#"{"conn_type": "x", "extra": "[1]"}"#,
            "extra is JSON an array",
        ),
        (
            r#"{"conn_type": "x", "passwd": "oops"}"#,
            "unknown field \"passwd\"",
        ),
        (
            r#"{"conn_type": "x", "password": 12}"#,
            "password is a number",
        ),
        ("{", "not JSON"),
    ] {
        let err = connection_from_json("c", json).unwrap_err().to_string();
        assert!(err.contains(expected), "{json}: {err}");
    }
}
