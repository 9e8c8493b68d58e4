#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit tests, the sandbox's hostile-guest tests, the
# store suite on SQLite and PostgreSQL, the embedded stack's end-to-end tests and the CLI's
# tests over every example, the web UI's flows in headless Chromium and the API's contract
# under Schemathesis. Installs what it needs first (wasm target, componentize-py, the
# TypeScript toolchain, PostgreSQL, Redis, Chromium and playwright-core, Schemathesis), builds
# the S3 server (crates/test-s3) and starts its own servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/services.sh
# Each step names itself with the time since the start, so a slow run shows where it went.
step() { printf '==> %s  [%dm%02ds]\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)); }
weft_setup
weft_test_setup
# One full build per run: incremental state would only add gigabytes to target/.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step "the TypeScript SDK's WIT types are current (sdk/js/src/wit, written by npm run build)"
if [ -n "$(git status --porcelain -- sdk/js/src/wit)" ]; then
    git status --short -- sdk/js/src/wit
    echo "sdk/js/src/wit is not what the WIT world gives: commit what npm run build wrote" >&2
    exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check
# The host's capability modules are declared by a build script, out of cargo fmt's sight.
rustfmt --edition 2024 --check crates/runtime/src/host/caps/*.rs
cargo fmt --all --manifest-path examples/Cargo.toml -- --check
# The Rust SDK's capability modules are declared by its build script, which rustfmt cannot follow.
find sdk/rust/src/capabilities -name '*.rs' -print0 | xargs -0 rustfmt --edition 2024 --check

step "cargo build, with clippy's lints: the workspace with its tests, benchmarks and binaries"
# Once, for every step that follows: a step that selected packages (-p) would resolve other
# features of the shared dependencies and compile them again.
# clippy-driver compiles the workspace's own crates (cargo's workspace wrapper), so the build
# also lints them as `cargo clippy --workspace --all-targets -- -D warnings` would: a separate
# `cargo clippy` would first check every dependency again, which the build has just compiled.
# Cargo keeps what the wrapper compiles apart from a plain build's, so every cargo command on
# the workspace below goes through `workspace_cargo` and finds this build's crates.
clippy_driver="$(rustc --print sysroot)/bin/clippy-driver"
workspace_cargo() {
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" cargo "$@" \
        --config "build.rustc-workspace-wrapper='$clippy_driver'"
}
# The test guests are wasm32 programs: weft-test-guests-artifacts builds (and, under this
# wrapper, lints) them for that target. Built for the host as well, they would only add 46
# binaries and their test harnesses. Every command selects the same packages, so that none
# resolves other features of the shared dependencies.
packages=(--workspace --exclude weft-test-guests)
workspace_cargo build "${packages[@]}" --all-targets
target="${CARGO_TARGET_DIR:-$PWD/target}"
export WEFT_TEST_S3_BIN="$target/debug/weft-test-s3"
# Real PostgreSQL, Redis and S3 (weft-test-s3) servers on free loopback ports, stopped when this script exits.
weft_services_start

step "cargo clippy: the examples (for wasm32-wasip2)"
cargo clippy --manifest-path examples/Cargo.toml --workspace --target wasm32-wasip2 -- -D warnings

step "cargo test (examples' own logic, on the host)"
cargo test --manifest-path examples/Cargo.toml --workspace

step "Python SDK and the Python homework's own logic: unit tests (pytest)"
(cd sdk/python && PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -q -p no:cacheprovider)
(cd examples/mall-customers-python && PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -q -p no:cacheprovider tests)

step "TypeScript SDK: unit tests (node --test)"
(cd sdk/js && npm test --silent)

step "C SDK: unit tests (weft_json.h, with the address and undefined-behaviour sanitizers)"
mkdir -p "$target/c-sdk"
cc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
    sdk/c/tests/json_test.c -o "$target/c-sdk/json_test"
"$target/c-sdk/json_test"

step "wfctl build: every example but mall-customers (built after the benchmark)"
for example in hello labels mall-pipeline queues hello-python mall-customers-python hello-ts hello-c; do
    "$target/debug/wfctl" build "examples/$example"
done
# The capability checks, one Python DAG that tests/tests/capabilities.rs runs.
"$target/debug/wfctl" build tests/capabilities
# The TypeScript example against the SDK's declarations: wfctl build strips types unchecked.
sdk/js/node_modules/.bin/tsc -p examples/hello-ts

step "weft-bench, tiny configuration (figures are printed, not judged)"
# It measures the hello examples just built (WEFT_BENCH_EXAMPLES_BUILT) rather than running
# componentize-py and componentize-js on them again. Its S3 homework builds
# examples/mall-customers for its own S3 server in the examples' own target directory, before
# the example is built for the tests' server below: the dependencies compile once, and only
# the example itself again.
WEFT_BENCH_EXAMPLES_BUILT=1 WEFT_BENCH_EXAMPLES_TARGET="$PWD/examples/target" \
    "$target/debug/weft-bench" --quick --out target/bench-quick

step "wfctl build: examples/mall-customers, for the tests' S3 server"
# Its egress rules are fixed at build time: it may reach the test run's S3 server.
export WEFT_MALL_S3_EGRESS="GET,PUT $WEFT_TEST_S3_URL"
"$target/debug/wfctl" build examples/mall-customers

step "wfctl for aarch64 worker machines (the worker build; the tests run it under qemu-aarch64)"
cargo build -p wfctl --no-default-features --target aarch64-unknown-linux-gnu

step "sandbox benchmark, tiny configuration (figures are printed, not judged)"
# In the dev profile (dependencies optimized): the figures are not judged here, and a release
# build would compile every dependency a second time. After the examples are built: it
# measures each language's hello.
WEFT_BENCH_ITERATIONS=200 workspace_cargo bench --profile dev "${packages[@]}" --bench sandbox

step "doc tests"
workspace_cargo test "${packages[@]}" --doc

step "tests (cargo nextest)"
workspace_cargo nextest run "${packages[@]}" --no-fail-fast
step "done"
