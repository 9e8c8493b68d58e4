//! A task's own limits from the command line: `wfctl inspect` shows them with the world the
//! component was built for, and `wfctl run` holds the task to its own CPU budget unless
//! `--fuel` says otherwise.

use crate::common;

use common::wfctl;
use weft_test_guests_artifacts as guests;

#[test]
fn inspect_shows_the_world_and_each_tasks_own_limits() {
    let text = wfctl(["inspect", guests::FUEL_BUDGET]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains("world        weft:dag@0.4.0"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("limits fuel 2000000"),
        "{}",
        text.stdout
    );
    let json = wfctl(["inspect", guests::FUEL_BUDGET, "--output", "json"]).json();
    assert_eq!(json["world"], "weft:dag@0.4.0");
    let fuel: Vec<_> = json["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| (t["task_id"].clone(), t["resources"]["fuel"].clone()))
        .collect();
    assert_eq!(
        fuel,
        [
            ("spin".into(), 2_000_000.into()),
            ("count".into(), 2_000_000.into())
        ]
    );
    let older = wfctl(["inspect", guests::NOOP, "--output", "json"]).json();
    assert_eq!(older["world"], "weft:dag@0.1.0");
}

#[test]
fn run_holds_a_task_to_its_own_cpu_budget_unless_told_otherwise() {
    // The timeout only bounds the test if the task's budget were ignored.
    let own = wfctl(["run", guests::FUEL_BUDGET, "spin", "--timeout", "30s"]);
    assert_eq!(own.code, 1, "{own:?}");
    assert!(
        own.stderr.contains("CPU budget of 2000000 fuel units"),
        "{own:?}"
    );
    let flag = wfctl(["run", guests::FUEL_BUDGET, "spin", "--fuel", "1000"]);
    assert_eq!(flag.code, 1, "{flag:?}");
    assert!(
        flag.stderr.contains("CPU budget of 1000 fuel units"),
        "{flag:?}"
    );
    let count = wfctl(["run", guests::FUEL_BUDGET, "count"]);
    assert_eq!(count.code, 0, "{count:?}");
    assert_eq!(count.stdout.trim(), "50005000");
}

#[test]
fn inspect_shows_the_time_zone_and_the_next_runs() {
    let text = wfctl(["inspect", guests::ZONED_DAILY]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains("time zone    Europe/Berlin"),
        "{}",
        text.stdout
    );
    let shown: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| l.contains(" CET ") || l.contains(" CEST "))
        .collect();
    assert_eq!(
        shown.len(),
        5,
        "five next runs in Berlin time: {}",
        text.stdout
    );
    assert!(
        shown[0].trim_start().starts_with("next runs"),
        "{}",
        text.stdout
    );
    let json = wfctl(["inspect", guests::ZONED_DAILY, "--output", "json"]).json();
    assert_eq!(json["timezone"], "Europe/Berlin");
    let runs = json["next_runs"].as_array().expect("next_runs");
    assert_eq!(runs.len(), 5);
    for run in runs {
        let local = run["logical_date_local"].as_str().expect("local");
        assert!(
            local.contains("T02:30:00+") || local.contains("T03:00:00+02:00"),
            "{local}"
        );
    }
    let utc = wfctl(["inspect", guests::NOOP, "--output", "json"]).json();
    assert_eq!(utc["timezone"], "UTC");
    assert_eq!(utc["next_runs"], serde_json::json!([]));
}
