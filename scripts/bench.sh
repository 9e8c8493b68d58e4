#!/usr/bin/env bash
# Weft's benchmark suite, one command:
#
#   scripts/bench.sh [--peers] [--quick] [weft-bench options]
#
# Builds wfctl, weft-bench and the S3 server weft-test-s3 in release mode, then runs
# weft-bench: it measures the sandbox, a task in each guest language (the hello example in
# Rust, Python and TypeScript, built with `wfctl build`), egress and SQL in process (SQL on its
# own PostgreSQL on a free loopback port: a task's one-row query against the host's, and
# 1,000,000 rows streamed into a task), Weft embedded (`wfctl
# standalone`), the S3 homework (the mall_customers example, built by the benchmark for its
# own weft-test-s3 on a free port; the first build compiles the example's dependencies into
# target/bench-examples) and distributed (`wfctl server`, `scheduler`, one `worker` on its own
# PostgreSQL and Redis on free loopback ports; each mode ends by deploying two new Python DAGs
# it builds with `wfctl build`, for which componentize-py is installed first), stops
# everything, prints the tables and writes BENCHMARKS.md and bench.json here at the
# repository's root.
#
#   --peers   also run the peers on this machine (Celery, Airflow: ../shared/peers/*.sh, or
#             $WEFT_PEERS_DIR) and print Weft's ratios to them. Airflow's first install
#             takes a few minutes.
#   --latency only the round trips and chain40 (in the modes of --mode), printed as JSON
#             lines; nothing is written. To compare two builds, run it on each in turn.
#   --fair-share only the fair-share scenario, after the big fan alone reported beside it (in
#             the modes of --mode), printed as JSON lines; nothing is written.
#   --scale-out only the scale-out scenarios (32 workers on one queue; 10,000 runs of a
#             6-task DAG within a minute), printed as JSON; nothing is written.
#   --render FILE  measure nothing: write the tables and BENCHMARKS.md (and bench.json) again
#             from the figures of FILE, a bench.json of an earlier run.
#   --quick   the tiny configuration (figures meaningless; a few minutes, most of it building
#             the examples it measures); writes under target/bench-quick instead of the root.
#
# `target/release/weft-bench --help` lists the rest (--out, --wfctl, --s3-server).
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL and Redis binaries (installed with apt-get when missing); nothing is started here.
source scripts/setup.sh
source scripts/services.sh
_weft_services_install
# The benchmark builds two Python DAGs (crates/bench/src/python_deploy.rs), and the hello
# example in Python and TypeScript (crates/bench/src/guests.rs).
weft_setup_python
weft_setup_js
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "==> rustup target add wasm32-wasip2"
    rustup target add wasm32-wasip2
fi

echo "==> cargo build --release -p wfctl -p weft-bench -p weft-test-s3"
cargo build --release -p wfctl -p weft-bench -p weft-test-s3
echo "==> weft-bench $*"
exec "${CARGO_TARGET_DIR:-target}/release/weft-bench" "$@"
