//! The benchmark DAGs: test guests of `weft-test-guests`, built by
//! `weft-test-guests-artifacts`.

/// One benchmark DAG component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchDag {
    /// Its DAG id.
    pub dag_id: &'static str,
    /// Path of its component.
    pub path: &'static str,
    /// Number of tasks.
    pub tasks: usize,
}

/// 40 no-op tasks in a chain.
pub const CHAIN40: BenchDag = BenchDag {
    dag_id: "bench_chain40",
    path: weft_test_guests_artifacts::BENCH_CHAIN40,
    tasks: 40,
};

/// 100 independent no-op tasks.
pub const FAN100: BenchDag = BenchDag {
    dag_id: "bench_fan100",
    path: weft_test_guests_artifacts::BENCH_FAN100,
    tasks: 100,
};

/// 500 independent no-op tasks (the big fan of quick mode).
pub const FAN500: BenchDag = BenchDag {
    dag_id: "bench_fan500",
    path: weft_test_guests_artifacts::BENCH_FAN500,
    tasks: 500,
};

/// 10,000 independent no-op tasks.
pub const FAN10000: BenchDag = BenchDag {
    dag_id: "bench_fan10000",
    path: weft_test_guests_artifacts::BENCH_FAN10000,
    tasks: 10_000,
};

/// One task mapped over 10,000 items: `list`, then 10,000 no-op instances.
pub const MAP10000: BenchDag = BenchDag {
    dag_id: "bench_map10000",
    path: weft_test_guests_artifacts::BENCH_MAP10000,
    tasks: 10_001,
};

/// One task mapped over 500 items (the mapped task of quick mode).
pub const MAP500: BenchDag = BenchDag {
    dag_id: "bench_map500",
    path: weft_test_guests_artifacts::BENCH_MAP500,
    tasks: 501,
};

/// Six no-op tasks, `extract >> [clean, enrich, score, audit] >> load`: the scale-out
/// scenario starts thousands of its runs within a minute.
pub const ETL6: BenchDag = BenchDag {
    dag_id: "bench_etl6",
    path: weft_test_guests_artifacts::BENCH_ETL6,
    tasks: 6,
};

/// One no-op task.
pub const SINGLE: BenchDag = BenchDag {
    dag_id: "bench_single",
    path: weft_test_guests_artifacts::BENCH_SINGLE,
    tasks: 1,
};

/// 100 waits on the run of `bench_single` with the same logical date (quick mode's).
pub const WAITS100: BenchDag = BenchDag {
    dag_id: "bench_waits100",
    path: weft_test_guests_artifacts::BENCH_WAITS100,
    tasks: 100,
};

/// 1,000 waits on the run of `bench_single` with the same logical date.
pub const WAITS1000: BenchDag = BenchDag {
    dag_id: "bench_waits1000",
    path: weft_test_guests_artifacts::BENCH_WAITS1000,
    tasks: 1_000,
};

/// The `mall_customers` example's crate (the S3 homework), built by the S3 scenario.
pub const MALL_CUSTOMERS_DIR: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/mall-customers");

/// A CSV the S3 homework runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct S3Csv {
    /// Its size, in bytes (whole rows, at most this).
    pub bytes: u64,
    /// Runs measured.
    pub runs: usize,
}

/// How much of each scenario a benchmark run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Sizes {
    /// chain40 runs (median taken).
    pub chain_runs: usize,
    /// Runs of the 100-task fan alone (median taken).
    pub fan100_runs: usize,
    /// The big fan, run alone.
    #[serde(serialize_with = "dag_id")]
    pub big_fan: BenchDag,
    /// Runs of the big fan (median taken).
    pub big_fan_runs: usize,
    /// The mapped task's DAG, run as often as the big fan.
    #[serde(serialize_with = "dag_id")]
    pub big_map: BenchDag,
    /// Runs of the 100-task fan triggered at once.
    pub many_runs: usize,
    /// The DAG of waits deferred at once, all ended by one run of `bench_single`.
    #[serde(serialize_with = "dag_id")]
    pub waits: BenchDag,
    /// Runs of it (medians taken).
    pub waits_runs: usize,
    /// How long the processes' CPU is watched while its waits are deferred, in ms.
    pub waits_idle_ms: u64,
    /// Single-task round trips.
    pub round_trips: usize,
    /// Runs of the big fan one tenant triggers at once to flood the scheduler.
    pub fair_share_flood_runs: usize,
    /// Probed floods in a row at least (each beside a flood alone), the probes during each
    /// counted together: one flood gives 15 to 45 probes, too few for a p99 that is not
    /// simply the slowest.
    pub fair_share_floods: usize,
    /// Probes during the floods at least: more floods follow until there are as many (and
    /// their number is odd, so that the median flood is one of them). 101 makes the p99 the
    /// second slowest.
    pub fair_share_flooded_probes: usize,
    /// Single-task runs the other tenant triggers idle, one each 100 ms, at least: in slices,
    /// one before the floods and one after each round of them (rounds past
    /// `fair_share_floods` add theirs); as many as fit in a flood come during it.
    pub fair_share_probes: usize,
    /// Single-task runs before measuring.
    pub warmup_runs: usize,
    /// Tasks of the in-process sandbox benchmark.
    pub sandbox_tasks: usize,
    /// Runs of each guest language's hello `t1`, in process.
    pub guest_tasks: usize,
    /// Tasks Celery runs for its throughput figure.
    pub celery_tasks: usize,
    /// GETs per task, and per round from the host, of the egress figures.
    pub egress_requests: usize,
    /// Runs of each egress measurement (medians taken).
    pub egress_rounds: usize,
    /// One-row queries per task, and per round from the host, of the SQL figures.
    pub sql_queries: usize,
    /// Runs of each SQL query measurement (medians taken).
    pub sql_rounds: usize,
    /// Rows of the table the SQL stream figures read.
    pub sql_stream_rows: u64,
    /// Reads of the whole table by a task, and by the host (medians taken).
    pub sql_stream_rounds: usize,
    /// The CSVs of the S3 homework, in the order they run.
    pub s3_csvs: &'static [S3Csv],
    /// Worker processes of the scale-out installation (each runs one attempt at a time).
    pub scale_workers: usize,
    /// Runs of the big fan on them (median taken).
    pub scale_fan_runs: usize,
    /// Runs of `bench_etl6` the scale-out backlog starts.
    pub scale_runs: usize,
    /// The time its triggers are spread over, in ms.
    pub scale_window_ms: u64,
    /// How often the store is read while its runs go by, in ms.
    pub scale_tick_ms: u64,
}

fn dag_id<S: serde::Serializer>(dag: &BenchDag, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(dag.dag_id)
}

impl Sizes {
    /// The full benchmark.
    pub const FULL: Sizes = Sizes {
        chain_runs: 10,
        fan100_runs: 5,
        big_fan: FAN10000,
        big_fan_runs: 3,
        big_map: MAP10000,
        many_runs: 100,
        waits: WAITS1000,
        waits_runs: 3,
        waits_idle_ms: 2_000,
        round_trips: 300,
        fair_share_flood_runs: 2,
        fair_share_floods: 5,
        fair_share_flooded_probes: 101,
        fair_share_probes: 100,
        warmup_runs: 20,
        sandbox_tasks: 10_000,
        guest_tasks: 1_000,
        celery_tasks: 5_000,
        egress_requests: 200,
        egress_rounds: 15,
        sql_queries: 200,
        sql_rounds: 15,
        sql_stream_rows: 1_000_000,
        sql_stream_rounds: 5,
        s3_csvs: &[
            S3Csv {
                bytes: 1_000_000,
                runs: 5,
            },
            S3Csv {
                bytes: 100_000_000,
                runs: 1,
            },
        ],
        scale_workers: 32,
        scale_fan_runs: 3,
        scale_runs: 10_000,
        scale_window_ms: 60_000,
        scale_tick_ms: 250,
    };

    /// The tiny configuration the test suite runs.
    pub const QUICK: Sizes = Sizes {
        chain_runs: 2,
        fan100_runs: 2,
        big_fan: FAN500,
        big_fan_runs: 1,
        big_map: MAP500,
        many_runs: 10,
        waits: WAITS100,
        waits_runs: 2,
        waits_idle_ms: 1_000,
        round_trips: 20,
        fair_share_flood_runs: 2,
        fair_share_floods: 1,
        fair_share_flooded_probes: 0,
        fair_share_probes: 10,
        warmup_runs: 3,
        sandbox_tasks: 200,
        guest_tasks: 20,
        celery_tasks: 500,
        egress_requests: 10,
        egress_rounds: 3,
        sql_queries: 10,
        sql_rounds: 3,
        sql_stream_rows: 10_000,
        sql_stream_rounds: 2,
        s3_csvs: &[
            S3Csv {
                bytes: 100_000,
                runs: 1,
            },
            S3Csv {
                bytes: 8_000_000,
                runs: 1,
            },
        ],
        scale_workers: 4,
        scale_fan_runs: 1,
        scale_runs: 100,
        scale_window_ms: 2_000,
        scale_tick_ms: 50,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_is_built() {
        for dag in [
            CHAIN40, ETL6, FAN100, FAN500, FAN10000, MAP500, MAP10000, SINGLE, WAITS100, WAITS1000,
        ] {
            assert!(
                std::path::Path::new(dag.path).is_file(),
                "{} is missing",
                dag.path
            );
        }
    }

    #[test]
    fn sizes_meet_the_minimums_of_the_brief() {
        let full = Sizes::FULL;
        assert!(full.chain_runs >= 5);
        assert_eq!(full.big_fan.tasks, 10_000);
        assert_eq!(full.many_runs * FAN100.tasks, 10_000);
        assert_eq!(full.waits.tasks, 1_000);
        assert!(full.waits_idle_ms >= 2_000);
        assert!(full.round_trips >= 300);
        let quick = Sizes::QUICK;
        assert_eq!(quick.big_fan.tasks, 500);
        assert_eq!(quick.many_runs, 10);
        assert_eq!(quick.round_trips, 20);
        assert_eq!(full.egress_requests, 200);
        assert_eq!(quick.egress_requests, 10);
        assert_eq!(full.scale_workers, 32);
        assert_eq!(full.scale_runs * ETL6.tasks, 60_000);
        assert_eq!(full.scale_window_ms, 60_000);
        let full_csvs: Vec<u64> = full.s3_csvs.iter().map(|c| c.bytes).collect();
        assert_eq!(full_csvs, [1_000_000, 100_000_000]);
    }

    #[test]
    fn the_s3_example_is_there() {
        let dir = std::path::Path::new(MALL_CUSTOMERS_DIR);
        assert!(dir.join("Cargo.toml").is_file(), "{}", dir.display());
    }
}
