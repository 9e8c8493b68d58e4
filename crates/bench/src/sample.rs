//! A made-up [`BenchReport`] for the rendering tests: every kind of outcome appears.

use crate::dags::Sizes;
use crate::figures::{
    AssetHop, Backlog, BacklogSample, Chain, ColdDeploy, ComponentCost, Costs, DeferredWaits,
    EgressFigures, FairShare, GuestFigures, GuestLanguage, GuestTask, HopBreakdown, IdleCpu,
    ModeResults, Outcome, PerTask, ProbeAt, ProbeHops, PythonDeploys, RoundTrip, RunTimes, S3Case,
    SandboxFigures, ScaleFan, ScaleOut, SqlFigures, Throughput, TlsResults, Usage,
};
use crate::install::Mode;
use crate::machine::{Machine, Versions};
use crate::peers::{AirflowFigures, Peers};
use crate::report::{BenchReport, Settings};
use crate::stats::Summary;
use crate::{egress, guests, peers, s3, sandbox, scale_out, scenarios, sql, tls};

fn summary(samples: &[f64]) -> Summary {
    Summary::of(samples).expect("samples")
}

/// Embedded figures that meet every goal but the fan-out's.
pub fn embedded() -> ModeResults {
    ModeResults {
        chain40: Outcome::Measured(Chain {
            times: RunTimes {
                tasks: 40,
                runs_ms: vec![12.0, 14.0, 16.0],
                summary: summary(&[12.0, 14.0, 16.0]),
            },
            per_hop_ms: 0.35,
            breakdown: Some(HopBreakdown {
                run_to_first_queued_ms: 0.2,
                upstream_end_to_queued_ms: 0.1,
                queued_to_started_ms: 0.05,
                started_to_ended_ms: 0.15,
                last_end_to_run_end_ms: 0.1,
            }),
        }),
        fan100: Outcome::Measured(RunTimes {
            tasks: 100,
            runs_ms: vec![30.0],
            summary: summary(&[30.0]),
        }),
        fan_one_run: Outcome::Measured(Throughput {
            runs: 1,
            tasks_per_run: 10_000,
            samples_s: vec![2.0],
            median_s: 2.0,
            tasks_per_s: 5_000.0,
        }),
        fan_many_runs: Outcome::Failed("timed out after 260 s waiting for 100 runs".into()),
        map_one_run: Outcome::Measured(Throughput {
            runs: 1,
            tasks_per_run: 10_001,
            samples_s: vec![2.5],
            median_s: 2.5,
            tasks_per_s: 4_000.4,
        }),
        round_trip: Outcome::Measured(RoundTrip {
            ms: summary(&[0.3, 0.6, 0.9]),
            trigger_ms: summary(&[0.1, 0.2, 0.3]),
            in_store_ms: Some(summary(&[0.2, 0.3, 0.4])),
        }),
        cold_deploy: Outcome::Measured(ColdDeploy {
            size_kib: 50.0,
            deploy_ms: 120.0,
            to_first_task_ms: 130.0,
        }),
        python_deploys: Outcome::Measured(PythonDeploys {
            first: ColdDeploy {
                size_kib: 18_000.0,
                deploy_ms: 1_400.0,
                to_first_task_ms: 2_900.0,
            },
            second: ColdDeploy {
                size_kib: 18_100.0,
                deploy_ms: 350.0,
                to_first_task_ms: 700.0,
            },
        }),
        resources: Outcome::Measured(vec![Usage {
            role: "standalone".into(),
            peak_rss_mib: 80.0,
            cpu_s: 4.0,
            tasks: 20_000,
            cpu_s_per_10k_tasks: 2.0,
        }]),
        deferred_waits: Outcome::Measured(DeferredWaits {
            waits: 1_000,
            deferred_in_ms: summary(&[180.0, 200.0, 220.0]),
            deferred_in_store_ms: Some(summary(&[90.0, 100.0, 110.0])),
            idle_s: 2.0,
            idle_cpu: vec![IdleCpu {
                role: "standalone".into(),
                ms_per_s: summary(&[0.0, 5.0, 10.0]),
                baseline_ms_per_s: summary(&[4.0]),
            }],
            worker_running_max: Some(0),
            waits_on_a_worker: 0,
            event_to_all_resumed_ms: summary(&[40.0, 45.0, 50.0]),
            trigger_to_all_seen_ms: summary(&[60.0, 70.0, 80.0]),
        }),
        fair_share: Outcome::Measured(FairShare {
            flood_tasks: 20_000,
            floods: 5,
            probe_idle_ms: summary(&[2.0, 2.5, 3.0]),
            probe_flooded_ms: summary(&[2.5, 3.0, 5.0]),
            probe_next_door_ms: Some(summary(&[1.6, 1.8, 2.0])),
            flood_s: 2.2,
            flood_tasks_per_s: 9_000.0,
            flood_alone_tasks_per_s: Some(9_400.0),
            next_door_flood_tasks_per_s: Some(9_100.0),
            single_tenant_tasks_per_s: Some(9_500.0),
            slowest_probe: Some(ProbeHops {
                round_trip_ms: 5.0,
                to_created_ms: 0.5,
                created_to_queued_ms: 1.0,
                queued_to_started_ms: 1.5,
                started_to_ended_ms: 0.5,
                ended_to_run_ended_ms: 1.0,
                to_answered_ms: 0.5,
            }),
            slowest_probes_at: vec![
                ProbeAt {
                    into_flood_ms: 1_604.0,
                    round_trip_ms: 5.0,
                },
                ProbeAt {
                    into_flood_ms: 120.0,
                    round_trip_ms: 4.2,
                },
            ],
            idle_hop_medians: Some(ProbeHops {
                round_trip_ms: 2.5,
                to_created_ms: 0.3,
                created_to_queued_ms: 0.5,
                queued_to_started_ms: 0.2,
                started_to_ended_ms: 0.2,
                ended_to_run_ended_ms: 0.3,
                to_answered_ms: 0.4,
            }),
            flooded_hop_medians: None,
            next_door_hop_medians: None,
            probe_idle_steps: Some(summary(&[2.0, 2.0, 3.0])),
            probe_flooded_steps: Some(summary(&[3.0, 4.0, 6.0])),
        }),
        asset_hop: Outcome::Measured(AssetHop {
            rounds: 10,
            event_to_run_created_ms: summary(&[2.0, 3.0, 4.0]),
            event_to_run_ended_ms: summary(&[5.0, 6.0, 7.0]),
        }),
    }
}

/// SQL figures that meet the goal: 60 µs a query in a task, 40 µs from the host.
pub fn sql() -> SqlFigures {
    SqlFigures {
        queries: 200,
        task_with_queries_ms: summary(&[13.0, 14.0, 15.0]),
        task_without_queries_ms: summary(&[1.9, 2.0, 2.1]),
        host_rounds_ms: summary(&[7.0, 8.0, 9.0]),
        task_per_query_us: 60.0,
        host_per_query_us: 40.0,
        overhead_per_query_us: 20.0,
        stream_rows: 1_000_000,
        stream_batch: 1_000,
        task_stream_ms: summary(&[1_900.0, 2_002.0, 2_100.0]),
        host_stream_ms: summary(&[400.0, 500.0, 600.0]),
        task_rows_per_s: 500_000.0,
        host_rows_per_s: 2_000_000.0,
    }
}

/// Egress figures that miss the goal: 140 µs a request in a task, 30 µs from the host.
pub fn egress() -> EgressFigures {
    EgressFigures {
        requests: 200,
        response_bytes: 33,
        task_with_requests_ms: summary(&[29.0, 30.0, 31.0]),
        task_without_requests_ms: summary(&[1.9, 2.0, 2.1]),
        host_rounds_ms: summary(&[5.0, 6.0, 7.0]),
        task_per_request_us: 140.0,
        host_per_request_us: 30.0,
        overhead_per_request_us: 110.0,
    }
}

/// The S3 homework: 1 MB measured, 100 MB failed.
pub fn s3() -> Vec<S3Case> {
    vec![
        S3Case {
            csv_bytes: 1_000_000,
            rows: 47_610,
            times: Outcome::Measured(RunTimes {
                tasks: 5,
                runs_ms: vec![800.0, 850.0, 900.0],
                summary: summary(&[800.0, 850.0, 900.0]),
            }),
            first_run_ms: Some(2_400.0),
        },
        S3Case {
            csv_bytes: 100_000_000,
            rows: 4_761_000,
            times: Outcome::Failed(
                "task extract is up_for_retry after try 1 of 2 (trap): out of memory (run r2 of \
                 DAG mall_customers)"
                    .into(),
            ),
            first_run_ms: None,
        },
    ]
}

/// The whole report: distributed could not start, Celery did not run, Airflow's chain
/// failed; its figures made from the results above as a run makes them.
pub fn report() -> BenchReport {
    let sizes = Sizes::FULL;
    let sandbox = Outcome::Measured(SandboxFigures {
        per_task_us: summary(&[25.0, 35.0, 45.0]),
        component: "noop.wasm".into(),
        size_kib: 52.0,
        compile_ms: 110.0,
        cached_load_ms: 0.9,
    });
    let guests = Outcome::Measured(GuestFigures {
        languages: vec![
            GuestLanguage {
                language: "Rust".into(),
                task: Outcome::Measured(GuestTask {
                    component_kib: 210.0,
                    per_task_us: summary(&[20.0, 24.0, 110.0]),
                    page_faults: 8.0,
                }),
            },
            GuestLanguage {
                language: "Python".into(),
                task: Outcome::Measured(GuestTask {
                    component_kib: 18_300.0,
                    per_task_us: summary(&[1_800.0, 2_000.0, 7_000.0]),
                    page_faults: 420.0,
                }),
            },
            GuestLanguage {
                language: "TypeScript".into(),
                task: Outcome::Failed("wfctl build examples/hello-ts: exit status: 1".into()),
            },
        ],
    });
    let tls = TlsResults {
        round_trip: Outcome::Measured(RoundTrip {
            ms: summary(&[0.4, 0.9, 1.5]),
            trigger_ms: summary(&[0.2, 0.3, 0.4]),
            in_store_ms: None,
        }),
        chain40: Outcome::Failed("chain40: timed out after 60 s".into()),
    };
    let peers = Peers {
        celery: Outcome::NotRun("celery_bench.sh not found".into()),
        airflow: Outcome::Measured(AirflowFigures {
            version: "3.3.2".into(),
            chain40_s: None,
            fan100_s: Some(15.0),
        }),
    };
    let distributed = ModeResults::all_failed("cannot start: no PostgreSQL");
    let mut figures = sandbox::rows(&sandbox);
    figures.extend(guests::rows(&guests));
    figures.extend(egress::rows(&Outcome::Measured(egress())));
    figures.extend(sql::rows(&Outcome::Measured(sql())));
    figures.extend(scenarios::rows(Mode::Embedded, &embedded(), &sizes));
    figures.extend(s3::rows(&s3()));
    figures.extend(scenarios::rows(Mode::Distributed, &distributed, &sizes));
    figures.extend(tls::rows(&tls, &sizes));
    figures.extend(scale_out::rows::rows(&scale_out(), sizes.big_fan.tasks));
    figures.extend(peers::rows(&peers));
    BenchReport {
        date: "2026-11-21T14:00:00Z".into(),
        quick: false,
        machine: Machine {
            cpu_model: "Test CPU @ 2.2GHz".into(),
            cores: 2,
            memory_gib: 24.0,
            kernel: "6.1.0".into(),
            load_average: "0.10 0.20 0.30".into(),
        },
        versions: Versions {
            weft: "0.1.0 (abc1234)".into(),
            rustc: "rustc 1.95.0".into(),
            redis: "7.0.15".into(),
            postgres: "15.8".into(),
            celery: "not run: celery_bench.sh not found".into(),
            airflow: "3.3.2".into(),
        },
        settings: Settings {
            sizes: serde_json::to_value(sizes).expect("sizes as JSON"),
            waits_tasks: sizes.waits.tasks,
            wait_slice_ms: 5000.0,
            worker_concurrency: 2,
            parallelism: 20_000,
            wfctl: "/repo/target/release/wfctl".into(),
        },
        figures,
    }
}

/// Costs of `tasks` tasks over `wall_s` seconds: (role, CPU seconds) each.
fn costs(tasks: usize, wall_s: f64, spent: &[(&str, f64)]) -> Costs {
    Costs {
        tasks,
        wall_s,
        components: spent
            .iter()
            .map(|(role, cpu_s)| ComponentCost {
                role: (*role).to_owned(),
                cpu_s: *cpu_s,
                cpu_s_per_10k_tasks: cpu_s * 10_000.0 / tasks as f64,
                cores_busy: cpu_s / wall_s,
            })
            .collect(),
        redis_commands_per_task: Some(4.5),
        redis_top: vec![PerTask {
            name: "evalsha".into(),
            per_task: 2.5,
        }],
        postgres_statements_per_task: Some(1.5),
        postgres_top: vec![PerTask {
            name: "WITH finished AS (UPDATE task_instances …".into(),
            per_task: 0.5,
        }],
    }
}

/// Both scale-out scenarios measured: the scheduler is the tightest component.
pub fn scale_out() -> ScaleOut {
    ScaleOut {
        workers: 32,
        fan: Outcome::Measured(ScaleFan {
            throughput: Throughput {
                runs: 1,
                tasks_per_run: 10_000,
                samples_s: vec![4.0, 5.0, 6.0],
                median_s: 5.0,
                tasks_per_s: 2_000.0,
            },
            queue_wait_ms: summary(&[1.0, 20.0, 900.0]),
            costs: costs(
                30_000,
                15.0,
                &[
                    ("server", 0.6),
                    ("scheduler", 6.0),
                    ("workers", 12.0),
                    ("PostgreSQL", 4.5),
                    ("Redis", 1.5),
                ],
            ),
        }),
        backlog: Outcome::Measured(Backlog {
            dag_id: "bench_etl6".into(),
            runs: 10_000,
            tasks_per_run: 6,
            window_s: 60.0,
            triggered_in_s: 60.5,
            trigger_ms: summary(&[1.0, 2.0, 30.0]),
            peak_backlog: 800,
            peak_at_s: 58.0,
            total_s: 75.0,
            drain_s: 14.5,
            run_ms: summary(&[20.0, 400.0, 9_000.0]),
            tasks_per_s: 800.0,
            samples: (0..=30)
                .map(|i| BacklogSample {
                    at_s: f64::from(i) * 2.5,
                    created: (i * 400).min(10_000) as usize,
                    ended: (i * 350).min(10_000) as usize,
                })
                .collect(),
            costs: costs(
                60_000,
                75.0,
                &[
                    ("server", 9.0),
                    ("scheduler", 24.0),
                    ("workers", 30.0),
                    ("PostgreSQL", 30.0),
                    ("Redis", 6.0),
                ],
            ),
        }),
    }
}
