#!/usr/bin/env bash
# Installs what Weft's build and tests need beyond Rust itself. Safe to run again.
# Sourced by quickstart.sh, test.sh and bench.sh; not meant to be run on its own.
set -euo pipefail

# componentize-py, which `wfctl build` runs on a Python project (app.py).
weft_setup_python() {
    if ! componentize-py --version 2>/dev/null | grep -q '0\.25\.1'; then
        echo "==> pip install componentize-py==0.25.1"
        python3 -m pip install --quiet --disable-pip-version-check componentize-py==0.25.1
    fi
}

# The TypeScript toolchain `wfctl build` runs on a package.json project (esbuild,
# componentize-js), pinned by sdk/js/package-lock.json and found in sdk/js/node_modules; and
# the SDK compiled (sdk/js/dist), for projects that depend on it by path, as examples/hello-ts
# does.
weft_setup_js() {
    if [ ! -e sdk/js/node_modules/.package-lock.json ] ||
        [ sdk/js/node_modules/.package-lock.json -ot sdk/js/package-lock.json ]; then
        echo "==> npm ci (sdk/js)"
        (cd sdk/js && npm ci --no-audit --no-fund --loglevel=error)
    fi
    if [ ! -e sdk/js/dist/index.js ] || [ -n "$(find sdk/js/src sdk/js/scripts wit/dag.wit \
        -type f -newer sdk/js/dist/index.js -not -path 'sdk/js/src/wit/*' 2>/dev/null | head -n 1)" ]; then
        echo "==> npm run build (sdk/js)"
        (cd sdk/js && npm run --silent build)
    fi
}

# What the quick start needs: the guest target its example DAGs (Rust) build for, and the
# SMTP server its homework pair mails through (scripts/smtp_server.py).
weft_setup() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
        echo "==> rustup target add wasm32-wasip2"
        rustup target add wasm32-wasip2
    fi
    if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
        echo "==> pip install aiosmtpd==1.4.6"
        python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6
    fi
}

# What only the test suite needs: cargo-nextest, which runs it; the Python and TypeScript
# toolchains its guests and examples build with; the web UI's browser tests run Debian's
# Chromium, driven by playwright-core (never a browser download) from the lock file in
# tests/ui; the API contract test runs Schemathesis, pinned in tests/contract/requirements.txt.
# Needs services.sh (for its apt-get helper).
weft_test_setup() {
    if ! cargo nextest --version >/dev/null 2>&1; then
        echo "==> cargo install cargo-nextest"
        cargo install --locked cargo-nextest
    fi
    weft_setup_python
    weft_setup_js
    # rustfmt and clippy: the suite checks formatting, and compiles the workspace with
    # clippy-driver.
    local components=()
    for component in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$component" || components+=("$component")
    done
    if [ ${#components[@]} -gt 0 ]; then
        echo "==> rustup component add ${components[*]}"
        rustup component add "${components[@]}"
    fi
    # The aarch64 worker the end-to-end tests run under qemu-user (tests/tests/aarch64_worker.rs):
    # Rust's aarch64 target, Debian's cross gcc (the linker, and ring's C) and qemu-aarch64.
    if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
        echo "==> rustup target add aarch64-unknown-linux-gnu"
        rustup target add aarch64-unknown-linux-gnu
    fi
    local cross=()
    command -v aarch64-linux-gnu-gcc >/dev/null || cross+=(gcc-aarch64-linux-gnu)
    command -v qemu-aarch64 >/dev/null || cross+=(qemu-user)
    # C DAGs (examples/hello-c): clang, its wasm linker, wasi-libc and compiler-rt's builtins
    # for wasm32; the C SDK's unit tests build with the host's cc.
    command -v clang >/dev/null || cross+=(clang)
    command -v wasm-ld >/dev/null || [ -x "$(ls /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | head -n 1)" ] ||
        cross+=(lld)
    [ -e /usr/lib/wasm32-wasi/libc.a ] || cross+=(wasi-libc)
    ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 ||
        cross+=(libclang-rt-dev-wasm32)
    command -v make >/dev/null || cross+=(make)
    _weft_apt_install "${cross[@]}"
    # The Python SDK's unit tests (sdk/python/tests).
    if ! python3 -m pytest --version 2>/dev/null | grep -q '8\.3\.4'; then
        echo "==> pip install pytest==8.3.4"
        python3 -m pip install --quiet --disable-pip-version-check pytest==8.3.4
    fi
    # The Python homework's unit tests import its one dependency (the build bundles its own).
    if ! python3 -c 'import aws_request_signer' 2>/dev/null; then
        echo "==> pip install aws-request-signer==1.2.0"
        python3 -m pip install --quiet --disable-pip-version-check aws-request-signer==1.2.0
    fi
    if [ ! -x /usr/bin/chromium ]; then
        _weft_apt_install chromium
    fi
    if [ ! -d tests/ui/node_modules/playwright-core ]; then
        echo "==> npm ci (tests/ui)"
        (cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)
    fi
    # Schemathesis, pinned with its dependencies, for the API contract test.
    local venv=target/schemathesis-venv
    if ! cmp -s tests/contract/requirements.txt "$venv/requirements.txt"; then
        echo "==> pip install schemathesis (target/schemathesis-venv)"
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            -r tests/contract/requirements.txt
        cp tests/contract/requirements.txt "$venv/requirements.txt"
    fi
}
