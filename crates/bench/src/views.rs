//! Every table the benchmark prints and writes, as a [`View`] of the figures: which
//! scenarios, which modes in which columns. `BENCHMARKS.template.md` places each by its
//! name (`{{table:results}}`); the terminal gets them in this order.

use crate::figure::IN_PROCESS;
use crate::scale_out::rows::{FAN, RUNS, SCALE_OUT};
use crate::tls::TLS;
use crate::view::{Column, Show, View, column};

/// The two installation modes side by side, each goal beside its figure.
const BY_MODE: &[Column] = &[
    column("Embedded", "embedded", Show::Value),
    column("Goal", "embedded", Show::Goal),
    column("Distributed", "distributed", Show::Value),
    column("Goal", "distributed", Show::Goal),
];

/// One in-process figure and its goal.
const IN_PROCESS_FIGURE: &[Column] = &[
    column("Figure", IN_PROCESS, Show::Value),
    column("Goal", IN_PROCESS, Show::Goal),
];

/// The two loads of the scale-out installation side by side.
const BY_LOAD: &[Column] = &[
    column("Fan", FAN, Show::Value),
    column("6-task runs", RUNS, Show::Value),
];

/// Every table, in the order the terminal shows them.
pub const VIEWS: &[View] = &[
    View {
        name: "results",
        header: "Scenario",
        select: &[
            "chain40",
            "fan_one_run",
            "fan_many_runs",
            "map_one_run",
            "deferred_waits",
            "asset_hop",
            "fan100",
            "round_trip",
            "cold_deploy",
            "python_deploys",
            "resources",
        ],
        columns: BY_MODE,
    },
    View {
        name: "fair_share",
        header: "Fair share between two tenants",
        select: &["fair_share"],
        columns: BY_MODE,
    },
    View {
        name: "sandbox",
        header: "Sandbox (in-process, no services)",
        select: &["sandbox"],
        columns: IN_PROCESS_FIGURE,
    },
    View {
        name: "guests",
        header: "Guest languages (in-process): hello's t1, fresh sandbox each",
        select: &["guests"],
        columns: IN_PROCESS_FIGURE,
    },
    View {
        name: "egress",
        header: "Egress (in-process, loopback HTTP server)",
        select: &["egress"],
        columns: IN_PROCESS_FIGURE,
    },
    View {
        name: "sql",
        header: "SQL (in-process, loopback PostgreSQL)",
        select: &["sql"],
        columns: IN_PROCESS_FIGURE,
    },
    View {
        name: "tls",
        header: "TLS on every link (distributed)",
        select: &["round_trip/p50", "round_trip/p99", "chain40/run"],
        columns: &[
            column("Plain", "distributed", Show::Value),
            column("TLS", TLS, Show::Value),
            column("TLS costs", TLS, Show::Delta("distributed")),
        ],
    },
    View {
        name: "scale_out",
        header: "Scale-out (distributed, measured)",
        select: &["scale_out"],
        columns: &[column("Figure", SCALE_OUT, Show::Value)],
    },
    View {
        name: "scale_out_costs",
        header: "Component (CPU measured; tasks/s on one core projected)",
        select: &["scale_out_costs"],
        columns: BY_LOAD,
    },
    View {
        name: "scale_out_projection",
        header: "One scheduler + one PostgreSQL + one Redis (projected)",
        select: &["scale_out_projection"],
        columns: &[column("Tasks/s", SCALE_OUT, Show::Value)],
    },
    View {
        name: "scale_out_frequent",
        header: "Run most, per task (measured)",
        select: &["scale_out_frequent"],
        columns: BY_LOAD,
    },
    View {
        name: "s3",
        header: "S3 homework: mall_customers on wfctl standalone, weft-test-s3",
        select: &["s3"],
        columns: &[
            column("Trigger → success (median)", "embedded", Show::Value),
            column("Runs", "embedded", Show::Range),
        ],
    },
    View {
        name: "peers",
        header: "Comparison",
        select: &[
            "fan_one_run/tasks_per_s",
            "round_trip/p50",
            "round_trip/p99",
            "chain40/run",
            "fan100/run",
        ],
        columns: &[
            column("Weft embedded", "embedded", Show::Value),
            column("Weft distributed", "distributed", Show::Value),
            column("Celery", "celery", Show::Value),
            column("Airflow", "airflow", Show::Value),
            column(
                "Embedded vs peer",
                "embedded",
                Show::Versus(&["celery", "airflow"]),
            ),
            column(
                "Distributed vs peer",
                "distributed",
                Show::Versus(&["celery", "airflow"]),
            ),
        ],
    },
    View {
        name: "breakdown",
        header: "chain40 step (median)",
        select: &["chain40_breakdown"],
        columns: &[
            column("Embedded", "embedded", Show::Value),
            column("Distributed", "distributed", Show::Value),
        ],
    },
];

/// The view named `name`.
pub fn named(name: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.name == name)
}

#[cfg(test)]
mod tests;
