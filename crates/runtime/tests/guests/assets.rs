//! The guests of world 0.5.0's assets: producers attach data to their outlets' events and
//! are refused any other asset; the consumer reads the events that started its run (part of
//! the `guests` test binary).

use super::*;

/// A producer of world 0.5.0: its task updates `uri`, and runs fine.
fn assert_producer(path: &str, dag_id: &str, task_id: &str, uri: &str) {
    let component = load(path);
    assert_eq!(component.world_version(), "0.5.0");
    let dag = component.dag();
    assert_eq!(dag.id(), dag_id);
    assert!(dag.assets().is_empty());
    assert_eq!(
        dag.task(task_id).map(|t| t.outlets.clone()),
        Some(vec![uri.to_owned()])
    );
    let report = run(&component, task_id);
    assert_eq!(report.outcome, TaskOutcome::Success(Vec::new()));
    // The extra it attached names its run; the one for an asset it does not update was
    // refused (else the task fails).
    assert_eq!(
        report.asset_extras,
        [(uri.to_owned(), json!({"run_id": "manual__local"}))]
    );
}

#[test]
pub fn asset_raw() {
    assert_producer(
        guests::ASSET_RAW,
        "asset_raw",
        "extract",
        "s3://weft/raw.csv",
    );
}

#[test]
pub fn asset_sorted() {
    assert_producer(
        guests::ASSET_SORTED,
        "asset_sorted",
        "sort",
        "s3://weft/sorted.parquet",
    );
}

#[test]
pub fn asset_report() {
    let component = load(guests::ASSET_REPORT);
    let dag = component.dag();
    assert_eq!(
        dag.assets(),
        ["s3://weft/raw.csv", "s3://weft/sorted.parquet"]
    );
    assert!(dag.schedule().is_none(), "assets alone start its runs");
    let conf = json!({"triggering_asset_events": [
        {"id": 1, "uri": "s3://weft/raw.csv", "extra": {"rows": 200}, "created_at": "2024-01-01T00:00:00Z"},
        {"id": 2, "uri": "s3://weft/sorted.parquet", "extra": {}, "created_at": "2024-01-01T00:01:00Z"},
    ]});
    let report = run_with(&component, "report", Call::with_conf(conf));
    assert_eq!(
        output_json(&report),
        json!([["s3://weft/raw.csv", {"rows": 200}], ["s3://weft/sorted.parquet", {}]])
    );
}
