#!/usr/bin/env bash
# The main job on the embedded default: build wfctl and the `hello` example DAG, show the DAG,
# and run it end to end on this machine. Ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
weft_setup

echo "==> cargo build --release -p wfctl"
cargo build --release -p wfctl
wfctl=target/release/wfctl

echo "==> wfctl build examples/hello"
hello=$($wfctl build examples/hello | tail -n 1)

echo "==> wfctl inspect $hello"
$wfctl inspect "$hello"

echo "==> wfctl test $hello --conf '{\"name\": \"Weft\"}'"
$wfctl test "$hello" --conf '{"name": "Weft"}'
