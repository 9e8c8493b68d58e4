use super::*;
use crate::problem::*;
use crate::spec::{DirectoryGrant, Resources, TaskSpec};

fn spec(tasks: Vec<TaskSpec>) -> DagSpec {
    DagSpec {
        tasks,
        ..DagSpec::new("hello")
    }
}

fn t(id: &str, upstream: &[&str]) -> TaskSpec {
    TaskSpec::new(id).after(upstream.iter().copied())
}

fn problems(spec: DagSpec) -> Vec<SpecProblem> {
    spec.validate()
        .expect_err("spec should be invalid")
        .problems
}

fn messages(spec: DagSpec) -> Vec<String> {
    problems(spec).iter().map(ToString::to_string).collect()
}

#[test]
fn the_error_lists_every_problem() {
    let s = spec(vec![
        t("a", &["c"]),
        t("b", &["a"]),
        t("c", &["b"]),
        t("t3", &["t9"]),
    ]);
    let err = s.validate().unwrap_err();
    assert_eq!(err.dag_id, "hello");
    assert_eq!(
        err.to_string(),
        "invalid DAG spec for \"hello\": task \"t3\" has unknown upstream \"t9\"; cycle: a -> b -> c -> a"
    );
}

#[test]
fn ids_are_checked() {
    let long = "x".repeat(251);
    assert!(check_id(&"x".repeat(250)).is_ok());
    assert!(check_id("Extract_1.v2-final").is_ok());
    assert_eq!(check_id(""), Err(IdIssue::Empty));
    assert_eq!(check_id(&long), Err(IdIssue::TooLong { len: 251 }));
    assert_eq!(check_id("a b"), Err(IdIssue::BadChar { ch: ' ' }));
    assert_eq!(check_id("a/b"), Err(IdIssue::BadChar { ch: '/' }));
    assert_eq!(check_id("café"), Err(IdIssue::BadChar { ch: 'é' }));

    let bad = DagSpec {
        dag_id: "my dag".into(),
        ..spec(vec![t("", &[]), t(&long, &[])])
    };
    assert_eq!(
        messages(bad),
        [
            "DAG id \"my dag\" contains ' ' (only letters, digits, '_', '-' and '.' are allowed)",
            "task id \"\" is empty",
            &format!("task id \"{long}\" is 251 characters long (at most 250)"),
        ]
    );
}

#[test]
fn graph_problems_are_found() {
    let s = spec(vec![
        t("a", &[]),
        t("b", &["a", "a"]),
        t("c", &["c"]),
        t("a", &[]),
        t("a", &[]),
    ]);
    assert_eq!(
        problems(s),
        [
            SpecProblem::DuplicateTask { task: "a".into() },
            SpecProblem::DuplicateUpstream {
                task: "b".into(),
                upstream: "a".into()
            },
            SpecProblem::SelfDependency { task: "c".into() },
        ]
    );
    assert_eq!(
        messages(spec(vec![
            t("a", &[]),
            t("a", &[]),
            t("b", &["a", "a"]),
            t("c", &["c"])
        ])),
        [
            "task id \"a\" is used by more than one task",
            "task \"b\" lists upstream \"a\" more than once",
            "task \"c\" depends on itself",
        ]
    );
    assert_eq!(messages(DagSpec::new("empty")), ["the DAG has no tasks"]);
}

#[test]
fn cycles_are_named_in_order() {
    let cycle = |s: DagSpec| match problems(s).as_slice() {
        [SpecProblem::Cycle { tasks }] => tasks.clone(),
        other => panic!("expected one cycle, got {other:?}"),
    };
    assert_eq!(
        cycle(spec(vec![t("a", &["b"]), t("b", &["a"])])),
        ["a", "b"]
    );
    // The cycle does not involve the first task, and is found from a task downstream of it.
    let s = spec(vec![
        t("start", &[]),
        t("tail", &["z"]),
        t("x", &["start", "z"]),
        t("y", &["x"]),
        t("z", &["y"]),
    ]);
    assert_eq!(cycle(s), ["x", "y", "z"]);
    let msg = messages(spec(vec![t("p", &["q"]), t("q", &["p"])]));
    assert_eq!(msg, ["cycle: p -> q -> p"]);
}

#[test]
fn a_cycle_through_ten_thousand_tasks_is_found_without_recursion() {
    let n = 10_000;
    // t0 after t9999, and each other task after the one before it.
    let tasks: Vec<TaskSpec> = (0..n)
        .map(|i| t(&format!("t{i}"), &[&format!("t{}", (i + n - 1) % n)]))
        .collect();
    let tasks_on_cycle = match problems(spec(tasks)).as_slice() {
        [SpecProblem::Cycle { tasks }] => tasks.clone(),
        other => panic!("expected one cycle, got {} problems", other.len()),
    };
    assert_eq!(tasks_on_cycle.len(), n);
    assert_eq!(tasks_on_cycle[0], "t0");
    assert_eq!(tasks_on_cycle[1], "t1");
    assert_eq!(tasks_on_cycle[n - 1], format!("t{}", n - 1));
}

#[test]
fn schedules_and_start_dates_are_checked() {
    let with = |schedule: Option<&str>, start: Option<&str>| DagSpec {
        schedule: schedule.map(Into::into),
        start_date: start.map(Into::into),
        ..spec(vec![t("a", &[])])
    };
    assert_eq!(
        messages(with(Some("61 * * * *"), Some("2024-01-01"))),
        ["schedule \"61 * * * *\": minute field \"61\": out of range 0-59"]
    );
    assert_eq!(
        messages(with(Some("0 0 31 2 *"), Some("2024-01-01"))),
        ["schedule \"0 0 31 2 *\": \"0 0 31 2 *\" never fires: no month has such a day"]
    );
    assert_eq!(
        messages(with(Some("@daily"), None)),
        ["schedule \"@daily\" needs a start_date"]
    );
    for bad in [
        "yesterday",
        "2024-02-30",
        "2024-01-01T00:00:00",
        "2024-13-01T00:00:00Z",
    ] {
        let got = problems(with(None, Some(bad)));
        assert!(
            matches!(got.as_slice(), [SpecProblem::InvalidStartDate { value, .. }] if value == bad),
            "{bad}: {got:?}"
        );
        let msg = got[0].to_string();
        assert!(
            msg.starts_with(&format!("start_date \"{bad}\": expected an RFC 3339 time")),
            "{msg}"
        );
    }
    let dag = with(Some("@daily"), Some("2024-01-01")).validate().unwrap();
    assert_eq!(
        dag.start_date(),
        Some("2024-01-01T00:00:00Z".parse().unwrap())
    );
    let dag = with(None, Some("2024-01-01T05:00:00+02:00"))
        .validate()
        .unwrap();
    assert_eq!(
        dag.start_date(),
        Some("2024-01-01T03:00:00Z".parse().unwrap())
    );
    assert!(dag.schedule().is_none());
    assert_eq!(dag.zone(), &jiff::tz::TimeZone::UTC);
}

#[test]
fn a_start_date_names_the_dags_time_zone() {
    let with = |start: &str| DagSpec {
        schedule: Some("@daily".into()),
        start_date: Some(start.into()),
        ..spec(vec![t("a", &[])])
    };
    let start = |text: &str| {
        let dag = with(text)
            .validate()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let zone = dag.zone().iana_name().unwrap_or("").to_owned();
        (dag.start_date().unwrap().to_string(), zone)
    };
    assert_eq!(
        start("2024-01-01[Europe/Berlin]"),
        ("2023-12-31T23:00:00Z".into(), "Europe/Berlin".into())
    );
    assert_eq!(
        start("2024-01-01T09:00[asia/seoul]"),
        ("2024-01-01T00:00:00Z".into(), "Asia/Seoul".into())
    );
    assert_eq!(
        start("2024-03-31T09:00:00+02:00[Europe/Berlin]"),
        ("2024-03-31T07:00:00Z".into(), "Europe/Berlin".into())
    );
    // The schedule is read in the zone: @daily is midnight in Berlin (22:00 UTC in summer);
    // without catchup the latest complete day runs.
    let dag = with("2024-07-01[Europe/Berlin]").validate().unwrap();
    let now = "2024-07-03T00:00:00Z".parse().unwrap();
    let first = dag.next_dagrun_interval(None, now).unwrap();
    assert_eq!(first.start.to_string(), "2024-07-01T22:00:00Z");
    assert_eq!(first.end.to_string(), "2024-07-02T22:00:00Z");
    for (bad, says) in [
        (
            "2024-01-01[Mars/Olympus]",
            "unknown time zone \"Mars/Olympus\"",
        ),
        ("2024-01-01[Europe/Berlin", "must end with \"]\""),
        (
            "2024-03-31T09:00:00+05:00[Europe/Berlin]",
            "expected an RFC 3339 time",
        ),
        ("tomorrow[Europe/Berlin]", "expected an RFC 3339 time"),
    ] {
        let got = problems(with(bad));
        assert!(
            matches!(got.as_slice(), [SpecProblem::InvalidStartDate { value, reason }] if value == bad && reason.contains(says)),
            "{bad}: {got:?}"
        );
    }
}

#[test]
fn settings_are_checked_where_they_are_set() {
    let zero_memory = Resources {
        memory_bytes: Some(0),
        fuel: Some(0),
        ..Default::default()
    };
    let s = DagSpec {
        max_active_runs: Some(0),
        max_active_tasks: Some(0),
        defaults: TaskSettings {
            queue: Some("bad queue".into()),
            execution_timeout_ms: Some(0),
            max_retry_delay_ms: Some(0),
            ..Default::default()
        },
        ..spec(vec![TaskSpec {
            settings: TaskSettings {
                pool: Some(String::new()),
                retries: Some(MAX_RETRIES + 1),
                retry_delay_ms: Some(MAX_DURATION_MS + 1),
                resources: Some(zero_memory),
                ..Default::default()
            },
            ..t("a", &[])
        }])
    };
    assert_eq!(
        messages(s),
        [
            "DAG: max_active_runs must not be 0",
            "DAG: max_active_tasks must not be 0",
            "defaults: max_retry_delay_ms must not be 0",
            "defaults: execution_timeout_ms must not be 0",
            "defaults: queue name \"bad queue\" contains ' ' (only letters, digits, '_', '-' and '.' are allowed)",
            "task \"a\": retries is 1001, more than the limit of 1000",
            "task \"a\": retry_delay_ms is 31536000001, more than the limit of 31536000000",
            "task \"a\": memory_bytes must not be 0",
            "task \"a\": fuel must not be 0",
            "task \"a\": pool name \"\" is empty",
        ]
    );
}

#[test]
fn memory_and_directories_are_checked() {
    let res = Resources {
        memory_bytes: Some(MAX_MEMORY_BYTES + 1),
        egress_allowlist: vec![],
        directories: vec![
            DirectoryGrant {
                guest_path: "/scratch".into(),
                writable: true,
            },
            DirectoryGrant {
                guest_path: "scratch".into(),
                writable: false,
            },
        ],
        ..Default::default()
    };
    let s = DagSpec {
        defaults: TaskSettings {
            resources: Some(res),
            ..Default::default()
        },
        ..spec(vec![t("a", &[])])
    };
    assert_eq!(
        problems(s),
        [
            SpecProblem::InvalidSetting {
                scope: Scope::Defaults,
                field: "memory_bytes",
                value: MAX_MEMORY_BYTES + 1,
                issue: SettingIssue::TooLarge {
                    max: MAX_MEMORY_BYTES
                },
            },
            SpecProblem::RelativeDirectory {
                scope: Scope::Defaults,
                guest_path: "scratch".into()
            },
        ]
    );
    let p = SpecProblem::RelativeDirectory {
        scope: Scope::Task("x".into()),
        guest_path: "tmp".into(),
    };
    assert_eq!(
        p.to_string(),
        "task \"x\": directory guest_path \"tmp\" is not absolute"
    );
}

#[test]
fn dagrun_timeout_must_be_positive_and_bounded() {
    let with = |ms| DagSpec {
        dagrun_timeout_ms: Some(ms),
        ..spec(vec![t("a", &[])])
    };
    assert_eq!(messages(with(0)), ["DAG: dagrun_timeout_ms must not be 0"]);
    assert_eq!(
        problems(with(0)),
        [SpecProblem::InvalidSetting {
            scope: Scope::Dag,
            field: "dagrun_timeout_ms",
            value: 0,
            issue: SettingIssue::Zero,
        }]
    );
    assert_eq!(
        messages(with(MAX_DURATION_MS + 1)),
        ["DAG: dagrun_timeout_ms is 31536000001, more than the limit of 31536000000"]
    );
    let dag = with(1).validate().unwrap();
    assert_eq!(
        dag.dagrun_timeout(),
        Some(std::time::Duration::from_millis(1))
    );
    let dag = spec(vec![t("a", &[])]).validate().unwrap();
    assert_eq!(dag.dagrun_timeout(), None);
}

#[test]
fn specs_stored_without_a_dagrun_timeout_still_parse() {
    let stored = r#"{"dag_id":"old","max_active_runs":1,"tasks":[{"task_id":"a"}]}"#;
    let spec: DagSpec = serde_json::from_str(stored).unwrap();
    assert_eq!(spec.dagrun_timeout_ms, None);
    assert!(spec.validate().is_ok());
}

#[test]
fn limits_themselves_are_allowed() {
    let s = DagSpec {
        max_active_runs: Some(1),
        dagrun_timeout_ms: Some(MAX_DURATION_MS),
        defaults: TaskSettings {
            retries: Some(MAX_RETRIES),
            execution_timeout_ms: Some(MAX_DURATION_MS),
            retry_delay_ms: Some(0),
            resources: Some(Resources {
                memory_bytes: Some(MAX_MEMORY_BYTES),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..spec(vec![t("a", &[])])
    };
    assert!(s.validate().is_ok());
}

#[test]
fn egress_rules_and_access_names_are_checked() {
    let res = Resources {
        egress_allowlist: vec!["https://api.example.com".into(), "ftp://x.org".into()],
        connections: vec!["s3_data".into(), "bad id".into()],
        secrets: vec!["".into()],
        ..Default::default()
    };
    let s = DagSpec {
        defaults: TaskSettings {
            resources: Some(res),
            ..Default::default()
        },
        ..spec(vec![t("a", &[])])
    };
    assert_eq!(
        messages(s),
        [
            "defaults: egress rule \"ftp://x.org\": scheme \"ftp\" is not http, https or tcp",
            "defaults: connection name \"bad id\" contains ' ' (only letters, digits, '_', '-' and '.' are allowed)",
            "defaults: secret name \"\" is empty",
        ]
    );
}

#[test]
fn notifiers_are_accepted_and_their_inputs_checked() {
    use crate::orchestration::{EmailNotifier, Notifier, RunNotifications, TaskNotifications};
    let email = |to: &[&str]| {
        Notifier::Email(EmailNotifier {
            conn_id: "smtp".into(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
        })
    };
    let good = DagSpec {
        notifications: RunNotifications {
            on_success: vec![email(&["ops@example.com"])],
            on_failure: vec![Notifier::Webhook("hook".into())],
        },
        ..spec(vec![TaskSpec {
            settings: TaskSettings {
                notifications: Some(TaskNotifications {
                    on_failure: vec![Notifier::Webhook("hook".into())],
                    on_retry: vec![email(&["oncall@example.org"])],
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..t("a", &[])
        }])
    };
    let dag = good.validate().expect("notifiers are supported");
    assert_eq!(dag.tasks()[0].notifications.on_failure.len(), 1);

    let bad = DagSpec {
        notifications: RunNotifications {
            on_success: vec![email(&[])],
            on_failure: vec![],
        },
        ..spec(vec![TaskSpec {
            settings: TaskSettings {
                notifications: Some(TaskNotifications {
                    on_failure: vec![email(&["not an address"])],
                    on_success: vec![Notifier::Webhook("bad id".into())],
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..t("a", &[])
        }])
    };
    let found = messages(bad);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found.iter().any(|m| m.contains("at least one recipient")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m.contains("\"not an address\"")),
        "{found:?}"
    );
    assert!(found.iter().any(|m| m.contains("\"bad id\"")), "{found:?}");
}

#[test]
fn an_end_date_stops_the_schedule_and_is_read_in_the_dags_zone() {
    let mut s = spec(vec![t("a", &[])]);
    s.schedule = Some("@daily".into());
    s.start_date = Some("2024-01-01[Europe/Berlin]".into());
    s.end_date = Some("2024-01-03".into());
    s.catchup = true;
    let dag = s.clone().validate().unwrap();
    assert_eq!(
        dag.end_date().map(|t| t.to_string()).as_deref(),
        Some("2024-01-02T23:00:00Z"),
        "midnight in Berlin"
    );
    let now = "2024-02-01T00:00:00Z".parse().unwrap();
    let starts: Vec<String> = dag
        .upcoming(None, now, 10)
        .iter()
        .map(|iv| iv.start.to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2023-12-31T23:00:00Z",
            "2024-01-01T23:00:00Z",
            "2024-01-02T23:00:00Z"
        ],
        "the last run's logical date is the end date"
    );
    let last = dag.upcoming(None, now, 3).last().copied();
    assert_eq!(dag.next_dagrun_interval(last, now), None);

    s.end_date = Some("2023-12-31".into());
    let got = problems(s.clone());
    assert!(
        matches!(got.as_slice(), [SpecProblem::InvalidEndDate { reason, .. }] if reason.contains("comes before the start_date")),
        "{got:?}"
    );
    s.end_date = Some("soon".into());
    assert!(matches!(
        problems(s).as_slice(),
        [SpecProblem::InvalidEndDate { .. }]
    ));
}

#[test]
fn assets_and_outlets_must_be_uris_listed_once() {
    let mut producer = t("load", &[]);
    producer.outlets = vec!["s3://weft/sorted.parquet".into(), "sorted".into()];
    let mut s = spec(vec![producer]);
    s.assets = vec![
        "s3://weft/raw.csv".into(),
        "s3://weft/raw.csv".into(),
        "s3://weft/a b".into(),
    ];
    let messages: Vec<String> = problems(s).iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[0],
        "DAG: asset \"s3://weft/raw.csv\" is listed more than once"
    );
    assert!(
        messages[1].starts_with("DAG: asset \"s3://weft/a b\" has spaces"),
        "{messages:?}"
    );
    assert!(
        messages[2].starts_with("task \"load\": asset \"sorted\" is not a URI with a scheme"),
        "{messages:?}"
    );

    // A DAG scheduled on assets alone needs no start date.
    let mut consumer = spec(vec![t("a", &[])]);
    consumer.assets = vec!["s3://weft/raw.csv".into()];
    let dag = consumer.validate().unwrap();
    assert_eq!(dag.assets(), ["s3://weft/raw.csv"]);
    assert!(dag.schedule().is_none());
}

#[test]
fn a_start_date_in_a_skipped_hour_is_placed_as_the_schedule_fires() {
    let mut s = spec(vec![t("a", &[])]);
    s.schedule = Some("30 2 * * *".into());
    // 02:30 does not exist in New York on 10 March 2024: the start and the day's firing are
    // both at 03:00, when the gap ends, so that day runs.
    s.start_date = Some("2024-03-10T02:30[America/New_York]".into());
    s.catchup = true;
    let dag = s.validate().unwrap();
    assert_eq!(
        dag.start_date().map(|t| t.to_string()).as_deref(),
        Some("2024-03-10T07:00:00Z")
    );
    let now = "2024-03-12T00:00:00Z".parse().unwrap();
    let first = dag.next_dagrun_interval(None, now).unwrap();
    assert_eq!(first.start.to_string(), "2024-03-10T07:00:00Z");
}

#[test]
fn a_continuous_dag_starts_no_run_after_its_end_date() {
    let mut s = spec(vec![t("a", &[])]);
    s.schedule = Some("@continuous".into());
    s.start_date = Some("2024-01-01".into());
    s.end_date = Some("2024-01-01T12:00:00Z".into());
    let dag = s.validate().unwrap();
    let last = Some(crate::schedule::DataInterval {
        start: "2024-01-01T11:00:00Z".parse().unwrap(),
        end: "2024-01-01T11:59:00Z".parse().unwrap(),
    });
    assert!(
        dag.next_dagrun_interval(last, "2024-01-01T11:59:30Z".parse().unwrap())
            .is_some()
    );
    assert_eq!(
        dag.next_dagrun_interval(last, "2024-01-01T15:00:00Z".parse().unwrap()),
        None
    );
}

#[test]
fn worker_labels_and_architectures_are_checked() {
    let mut gpu = t("gpu", &[]);
    gpu.settings.resources = Some(Resources {
        worker_labels: vec!["gpu".into(), "fast disk".into()],
        ..Default::default()
    });
    let mut arm = t("arm", &[]);
    arm.settings.resources = Some(Resources {
        arch: Some("arm64".into()),
        ..Default::default()
    });
    let mut many = t("many", &[]);
    many.settings.resources = Some(Resources {
        worker_labels: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
        arch: Some("mips".into()),
        ..Default::default()
    });
    assert_eq!(
        messages(spec(vec![gpu, arm, many])),
        [
            "task \"gpu\": worker labels: label \"fast disk\" contains ' ' (only letters, digits, '_', '-' and '.' are allowed)",
            "task \"arm\": arch \"arm64\" is not known: write one of x86_64, aarch64, riscv64, s390x (\"arm64\" is \"aarch64\")",
            "task \"many\": worker labels: 5 labels (at most 4)",
            "task \"many\": arch \"mips\" is not known: write one of x86_64, aarch64, riscv64, s390x",
        ]
    );
}

#[test]
fn a_task_asking_for_labels_goes_to_the_queue_of_its_requirement() {
    let mut plain = t("plain", &[]);
    plain.settings.queue = Some("etl".into());
    let mut gpu = t("gpu", &[]);
    gpu.settings.resources = Some(Resources {
        worker_labels: vec!["ssd".into(), "gpu".into()],
        ..Default::default()
    });
    let inherits = t("inherits", &[]);
    let s = DagSpec {
        defaults: TaskSettings {
            resources: Some(Resources {
                arch: Some("aarch64".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..spec(vec![plain, gpu, inherits])
    };
    let dag = s.validate().expect("valid");
    let queue = |id: &str| dag.task(id).map(|t| t.queue.clone());
    assert_eq!(queue("plain").as_deref(), Some("etl@arch=aarch64"));
    assert_eq!(
        queue("gpu").as_deref(),
        Some("default@arch=aarch64+gpu+ssd")
    );
    assert_eq!(queue("inherits").as_deref(), Some("default@arch=aarch64"));
}

#[test]
fn a_queue_too_long_with_its_requirement_is_refused_at_deploy() {
    let mut long = t("long", &[]);
    long.settings.queue = Some("q".repeat(240));
    long.settings.resources = Some(Resources {
        worker_labels: vec!["gpu".into(), "ssd".into(), "nvme".into()],
        ..Default::default()
    });
    // The same queue without labels fits.
    let mut plain = t("plain", &[]);
    plain.settings.queue = Some("q".repeat(240));
    assert_eq!(
        messages(spec(vec![long, plain])),
        [
            "task \"long\": its queue with the worker labels and arch it asks for is 253 characters long (at most 250): shorten the queue's name or the labels"
        ]
    );
}

#[test]
fn a_wait_on_a_run_id_no_run_can_have_is_refused() {
    use crate::orchestration::{ExternalWait, RunSelector, WaitCondition};
    let on = |run_id: &str| {
        check_wait(&WaitCondition::External(ExternalWait {
            dag_id: "child".into(),
            run: RunSelector::RunId(run_id.into()),
            task_id: None,
            allowed_states: Vec::new(),
            failed_states: Vec::new(),
        }))
    };
    assert!(on("manual__2026-01-01T00:00:00+00:00").is_ok());
    assert!(on(&"é".repeat(125)).is_ok());
    for (run_id, issue) in [
        ("", IdIssue::Empty),
        ("r\0", IdIssue::ControlChar { ch: '\0' }),
        ("two\nlines", IdIssue::ControlChar { ch: '\n' }),
        (&"x".repeat(251), IdIssue::TooManyBytes { len: 251 }),
        (&"é".repeat(126), IdIssue::TooManyBytes { len: 252 }),
    ] {
        let refused = on(run_id).expect_err(run_id);
        assert_eq!(
            refused,
            OrchestrationIssue::BadExternalId {
                what: "run",
                id: run_id.to_owned(),
                issue
            }
        );
    }
}
