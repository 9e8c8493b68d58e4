//! Weft's benchmark suite: real installations, measured from the outside like a user sees
//! them, side by side with Celery and Airflow on the same machine.
//!
//! [`suite::run`] measures the in-process sandbox, a task in each guest language (the hello
//! example's `t1` in Rust, Python and TypeScript), egress (a task's outgoing HTTP request
//! against the host's) and SQL (a task's query against the host's, rows streamed into a
//! task), then `wfctl standalone` (embedded), then the S3 homework
//! (`mall_customers` reading from `weft-test-s3`), then `wfctl server` + `scheduler` + one
//! `worker` on PostgreSQL and Redis it starts (distributed), each driven through the HTTP
//! API: chain40, fan-outs, round trips, a new component's first task, the processes' CPU
//! and memory, and 1,000 waits deferred at once, all ended by one event. With `--peers` it
//! runs the peer scripts too. Each scenario's results become [`figure::Figure`] rows (scenario,
//! mode, metric, unit, value, goal); the [`report::BenchReport`] holding them is printed as
//! the tables of [`views`] and written as `BENCHMARKS.md` ([`markdown`], the prose in
//! `BENCHMARKS.template.md`) and `bench.json`, from which `weft-bench --render` writes them
//! again.
//!
//! ```no_run
//! let options = weft_bench::suite::Options {
//!     quick: true,
//!     peers: false,
//!     modes: weft_bench::suite::Modes::Both,
//!     wfctl: "target/debug/wfctl".into(),
//!     peers_dir: "../shared/peers".into(),
//!     s3_server: "target/debug/weft-test-s3".into(),
//!     work_dir: std::env::temp_dir(),
//! };
//! let report = weft_bench::suite::run(&options);
//! for view in weft_bench::views::VIEWS {
//!     println!("{}", view.render(&report.figures).text());
//! }
//! ```
//!
//! # Layout
//! - [`suite`]: the whole run; [`scenarios`]: the scenarios on one installation;
//!   [`deferred`]: many waits deferred at once, all ended by one event;
//!   [`sandbox`], [`guests`], [`egress`], [`sql`]: the in-process figures; [`s3`]: the S3
//!   homework;
//!   [`peers`]: Celery and Airflow;
//! - [`install`]: starting Weft in either mode; [`process`]: child processes;
//!   [`client`]: the HTTP API; [`wait`]: waiting for runs to end;
//! - [`figures`]: what the scenarios measure; [`figure`]: each figure as a row;
//!   [`report`]: the rows of one run; [`stats`], [`breakdown`], [`procfs`]: computing them;
//!   [`goals`]: the goals they are judged by;
//! - [`view`], [`views`], [`table`], [`markdown`], [`template`], [`notes`], [`format`]:
//!   presenting them;
//! - [`dags`]: the benchmark DAG components and sizes; [`machine`]: machine and versions;
//!   [`nonce`]: never-seen components; [`mall_csv`]: the S3 homework's CSV;
//!   [`http_server`]: the egress figures' loopback server; [`error`]: errors.

pub mod asset_hop;
pub mod breakdown;
pub mod client;
pub mod dags;
pub mod deferred;
pub mod egress;
pub mod error;
pub mod fair_share;
pub mod figure;
pub mod figures;
pub mod format;
pub mod goals;
pub mod guests;
pub mod http_server;
pub mod install;
pub mod machine;
pub mod mall_csv;
pub mod markdown;
pub mod nonce;
pub mod notes;
pub mod peers;
pub mod process;
pub mod procfs;
pub mod python_deploy;
pub mod report;
pub mod s3;
#[cfg(test)]
mod sample;
pub mod sandbox;
pub mod scale_out;
pub mod scenarios;
pub mod sql;
pub mod stats;
pub mod suite;
pub mod table;
pub mod template;
pub mod tls;
pub mod view;
pub mod views;
pub mod wait;

pub use error::BenchError;
pub use report::BenchReport;
