use super::*;
use crate::spec::DirectoryGrant;

fn t(id: &str, upstream: &[&str]) -> TaskSpec {
    TaskSpec::new(id).after(upstream.iter().copied())
}

fn dag(tasks: Vec<TaskSpec>) -> Dag {
    DagSpec {
        tasks,
        ..DagSpec::new("d")
    }
    .validate()
    .unwrap()
}

fn order(d: &Dag) -> Vec<&str> {
    d.tasks().iter().map(|t| t.id.as_str()).collect()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn tasks_get_airflow_defaults() {
    let d = dag(vec![t("a", &[])]);
    let a = d.task("a").unwrap();
    assert_eq!(a.queue, "default");
    assert_eq!(a.pool, "default_pool");
    assert_eq!(a.retries, 0);
    assert_eq!(a.max_tries(), 1);
    assert_eq!(a.retry_delay, Duration::from_secs(300));
    assert!(!a.retry_exponential_backoff);
    assert_eq!(a.max_retry_delay, None);
    assert_eq!(a.execution_timeout, None);
    assert_eq!(a.priority_weight, 1);
    assert_eq!(a.trigger_rule, TriggerRule::AllSuccess);
    assert_eq!(a.resources, Resources::default());
}

#[test]
fn task_settings_override_dag_defaults() {
    let scratch = Resources {
        directories: vec![DirectoryGrant {
            guest_path: "/scratch".into(),
            writable: true,
        }],
        ..Default::default()
    };
    let defaults = TaskSettings {
        queue: Some("io".into()),
        retries: Some(2),
        retry_delay_ms: Some(1_000),
        execution_timeout_ms: Some(60_000),
        resources: Some(Resources {
            memory_bytes: Some(1 << 20),
            fuel: Some(7_000),
            egress_allowlist: vec!["https://api.example.com".into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let own = TaskSettings {
        queue: Some("cpu".into()),
        pool: Some("db".into()),
        priority_weight: Some(-5),
        retry_exponential_backoff: Some(true),
        max_retry_delay_ms: Some(10_000),
        resources: Some(scratch.clone()),
        ..Default::default()
    };
    let spec = DagSpec {
        defaults,
        tasks: vec![
            t("a", &[]),
            TaskSpec {
                settings: own,
                ..t("b", &["a"])
            },
        ],
        ..DagSpec::new("d")
    };
    let d = spec.validate().unwrap();
    let (a, b) = (d.task("a").unwrap(), d.task("b").unwrap());
    assert_eq!((a.queue.as_str(), a.retries, a.max_tries()), ("io", 2, 3));
    assert_eq!(a.retry_delay, Duration::from_secs(1));
    assert_eq!(a.execution_timeout, Some(Duration::from_secs(60)));
    assert_eq!(a.resources.memory_bytes, Some(1 << 20));
    assert_eq!(a.resources.fuel, Some(7_000));
    assert_eq!(
        (b.queue.as_str(), b.pool.as_str(), b.priority_weight),
        ("cpu", "db", -5)
    );
    assert_eq!(b.retries, 2);
    assert!(b.retry_exponential_backoff);
    assert_eq!(b.max_retry_delay, Some(Duration::from_secs(10)));
    // Resources resolve field by field: what the task sets replaces the defaults' (its
    // directories), what it leaves unset or empty is the defaults' (memory, CPU budget,
    // egress).
    assert_eq!(
        b.resources,
        Resources {
            memory_bytes: Some(1 << 20),
            fuel: Some(7_000),
            egress_allowlist: vec!["https://api.example.com".into()],
            ..scratch
        }
    );
}

#[test]
fn a_tasks_own_memory_and_cpu_budget_beat_the_defaults() {
    let defaults = TaskSettings {
        resources: Some(Resources {
            memory_bytes: Some(1 << 20),
            fuel: Some(7_000),
            ..Default::default()
        }),
        ..Default::default()
    };
    let own = TaskSettings {
        resources: Some(Resources {
            memory_bytes: Some(2 << 20),
            fuel: Some(9_000),
            ..Default::default()
        }),
        ..Default::default()
    };
    let spec = DagSpec {
        defaults,
        tasks: vec![TaskSpec {
            settings: own,
            ..t("a", &[])
        }],
        ..DagSpec::new("d")
    };
    let d = spec.validate().unwrap();
    let a = d.task("a").unwrap();
    assert_eq!(
        (a.resources.memory_bytes, a.resources.fuel),
        (Some(2 << 20), Some(9_000))
    );
}

#[test]
fn topological_order_breaks_ties_by_declaration() {
    // Declared downstream first.
    let d = dag(vec![
        t("load", &["transform"]),
        t("transform", &["extract"]),
        t("extract", &[]),
    ]);
    assert_eq!(order(&d), ["extract", "transform", "load"]);
    let diamond = dag(vec![
        t("join", &["right", "left"]),
        t("right", &["root"]),
        t("left", &["root"]),
        t("root", &[]),
        t("lonely", &[]),
    ]);
    assert_eq!(order(&diamond), ["root", "right", "left", "join", "lonely"]);
    // The same spec always gives the same order.
    for _ in 0..5 {
        let again = dag(diamond.spec().tasks.clone());
        assert_eq!(order(&again), order(&diamond));
    }
}

#[test]
fn downstream_leaves_and_ancestors() {
    let d = dag(vec![
        t("a", &[]),
        t("b", &["a"]),
        t("c", &["a"]),
        t("d", &["b", "c"]),
        t("e", &[]),
    ]);
    assert_eq!(d.task("a").unwrap().downstream, ["b", "c"]);
    assert_eq!(d.task("d").unwrap().upstream, ["b", "c"]);
    assert!(d.is_leaf("d") && d.is_leaf("e"));
    assert!(!d.is_leaf("a") && !d.is_leaf("missing"));
    assert!(d.is_ancestor("a", "d"));
    assert!(d.is_ancestor("b", "d"));
    assert!(d.is_ancestor("a", "b"));
    assert!(!d.is_ancestor("d", "a"));
    assert!(!d.is_ancestor("b", "c"));
    assert!(!d.is_ancestor("a", "a"));
    assert!(!d.is_ancestor("e", "d"));
    assert!(!d.is_ancestor("missing", "d"));
    assert!(!d.is_ancestor("a", "missing"));
    assert!(d.task("missing").is_none());
}

#[test]
fn ten_thousand_tasks_in_a_chain() {
    let n = 10_000;
    let tasks: Vec<TaskSpec> = (0..n)
        .rev()
        .map(|i| {
            if i == 0 {
                t("t0", &[])
            } else {
                t(&format!("t{i}"), &[&format!("t{}", i - 1)])
            }
        })
        .collect();
    let d = dag(tasks);
    assert_eq!(d.tasks().len(), n);
    assert_eq!(d.tasks()[0].id, "t0");
    assert_eq!(d.tasks()[n - 1].id, format!("t{}", n - 1));
    assert!(d.is_ancestor("t0", "t9999"));
    assert!(!d.is_ancestor("t9999", "t0"));
    assert!(d.is_leaf("t9999"));
}

#[test]
fn dag_accessors() {
    let spec = DagSpec {
        schedule: Some("@daily".into()),
        start_date: Some("2024-01-01".into()),
        catchup: true,
        max_active_runs: Some(3),
        max_active_tasks: Some(16),
        dagrun_timeout_ms: Some(90_000),
        tasks: vec![t("a", &[])],
        ..DagSpec::new("etl")
    };
    let d = spec.clone().validate().unwrap();
    assert_eq!(d.id(), "etl");
    assert_eq!(d.spec(), &spec);
    assert_eq!(d.schedule().map(Schedule::as_str), Some("@daily"));
    assert_eq!(d.start_date(), Some(ts("2024-01-01T00:00:00Z")));
    assert_eq!(
        (d.max_active_runs(), d.max_active_tasks(), d.catchup()),
        (Some(3), Some(16), true)
    );
    assert_eq!(d.dagrun_timeout(), Some(Duration::from_secs(90)));
    let first = DataInterval {
        start: ts("2024-01-01T00:00:00Z"),
        end: ts("2024-01-02T00:00:00Z"),
    };
    let now = ts("2024-01-01T12:00:00Z");
    assert_eq!(d.next_dagrun_interval(None, now), None);
    assert_eq!(d.next_interval(None, now), Some(first));
    assert_eq!(d.next_dagrun_interval(None, first.end), Some(first));
    assert_eq!(d.manual_interval(first.end), first);
}

#[test]
fn unscheduled_dags_only_run_by_hand() {
    let d = dag(vec![t("a", &[])]);
    assert_eq!(d.schedule(), None);
    assert_eq!(
        (d.max_active_runs(), d.max_active_tasks(), d.catchup()),
        (None, None, false)
    );
    let now = ts("2024-01-01T12:00:00Z");
    assert_eq!(d.next_interval(None, now), None);
    assert_eq!(d.next_dagrun_interval(None, now), None);
    assert_eq!(d.manual_interval(now), DataInterval::exact(now));
}
