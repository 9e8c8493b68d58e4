//! A DAG's next runs: in its time zone, none for continuous and unscheduled DAGs, and a count
//! out of range refused.

use axum::http::StatusCode;
use sha2::Digest as _;
use weft_model::{DagSpec, TaskSpec};
use weft_store::{DEFAULT_TENANT, Deploy};

use crate::support::{Harness, now};

async fn stored(h: &Harness, dag_id: &str, schedule: Option<&str>, start: Option<&str>) {
    let mut spec = DagSpec::new(dag_id);
    spec.schedule = schedule.map(Into::into);
    spec.start_date = start.map(Into::into);
    spec.tasks = vec![TaskSpec::new("a")];
    let bytes = format!("component of {dag_id}").into_bytes();
    h.store
        .deploy(Deploy {
            tenant: DEFAULT_TENANT.into(),
            digest: format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes))),
            bytes,
            dag_id: dag_id.into(),
            spec,
            at: now(),
        })
        .await
        .expect("deploy");
}

#[tokio::test]
async fn next_runs_are_listed_in_the_dags_time_zone() {
    let h = Harness::new().await;
    stored(
        &h,
        "seoul",
        Some("0 9 * * *"),
        Some("2024-01-01[Asia/Seoul]"),
    )
    .await;
    // 2024-06-01T12:00:00Z is 21:00 in Seoul: without catchup, the day that ended at 09:00
    // runs first.
    let next = h.get("/api/v1/dags/seoul/next-runs?count=3").await;
    assert_eq!(next.status, StatusCode::OK);
    let body = next.json();
    assert_eq!(body["timezone"], "Asia/Seoul", "{body}");
    assert_eq!(body["schedule"], "0 9 * * *", "{body}");
    let shown: Vec<(&str, &str)> = body["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["logical_date"].as_str().unwrap_or("?"),
                r["logical_date_local"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "2024-05-31T00:00:00Z",
                "2024-05-31T09:00:00+09:00[Asia/Seoul]"
            ),
            (
                "2024-06-01T00:00:00Z",
                "2024-06-01T09:00:00+09:00[Asia/Seoul]"
            ),
            (
                "2024-06-02T00:00:00Z",
                "2024-06-02T09:00:00+09:00[Asia/Seoul]"
            ),
        ]
    );
    let default = h.get("/api/v1/dags/seoul/next-runs").await.json();
    assert_eq!(default["runs"].as_array().map(Vec::len), Some(10));
    let list = h.get("/api/v1/dags").await.json();
    assert_eq!(list["dags"][0]["timezone"], "Asia/Seoul", "{list}");
}

#[tokio::test]
async fn continuous_and_unscheduled_dags_list_no_next_run() {
    let h = Harness::new().await;
    stored(&h, "loop", Some("@continuous"), Some("2024-01-01")).await;
    stored(&h, "by_hand", None, None).await;
    let body = h.get("/api/v1/dags/loop/next-runs").await.json();
    assert_eq!(body["continuous"], true, "{body}");
    assert_eq!(body["runs"], serde_json::json!([]), "{body}");
    let body = h.get("/api/v1/dags/by_hand/next-runs").await.json();
    assert_eq!(body["schedule"], serde_json::Value::Null, "{body}");
    assert_eq!(body["timezone"], "UTC", "{body}");
    assert_eq!(body["runs"], serde_json::json!([]), "{body}");
}

#[tokio::test]
async fn a_count_out_of_range_or_an_unknown_dag_is_refused() {
    let h = Harness::new().await;
    stored(&h, "daily", Some("@daily"), Some("2024-01-01")).await;
    for count in ["0", "101"] {
        let message = h
            .get(&format!("/api/v1/dags/daily/next-runs?count={count}"))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert!(
            message.contains(&format!("count {count} is out of range (1 to 100)")),
            "{message}"
        );
    }
    let message = h
        .get("/api/v1/dags/daily/next-runs?count=many")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("count"), "{message}");
    h.get("/api/v1/dags/nope/next-runs")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
