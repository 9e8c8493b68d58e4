use super::*;

fn sample() -> Notification {
    let logical_date: Timestamp = "2026-11-22T10:00:00Z".parse().expect("timestamp");
    let mut n = Notification::new(
        NotificationEvent::TaskFailure,
        "acme",
        "mall_sort",
        "manual__2026-11-22T10:00:00Z",
        "failed",
        logical_date,
    );
    n.at = "2026-11-22T10:05:12.5Z".parse().expect("timestamp");
    n.task_id = Some("sort".into());
    n.map_index = Some(3);
    n.try_number = Some(2);
    n.error = Some("trap: out of fuel\nat sort.wasm".into());
    n
}

#[test]
fn json_shape_is_stable() {
    let json = serde_json::to_string(&sample()).expect("serialize");
    assert_eq!(
        json,
        concat!(
            r#"{"version":1,"event":"task_failure","tenant":"acme","dag_id":"mall_sort","#,
            r#""run_id":"manual__2026-11-22T10:00:00Z","task_id":"sort","map_index":3,"#,
            r#""try_number":2,"state":"failed","logical_date":"2026-11-22T10:00:00Z","#,
            r#""at":"2026-11-22T10:05:12.5Z","error":"trap: out of fuel\nat sort.wasm"}"#
        )
    );
}

#[test]
fn run_event_has_null_task_fields_and_round_trips() {
    let mut n = sample();
    n.event = NotificationEvent::RunSuccess;
    n.task_id = None;
    n.map_index = None;
    n.try_number = None;
    n.error = None;
    let value = serde_json::to_value(&n).expect("serialize");
    let keys: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 12, "{keys:?}");
    assert_eq!(value["event"], "run_success");
    assert!(value["task_id"].is_null() && value["map_index"].is_null());
    assert!(value["error"].is_null());
    let back: Notification = serde_json::from_value(value).expect("deserialize");
    assert_eq!(back, n);
}

#[test]
fn event_names_match_serde() {
    for event in [
        NotificationEvent::TaskSuccess,
        NotificationEvent::TaskFailure,
        NotificationEvent::TaskRetry,
        NotificationEvent::RunSuccess,
        NotificationEvent::RunFailure,
    ] {
        let json = serde_json::to_string(&event).expect("serialize");
        assert_eq!(json, format!("\"{}\"", event.as_str()));
    }
}

#[test]
fn subject_names_event_dag_run_and_task() {
    let n = sample();
    assert_eq!(
        n.subject(),
        "[weft] task_failure: mall_sort / manual__2026-11-22T10:00:00Z / sort[3]"
    );
    let mut run = n.clone();
    run.event = NotificationEvent::RunFailure;
    run.task_id = None;
    run.run_id = "evil\r\nBcc: x@example.com".into();
    assert_eq!(
        run.subject(),
        "[weft] run_failure: mall_sort / evil  Bcc: x@example.com"
    );
}

#[test]
fn text_body_lists_fields_and_error() {
    let body = sample().text_body();
    for expected in [
        "event:        task_failure\n",
        "tenant:       acme\n",
        "dag_id:       mall_sort\n",
        "run_id:       manual__2026-11-22T10:00:00Z\n",
        "task_id:      sort\n",
        "map_index:    3\n",
        "try_number:   2\n",
        "state:        failed\n",
        "logical_date: 2026-11-22T10:00:00Z\n",
        "at:           2026-11-22T10:05:12.5Z\n",
        "\nerror:\ntrap: out of fuel\nat sort.wasm\n",
    ] {
        assert!(
            body.contains(expected),
            "{expected:?} missing from:\n{body}"
        );
    }
}
