#!/usr/bin/env bash
# Weft's benchmark suite, one command:
#
#   scripts/bench.sh [--peers] [--quick] [weft-bench options]
#
# Builds wfctl and weft-bench in release mode, then runs weft-bench: it starts its own
# PostgreSQL and Redis on free loopback ports, measures Weft embedded (`wfctl standalone`) and
# distributed (`wfctl server`, `scheduler`, one `worker`), stops everything, prints the table
# and writes BENCHMARKS.md and bench.json here at the repository's root.
#
#   --peers   also run the peers on this machine (Celery, Airflow: ../shared/peers/*.sh, or
#             $WEFT_PEERS_DIR) and print Weft's ratios to them. Airflow's first install
#             takes a few minutes.
#   --quick   the tiny configuration (seconds, figures meaningless); writes under
#             target/bench-quick instead of the root.
#
# `target/release/weft-bench --help` lists the rest (--out, --wfctl).
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL and Redis binaries (installed with apt-get when missing); nothing is started here.
source scripts/services.sh
_weft_services_install
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "==> rustup target add wasm32-wasip2"
    rustup target add wasm32-wasip2
fi

echo "==> cargo build --release -p wfctl -p weft-bench"
cargo build --release -p wfctl -p weft-bench
echo "==> weft-bench $*"
exec target/release/weft-bench "$@"
