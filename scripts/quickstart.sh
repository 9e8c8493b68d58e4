#!/usr/bin/env bash
# The main job on the embedded default: build wfctl and the example DAGs, start
# `wfctl standalone` (API server, scheduler and worker in one process, on SQLite), deploy the
# examples, trigger `hello` and follow it to success, then stop the server. Ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
weft_setup

echo "==> cargo build --release -p wfctl"
cargo build --release -p wfctl
wfctl=$PWD/target/release/wfctl

components=()
for example in hello mall-customers queues; do
    echo "==> wfctl build examples/$example"
    components+=("$($wfctl build "examples/$example" | tail -n 1)")
done

home=$(mktemp -d "${TMPDIR:-/tmp}/weft-quickstart.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export WEFT_SERVER="http://127.0.0.1:$port"
echo "==> wfctl standalone --port $port --home $home --egress-allow 'GET,PUT http://127.0.0.1:9000'"
# mall_customers asks to reach a local S3 endpoint (GET,PUT http://127.0.0.1:9000); a deploy
# asking for egress the operator does not allow is refused.
$wfctl standalone --port "$port" --home "$home" \
    --egress-allow 'GET,PUT http://127.0.0.1:9000' > "$home/standalone.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 1 100); do
    $wfctl dags list > /dev/null 2>&1 && break
    sleep 0.1
done

for component in "${components[@]}"; do
    echo "==> wfctl deploy $(basename "$component")"
    $wfctl deploy "$component"
done

echo "==> wfctl dags list"
$wfctl dags list

echo "==> wfctl dags trigger hello --conf '{\"name\": \"Weft\"}' --wait"
$wfctl dags trigger hello --conf '{"name": "Weft"}' --wait

echo "==> wfctl dags trigger mall_customers --wait"
$wfctl dags trigger mall_customers --wait

echo "==> wfctl dags trigger queues --wait"
$wfctl dags trigger queues --wait

echo "==> wfctl runs list --dag hello"
$wfctl runs list --dag hello

echo "==> done: stopping the server (run 'wfctl standalone' yourself to keep one running)"
