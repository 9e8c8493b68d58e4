#!/usr/bin/env bash
# The main job on the embedded default: build wfctl and the example DAGs, start an
# S3-compatible server holding Mall_Customers.csv, a PostgreSQL server (installed when missing)
# and `wfctl standalone` (API server, scheduler and worker in one process, on SQLite), deploy
# the examples, run `hello`, then the homework (`mall_customers` reads the CSV from the bucket
# through the connection `aws_default`, sorts it by spending score and writes Parquet back,
# loads the sorted rows into the table `mall_customers_sorted` through the connection
# `postgres_default` and reads the top ten spenders back by SQL), then the homework pair
# (`mall_pipeline` provisions a cluster from a stand-in cluster API, triggers `mall_customers`
# and waits for it without holding a worker slot, tears the cluster down and emails the
# outcome to a local SMTP server), then print the web UI's URL and stop everything. Ends by
# itself; with --serve it keeps serving the UI over these runs until Ctrl-C.
set -euo pipefail
serve=false
for arg in "$@"; do
    case "$arg" in
        --serve) serve=true ;;
        *) echo "usage: scripts/quickstart.sh [--serve]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/services.sh
weft_setup

home=$(mktemp -d "${TMPDIR:-/tmp}/weft-quickstart.XXXXXX")
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/weft-quickstart-pg.XXXXXX")
pids=()
examples_build=
stop() {
    # The examples' build, when it is still under way (its cargo is the subshell's child).
    [ -z "$examples_build" ] || pkill -TERM -P "$examples_build" 2>/dev/null || true
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    weft_postgres_stop "$pg_dir"
    rm -rf "$home" "$pg_dir"
}
trap stop EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# mall_customers's S3 tasks may reach only what their egress rules name, fixed at build time:
# the S3 server's port is chosen now, so that the example can build before the server runs.
s3_port=$(free_port)
s3_url="http://127.0.0.1:$s3_port"
export WEFT_MALL_S3_EGRESS="GET,PUT $s3_url"

# The example DAGs build for the guest (a workspace and target dir of their own, exactly as
# `wfctl build` runs cargo on them) beside the host's build, at a lower priority: the host
# build's last minutes compile one crate at a time, and the guests' build takes the other
# core. `wfctl build` below finds them built.
examples=(hello mall-customers mall-pipeline queues)
echo "==> cargo build --release --target wasm32-wasip2 (examples ${examples[*]}, in the background)"
(
    for example in "${examples[@]}"; do
        env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET nice -n 19 \
            cargo build --quiet --release --target wasm32-wasip2 \
            --manifest-path "examples/$example/Cargo.toml" || exit 1
    done
) > "$home/examples-build.log" 2>&1 &
examples_build=$!

# The SQL side: PostgreSQL (installed when missing, while the examples build) with a role `weft_sql` that logs in with a password.
weft_postgres_start "$pg_dir"
pg_port=$_WEFT_PG_PORT
pg_password=$_WEFT_PG_SQL_PASSWORD
echo "==> PostgreSQL on 127.0.0.1:$pg_port, database weft_sql"

# wfctl without C support (the `c-dags` feature, which the examples do not use: it builds the
# WIT world's C generator and the component tools); `cargo build --release -p wfctl` adds it.
# The quickstart profile (Cargo.toml) is tuned for a cold build.
echo "==> cargo build --profile quickstart -p wfctl --no-default-features --features control-plane -p weft-test-s3"
cargo build --profile quickstart -p wfctl --no-default-features --features control-plane -p weft-test-s3
wfctl=$PWD/target/quickstart/wfctl
wait "$examples_build" || {
    echo "the examples did not build:" >&2
    cat "$home/examples-build.log" >&2
    exit 1
}
examples_build=

# The S3 side of the homework: weft-test-s3 (s3s-fs, which checks SigV4 signatures) keeps a
# bucket as a directory; bucket `weft` gets a Mall_Customers.csv of 200 made-up customers.
mkdir -p "$home/s3/weft"
awk 'BEGIN {
    srand(2024); print "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"
    for (i = 1; i <= 200; i++)
        printf "%d,%s,%d,%d,%d\n", i, (rand() < 0.56 ? "Female" : "Male"), 18 + int(rand() * 53),
            15 + int(rand() * 123), 1 + int(rand() * 100)
}' > "$home/s3/weft/Mall_Customers.csv"
s3_key=AKIAWEFTQUICKSTART
s3_secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
target/quickstart/weft-test-s3 --host 127.0.0.1 --port "$s3_port" --access-key "$s3_key" \
    --secret-key "$s3_secret" "$home/s3" > "$home/s3.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q "^listening on $s3_url\$" "$home/s3.log" && break
    sleep 0.1
done
grep -q "^listening on $s3_url\$" "$home/s3.log" ||
    { echo "the S3 server did not start:" >&2; cat "$home/s3.log" >&2; exit 1; }
echo "==> S3 server on $s3_url, bucket weft holds Mall_Customers.csv"

# The homework pair's outside world: a stand-in cluster API (Python's standard library) and
# an SMTP server (aiosmtpd) keeping what it receives in a Maildir.
listening() { # LOG: the port its "listening on HOST:PORT" line names, once there
    local port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's|^listening on 127\.0\.0\.1:\([0-9]*\)$|\1|p' "$1")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "not listening: $1" >&2; cat "$1" >&2; exit 1; }
    echo "$port"
}
python3 scripts/cluster_api.py 127.0.0.1 0 "$home/clusters.log" > "$home/cluster_api.out" 2>&1 &
pids+=($!)
cluster_port=$(listening "$home/cluster_api.out")
python3 scripts/smtp_server.py 127.0.0.1 "$(free_port)" "$home/mail" > "$home/smtp.out" 2>&1 &
pids+=($!)
smtp_port=$(listening "$home/smtp.out")
echo "==> cluster API on 127.0.0.1:$cluster_port, SMTP server on 127.0.0.1:$smtp_port"

components=()
for example in "${examples[@]}"; do
    echo "==> wfctl build examples/$example"
    components+=("$($wfctl build "examples/$example" | tail -n 1)")
done

port=$(free_port)
export WEFT_SERVER="http://127.0.0.1:$port"
# The operator allows the same endpoint, the database's port, the cluster API (mall_pipeline
# asks for any loopback port) and the SMTP server its emails go through, and the loopback
# range they are in (refused otherwise): a deploy asking for egress the operator does not
# allow is refused.
egress=(--egress-allow "GET,PUT $s3_url" --egress-allow "tcp://127.0.0.1:$pg_port"
    --egress-allow "POST,DELETE http://127.0.0.1:*" --egress-allow "tcp://127.0.0.1:$smtp_port"
    --egress-allow-net 127.0.0.1)
echo "==> wfctl standalone --port $port --home $home ${egress[*]}"
$wfctl standalone --port "$port" --home "$home" "${egress[@]}" > "$home/standalone.log" 2>&1 &
pids+=($!)
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

echo "==> wfctl connections add aws_default --type aws --login $s3_key --password *** --extra '{\"endpoint_url\": \"$s3_url\", ...}'"
$wfctl connections add aws_default --type aws --login "$s3_key" --password "$s3_secret" \
    --extra "{\"endpoint_url\": \"$s3_url\", \"region_name\": \"us-east-1\"}"

# From the environment, so that the password is in no process's arguments.
echo "==> WEFT_CONN_POSTGRES_DEFAULT=postgres://weft_sql:***@127.0.0.1:$pg_port/weft_sql wfctl connections import-env"
WEFT_CONN_POSTGRES_DEFAULT="postgres://weft_sql:$pg_password@127.0.0.1:$pg_port/weft_sql" \
    $wfctl connections import-env

conf='{"s3": {"bucket": "weft", "output_prefix": "sorted/"}, "sql": {}}'
echo "==> wfctl dags trigger mall_customers --conf '$conf' --run-id homework --wait"
$wfctl dags trigger mall_customers --conf "$conf" --run-id homework --wait
echo "==> what mall_customers wrote to bucket weft:"
ls -l "$home/s3/weft/sorted"
echo "by_gender.json: $(cat "$home/s3/weft/sorted/by_gender.json")"
echo "==> the top ten spenders, read back from table mall_customers_sorted by top_spenders:"
$wfctl tasks xcom mall_customers homework top_spenders --key return_value | python3 -m json.tool

echo "==> the homework pair: connections cluster_api and smtp_default"
$wfctl connections add cluster_api --type http --host 127.0.0.1 --port "$cluster_port" --schema http
$wfctl connections add smtp_default --type smtp --host 127.0.0.1 --port "$smtp_port" \
    --extra '{"from": "Weft <weft@example.com>", "tls": "none"}'
conf='{"sort_conf": {"s3": {"bucket": "weft", "output_prefix": "pair/"}}}'
echo "==> wfctl dags trigger mall_pipeline --conf '$conf' --run-id pair --wait"
$wfctl dags trigger mall_pipeline --conf "$conf" --run-id pair --wait
echo "==> what the cluster API was asked:"
cat "$home/clusters.log"
echo "==> wfctl runs notifications mall_pipeline pair"
for _ in $(seq 1 100); do
    ls "$home/mail/new" 2>/dev/null | grep -q . && break
    sleep 0.1
done
$wfctl runs notifications mall_pipeline pair
echo "==> the email, as the SMTP server received it:"
grep -h -E '^(From|To|Subject):' "$home"/mail/new/* || { echo "no email arrived" >&2; exit 1; }

echo "==> wfctl dags trigger queues --wait"
$wfctl dags trigger queues --wait

echo "==> wfctl runs list --dag hello"
$wfctl runs list --dag hello

if $serve; then
    echo "==> the web UI: $WEFT_SERVER/ui/  (serving until Ctrl-C)"
    wait "${pids[@]}" || true
    exit 0
fi
echo "==> done: stopping the server. The web UI of these runs: $WEFT_SERVER/ui/ (scripts/quickstart.sh --serve keeps it up until Ctrl-C)"
