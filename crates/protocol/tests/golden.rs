//! Golden tests: the JSON of every message, pinned in `tests/golden/*.json`.
//!
//! Processes of one release talk to each other through these bytes. A change to a message's
//! JSON fails here; if it is meant, raise `PROTOCOL_VERSION` and write the new golden file
//! (`WEFT_BLESS=1 cargo test -p weft-protocol --test golden` rewrites the files).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use weft_model::tenant_sandbox::AttemptLimits;
use weft_model::{DagRunState, RunType, TaskState};
use weft_protocol::IdRange;
use weft_protocol::TaskInstance;
use weft_protocol::control::DagRun;
use weft_protocol::envelope::Message;
use weft_protocol::host_call::{Bytes, ConnectionRead, SecretRead, VariableRead, XcomPull};
use weft_protocol::worker_api::WorkerBeat;
use weft_protocol::{
    AttemptHeartbeat, AttemptKey, AttemptOutcome, AttemptResult, AttemptStarted, Command,
    Connection, ControlMessage, Envelope, HostAnswer, HostCall, LogLevel, LogLine, LogSource,
    Notice, PROTOCOL_VERSION, Reply, ReplyError, Report, RunCreated, RunCreatedFromDag,
    SecretValue, TaskLog, TaskMessage, TriggerAnswer, TriggerRefusal, TriggerRun, TriggeredRun,
};

fn at(text: &str) -> jiff::Timestamp {
    text.parse().expect("a timestamp")
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"))
}

/// `value`'s JSON is the golden file `name`, and the file reads back as `value`.
fn pinned<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let mut json = serde_json::to_string_pretty(value).expect("encodes");
    json.push('\n');
    let path = golden_path(name);
    if std::env::var_os("WEFT_BLESS").is_some() {
        std::fs::write(&path, &json).expect("golden file written");
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (WEFT_BLESS=1 writes it)", path.display()));
    assert_eq!(json, golden, "the JSON of {name} changed");
    let back: T = serde_json::from_str(&golden).expect("the golden file reads back");
    assert_eq!(&back, value, "{name} does not read back as it was");
}

/// A message sent on its own also goes through its envelope unchanged.
fn enveloped<T: Message + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = Envelope::encode(value).expect("encodes");
    assert!(
        bytes.starts_with(format!(r#"{{"v":{PROTOCOL_VERSION},"m":"#).as_bytes()),
        "carries the version first"
    );
    let back: T = Envelope::decode(&bytes).expect("decodes");
    assert_eq!(&back, value);
}

fn key() -> AttemptKey {
    AttemptKey(*b"0123456789abcdef")
}

fn task_message() -> TaskMessage {
    TaskMessage {
        ti: 41,
        lease: 3,
        attempt_key: Some(key()),
        run: 7,
        tenant: "default".into(),
        dag_id: "etl".into(),
        run_id: "manual__2026-01-02T03:04:05+00:00".into(),
        task_id: "load".into(),
        try_number: 2,
        max_tries: 3,
        digest: "sha256:0123abcd".into(),
        queue: "default".into(),
        logical_date: at("2026-01-02T03:04:05Z"),
        data_interval_start: at("2026-01-01T03:04:05Z"),
        data_interval_end: at("2026-01-02T03:04:05Z"),
        conf: json!({"name": "Ada"}),
        upstream: vec!["extract".into()],
        upstream_outputs: Some(vec![("extract".into(), b"[1,2]".to_vec())]),
        event: None,
        map_index: None,
        map_item: None,
        limits: AttemptLimits::default(),
        tenant_egress: None,
    }
}

#[test]
fn task_message_is_pinned() {
    let message = task_message();
    pinned("task_message", &message);
    enveloped(&message);
    let fetched = TaskMessage {
        upstream_outputs: None,
        ..message
    };
    pinned("task_message_fetching_upstream", &fetched);
    let resuming = TaskMessage {
        event: Some(r#"{"kind":"time","at":"2026-01-02T04:00:00Z"}"#.into()),
        ..fetched.clone()
    };
    pinned("task_message_resuming", &resuming);
    let mapped = TaskMessage {
        map_index: Some(2),
        map_item: Some(r#"{"key":"customers/2026-01-02.csv"}"#.into()),
        ..fetched.clone()
    };
    pinned("task_message_mapped", &mapped);
    // Raised from 3: a worker that did not know these fields would run the attempt without
    // its tenant's limits and egress rules.
    let sandboxed = TaskMessage {
        limits: AttemptLimits {
            timeout_ms: Some(60_000),
            memory_bytes: Some(64 << 20),
            fuel: Some(1_000_000_000),
            max_timeout_ms: Some(3_600_000),
            max_memory_bytes: None,
            max_fuel: Some(5_000_000_000),
        },
        tenant_egress: Some(vec!["https://*.example.com".into()]),
        ..fetched.clone()
    };
    pinned("task_message_tenant_sandbox", &sandboxed);
    let bytes = fetched.encode().expect("encodes");
    assert_eq!(TaskMessage::decode(&bytes).ok(), Some(fetched));
}

fn reports() -> Vec<Report> {
    vec![
        Report::Started(AttemptStarted {
            ti: 41,
            lease: 3,
            key: Some(key()),
            worker_id: "w-1".into(),
            hostname: "vm2".into(),
            at: at("2026-01-02T03:04:06Z"),
            lease_expires_at: at("2026-01-02T03:04:36Z"),
        }),
        Report::Heartbeat(AttemptHeartbeat {
            ti: 41,
            lease: 3,
            key: Some(key()),
            lease_expires_at: at("2026-01-02T03:05:06Z"),
        }),
        Report::Finished(Box::new(AttemptResult {
            ti: 41,
            lease: 3,
            key: Some(key()),
            run: 7,
            try_number: 2,
            outcome: AttemptOutcome::Success {
                output: b"{}".to_vec(),
                asset_extras: Vec::new(),
            },
            xcom: vec![("rows".into(), b"3".to_vec())],
            log: b"{}\n".to_vec(),
            started_at: at("2026-01-02T03:04:06Z"),
            ended_at: at("2026-01-02T03:04:07Z"),
            worker_id: "w-1".into(),
            hostname: "vm2".into(),
        })),
    ]
}

#[test]
fn reports_are_pinned() {
    let batch = reports();
    pinned("report_batch", &batch);
    enveloped(&batch);
    let outcomes = vec![
        AttemptOutcome::Skipped {
            reason: "nothing new".into(),
        },
        AttemptOutcome::Failed {
            retryable: true,
            class: "timeout".into(),
            message: "ran past 1s".into(),
        },
    ];
    pinned("attempt_outcomes", &outcomes);
    let waiting = vec![
        AttemptOutcome::Rescheduled {
            delay_ms: Some(1500),
        },
        AttemptOutcome::Rescheduled { delay_ms: None },
        AttemptOutcome::Deferred {
            until: weft_model::WaitCondition::External(weft_model::ExternalWait {
                dag_id: "mall_sort".into(),
                run: weft_model::RunSelector::RunId("triggered__1".into()),
                task_id: None,
                allowed_states: vec![weft_model::TaskState::Success],
                failed_states: vec![weft_model::TaskState::Failed],
            }),
            resume: true,
        },
        AttemptOutcome::Deferred {
            until: weft_model::WaitCondition::Until("2026-01-02T04:00:00Z".into()),
            resume: false,
        },
    ];
    pinned("attempt_outcomes_waiting", &waiting);
}

fn created() -> RunCreated {
    RunCreated {
        run: DagRun {
            id: 7,
            tenant: "default".into(),
            dag_id: "etl".into(),
            run_id: "manual__x".into(),
            run_type: RunType::Manual,
            logical_date: at("2026-01-02T03:04:05Z"),
            data_interval_start: at("2026-01-02T03:04:05Z"),
            data_interval_end: at("2026-01-02T03:04:05Z"),
            conf: json!({}),
            digest: "sha256:0123abcd".into(),
            state: DagRunState::Queued,
            queued_at: at("2026-01-02T03:04:05Z"),
            started_at: None,
            ended_at: None,
        },
        tis: vec![TaskInstance {
            id: 41,
            run: 7,
            tenant: "default".into(),
            dag_id: "etl".into(),
            run_id: "manual__x".into(),
            task_id: "load".into(),
            state: TaskState::None,
            try_number: 0,
            max_tries: 3,
            queue: "default".into(),
            pool: "default_pool".into(),
            priority_weight: 1,
            lease: 0,
            ..TaskInstance::default()
        }],
    }
}

#[test]
fn control_messages_are_pinned() {
    let messages = vec![
        ControlMessage::Notice {
            notice: Notice::DagChanged {
                tenant: "default".into(),
                dag_id: "etl".into(),
            },
        },
        ControlMessage::Notice {
            notice: Notice::RunChanged(7),
        },
        ControlMessage::Notice {
            notice: Notice::TenantChanged {
                tenant: "team-a".into(),
            },
        },
        ControlMessage::Created(Box::new(created())),
        ControlMessage::CreatedFromDag(Box::new(RunCreatedFromDag {
            run: created().run,
            ids: vec![IdRange(41, 100), IdRange(400, 3)],
        })),
        ControlMessage::Command {
            reply_to: "weft:reply:1".into(),
            command: Command::Clear {
                tenant: "default".into(),
                run: 7,
                task_ids: vec!["load".into()],
                downstream: true,
            },
        },
        ControlMessage::Command {
            reply_to: "weft:reply:2".into(),
            command: Command::Mark {
                tenant: "default".into(),
                run: 7,
                task_id: "load".into(),
                state: TaskState::Success,
            },
        },
    ];
    pinned("control_messages", &messages);
    for message in &messages {
        enveloped(message);
    }
}

#[test]
fn replies_are_pinned() {
    let replies = vec![
        Reply::Cleared { count: 2 },
        Reply::Marked,
        Reply::Error {
            kind: ReplyError::NotFound,
            message: "run 7 not found".into(),
        },
        Reply::Error {
            kind: ReplyError::Unavailable,
            message: "no scheduler leads".into(),
        },
    ];
    pinned("replies", &replies);
    for reply in &replies {
        enveloped(reply);
    }
}

#[test]
fn worker_api_bodies_are_pinned() {
    pinned(
        "worker_beat",
        &WorkerBeat {
            hostname: "vm2".into(),
            queues: vec!["default".into(), "vm2_queue".into()],
            concurrency: 4,
            running: 1,
            finished: 1234,
            failed: 5,
            arch: "aarch64".into(),
            labels: Vec::new(),
            version: "0.1.0".into(),
            started_at: at("2026-01-02T03:00:00Z"),
            stopped_at: Some(at("2026-01-02T04:00:00Z")),
            tenants: None,
        },
    );
    pinned(
        "worker_beat_labelled",
        &WorkerBeat {
            hostname: "gpu1".into(),
            queues: vec!["default".into()],
            concurrency: 1,
            running: 0,
            finished: 0,
            failed: 0,
            arch: "x86_64".into(),
            labels: vec!["gpu".into(), "ssd".into()],
            version: "0.1.0".into(),
            started_at: at("2026-01-02T03:00:00Z"),
            stopped_at: None,
            tenants: None,
        },
    );
}

#[test]
fn host_calls_and_answers_are_pinned() {
    let calls: Vec<HostCall> = vec![
        XcomPull {
            task_id: "extract".into(),
            key: "return_value".into(),
        }
        .into(),
        VariableRead {
            key: "bucket".into(),
        }
        .into(),
        ConnectionRead {
            conn_id: "warehouse".into(),
        }
        .into(),
        SecretRead {
            name: "api_token".into(),
        }
        .into(),
        TriggerRun {
            dag_id: "load".into(),
            conf: Some(json!({"day": 1})),
            logical_date: None,
            run_id: None,
            call: 2,
        }
        .into(),
    ];
    pinned("host_calls", &calls);
    let answers = vec![
        HostAnswer::Xcom(Some(Bytes(b"{\"rows\": 3}".to_vec()))),
        HostAnswer::Xcom(None),
        HostAnswer::Variable(Some("s3://data".into())),
        HostAnswer::Connection(Some(Connection {
            conn_id: "warehouse".into(),
            conn_type: "postgres".into(),
            host: Some("db.internal".into()),
            port: Some(5432),
            schema: Some("sales".into()),
            login: Some("etl".into()),
            password: Some("pw".into()),
            extra: json!({"sslmode": "require"}),
        })),
        HostAnswer::Secret(Some(SecretValue {
            name: "api_token".into(),
            value: "t0ken".into(),
        })),
        HostAnswer::TriggerRun(TriggerAnswer::Triggered(TriggeredRun {
            run_id: "triggered__1".into(),
            created: true,
        })),
        HostAnswer::TriggerRun(TriggerAnswer::Refused(TriggerRefusal::Paused(
            "DAG load is paused".into(),
        ))),
    ];
    pinned("host_answers", &answers);
}

#[test]
fn the_stored_log_is_pinned() {
    let log = TaskLog {
        lines: vec![
            LogLine {
                offset: Duration::from_micros(1500),
                level: LogLevel::Info,
                source: LogSource::Task,
                message: "hello".into(),
            },
            LogLine {
                offset: Duration::from_millis(2),
                level: LogLevel::Warn,
                source: LogSource::Stderr,
                message: "careful".into(),
            },
        ],
        dropped_bytes: 10,
    };
    let stored = String::from_utf8(log.encode()).expect("UTF-8");
    let path = golden_path("task_log");
    if std::env::var_os("WEFT_BLESS").is_some() {
        std::fs::write(&path, &stored).expect("golden file written");
    }
    let golden = std::fs::read_to_string(&path).expect("golden log");
    assert_eq!(stored, golden, "the stored log format changed");
}
