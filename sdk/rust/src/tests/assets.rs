//! Tests of the `weft:dag@0.5.0` additions: outlets, DAGs on assets, end dates, and the
//! events that started a run.

use serde_json::json;

use super::context;
use crate::prelude::*;

fn ok_task(_: &Context) -> TaskResult<()> {
    Ok(())
}

#[test]
fn outlets_assets_and_the_end_date_reach_the_spec() {
    let dag = Dag::new("report")
        .schedule("@daily")
        .start_date("2024-01-01[Europe/Berlin]")
        .end_date("2024-12-31")
        .on_assets(["s3://weft/raw.csv", "s3://weft/sorted.parquet"]);
    dag.task("sort", ok_task)
        .outlets(["s3://weft/sorted.parquet"]);
    dag.task("plain", ok_task);
    let spec = dag.to_wit();
    assert_eq!(spec.end_date.as_deref(), Some("2024-12-31"));
    assert_eq!(
        spec.assets,
        ["s3://weft/raw.csv", "s3://weft/sorted.parquet"]
    );
    assert_eq!(spec.tasks[0].outlets, ["s3://weft/sorted.parquet"]);
    assert!(spec.tasks[1].outlets.is_empty());
}

#[test]
fn a_run_reads_the_events_that_started_it() {
    let mut info = context("report");
    info.conf = json!({"triggering_asset_events": [
        {"id": 3, "uri": "s3://weft/raw.csv", "extra": {"rows": 200},
         "source": null, "created_at": "2024-01-01T00:00:00Z"},
        {"id": 4, "uri": "s3://weft/sorted.parquet", "extra": {},
         "source": {"dag_id": "sort", "run_id": "r1", "task_id": "sort"},
         "created_at": "2024-01-01T00:01:00Z"},
    ]})
    .to_string();
    let ctx = Context::new(info, vec![]);
    let events = ctx.triggering_asset_events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].uri, "s3://weft/raw.csv");
    assert_eq!(events[0].extra, json!({"rows": 200}));
    assert_eq!(events[0].source, None);
    assert_eq!(
        events[1].source.as_ref().map(|s| s.task_id.as_str()),
        Some("sort")
    );

    let mut plain = context("report");
    plain.conf = "{}".into();
    assert!(
        Context::new(plain, vec![])
            .triggering_asset_events()
            .is_empty()
    );
}
