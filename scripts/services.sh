#!/usr/bin/env bash
# Real PostgreSQL, MariaDB, Redis and S3-compatible (weft-test-s3: s3s-fs) servers for a whole
# test run.
# Sourced by scripts/test.sh; not meant to be run on its own.
#
#   source scripts/services.sh
#   weft_services_start      # installs what is missing, starts them, exports the URLs
#   cargo test ...           # weft-testkit uses WEFT_TEST_POSTGRES_URL / WEFT_TEST_REDIS_URL,
#                            # the S3 tests WEFT_TEST_S3_URL / _ACCESS_KEY / _SECRET_KEY, the
#                            # SQL tests WEFT_TEST_POSTGRES_SQL_URL (a role that logs in with a
#                            # password) and WEFT_TEST_MYSQL_URL (MariaDB, user with a password)
#
# The servers listen on free loopback ports and keep their files in one temp dir. They are
# stopped, and the dir removed, when the sourcing shell exits — also on failure or Ctrl-C
# (weft_services_start sets EXIT, INT and TERM traps; a caller with its own EXIT trap should
# call weft_services_stop from it). PostgreSQL runs with fsync off: it is a test server.
# Each server is started and waited for on its own (PostgreSQL: pg_ctl -w until it accepts
# connections; MariaDB: until `mariadb-admin ping` answers on its socket; Redis: PING; S3: its
# "listening on" line), so none depends on another having started first.

weft_services_start() {
    _weft_services_install
    local dir
    dir="$(mktemp -d "${TMPDIR:-/tmp}/weft-services.XXXXXX")"
    WEFT_SERVICES_DIR="$dir"
    trap weft_services_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    _weft_postgres_start "$dir"
    _weft_redis_start "$dir"
    _weft_s3_start "$dir"
    _weft_mariadb_start "$dir"
    export WEFT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${_WEFT_PG_PORT}/postgres"
    export WEFT_TEST_REDIS_URL="redis://127.0.0.1:${_WEFT_REDIS_PORT}/"
    export WEFT_TEST_S3_URL="http://127.0.0.1:${_WEFT_S3_PORT}"
    export WEFT_TEST_S3_ACCESS_KEY="$_WEFT_S3_ACCESS_KEY"
    export WEFT_TEST_S3_SECRET_KEY="$_WEFT_S3_SECRET_KEY"
    export WEFT_TEST_POSTGRES_SQL_URL="postgres://weft_sql:${_WEFT_PG_SQL_PASSWORD}@127.0.0.1:${_WEFT_PG_PORT}/weft_sql"
    export WEFT_TEST_MYSQL_URL="mysql://weft_sql:${_WEFT_MARIADB_PASSWORD}@127.0.0.1:${_WEFT_MARIADB_PORT}/weft_sql"
    echo "==> services: PostgreSQL on 127.0.0.1:${_WEFT_PG_PORT}, MariaDB on 127.0.0.1:${_WEFT_MARIADB_PORT}, Redis on 127.0.0.1:${_WEFT_REDIS_PORT}, S3 (weft-test-s3) on 127.0.0.1:${_WEFT_S3_PORT} (files in $dir)"
}

# Stop both servers and remove their files. Safe to call more than once.
weft_services_stop() {
    local dir="${WEFT_SERVICES_DIR:-}"
    [ -n "$dir" ] || return 0
    if [ -n "${_WEFT_REDIS_PORT:-}" ]; then
        redis-cli -p "$_WEFT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
            { [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null; } || true
    fi
    if [ -n "${_WEFT_S3_PID:-}" ]; then
        kill "$_WEFT_S3_PID" 2>/dev/null || true
        wait "$_WEFT_S3_PID" 2>/dev/null || true
    fi
    if [ -n "${_WEFT_MARIADB_PID:-}" ]; then
        kill "$_WEFT_MARIADB_PID" 2>/dev/null || true
        wait "$_WEFT_MARIADB_PID" 2>/dev/null || true
    fi
    if [ -d "$dir/pg/data" ] && [ -n "${_WEFT_PG_BIN:-}" ]; then
        _weft_as_postgres "$_WEFT_PG_BIN/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    unset WEFT_SERVICES_DIR WEFT_TEST_POSTGRES_URL WEFT_TEST_REDIS_URL _WEFT_PG_PORT _WEFT_REDIS_PORT
    unset WEFT_TEST_S3_URL WEFT_TEST_S3_ACCESS_KEY WEFT_TEST_S3_SECRET_KEY _WEFT_S3_PORT _WEFT_S3_PID
    unset WEFT_TEST_POSTGRES_SQL_URL WEFT_TEST_MYSQL_URL _WEFT_PG_SQL_PASSWORD
    unset _WEFT_MARIADB_PORT _WEFT_MARIADB_PID _WEFT_MARIADB_PASSWORD
}

# The directory holding initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/*/bin.
_weft_pg_bindir() {
    local initdb
    if initdb="$(command -v initdb 2>/dev/null)"; then
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] || return 1
    echo "$dir"
}

# PostgreSQL alone, for scripts/quickstart.sh: installed when missing, started in DIR on a free
# loopback port with role and database weft_sql (password login over TCP). Sets
# _WEFT_PG_PORT and _WEFT_PG_SQL_PASSWORD; weft_postgres_stop DIR stops it.
weft_postgres_start() {
    local missing=()
    _weft_pg_bindir >/dev/null || missing+=(postgresql)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    _weft_apt_install ${missing[@]+"${missing[@]}"}
    mkdir -p "$1"
    _weft_postgres_start "$1"
}

weft_postgres_stop() {
    [ -d "$1/pg/data" ] && [ -n "${_WEFT_PG_BIN:-}" ] || return 0
    _weft_as_postgres "$_WEFT_PG_BIN/pg_ctl" -D "$1/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

_weft_services_install() {
    local missing=()
    _weft_pg_bindir >/dev/null || missing+=(postgresql)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing+=(redis-server)
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    _weft_apt_install ${missing[@]+"${missing[@]}"}
}

# apt-get install the packages named, if any (as root, else through sudo).
_weft_apt_install() {
    local missing=("$@")
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "==> apt-get install -y ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Run a PostgreSQL tool; as the postgres user when we are root (initdb refuses root).
_weft_as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A loopback port nobody answers on right now.
_weft_free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free loopback port found" >&2
    return 1
}

_weft_postgres_start() {
    local dir="$1" port attempt
    _WEFT_PG_BIN="$(_weft_pg_bindir)"
    mkdir -p "$dir/pg"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir" "$dir/pg"
    fi
    _weft_as_postgres "$_WEFT_PG_BIN/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    # Role weft_sql must log in with its password over TCP (the first matching line wins), so
    # the SQL tests exercise password handling; the postgres role stays trusted.
    _weft_as_postgres sed -i '1i host all weft_sql 127.0.0.1/32 scram-sha-256' "$dir/pg/data/pg_hba.conf"
    _WEFT_PG_SQL_PASSWORD="pg$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    for attempt in 1 2 3; do
        port="$(_weft_free_port)"
        if _weft_as_postgres "$_WEFT_PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/pg.log" -w -t 60 \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
            _WEFT_PG_PORT="$port"
            # On standard input, so that the password is in no process's arguments.
            printf "CREATE ROLE weft_sql LOGIN PASSWORD '%s';\nCREATE DATABASE weft_sql OWNER weft_sql;\n" \
                "$_WEFT_PG_SQL_PASSWORD" |
                _weft_as_postgres psql -q -h "$dir/pg" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
                    >/dev/null || return 1
            return 0
        fi
        echo "PostgreSQL did not start on port $port (attempt $attempt)" >&2
    done
    tail -n 20 "$dir/pg/pg.log" >&2 || true
    return 1
}

_weft_redis_start() {
    local dir="$1" port attempt
    mkdir -p "$dir/redis"
    for attempt in 1 2 3; do
        port="$(_weft_free_port)"
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
            --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
        for _ in $(seq 1 100); do
            if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
                _WEFT_REDIS_PORT="$port"
                return 0
            fi
            sleep 0.05
        done
        echo "Redis did not start on port $port (attempt $attempt)" >&2
        if [ -f "$dir/redis/redis.pid" ]; then
            kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
        fi
    done
    tail -n 20 "$dir/redis/redis.log" >&2 || true
    return 1
}

# weft-test-s3 (crates/test-s3: s3s-fs, an S3-compatible server that checks SigV4 signatures),
# keeping buckets as directories under $dir/s3/data (the tests create theirs). It is built here,
# unless WEFT_TEST_S3_BIN names one already built (scripts/test.sh builds the whole workspace
# first); it takes a free port itself, and credentials are made up per run.
_weft_s3_start() {
    local dir="$1" root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    mkdir -p "$dir/s3/data"
    local bin="${WEFT_TEST_S3_BIN:-}"
    if [ -z "$bin" ]; then
        echo "==> cargo build -p weft-test-s3 (the tests' S3 server)"
        (cd "$root" && cargo build --quiet -p weft-test-s3 --bin weft-test-s3) || return 1
        bin="${CARGO_TARGET_DIR:-$root/target}/debug/weft-test-s3"
    fi
    _WEFT_S3_ACCESS_KEY="WEFTTEST$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
    _WEFT_S3_SECRET_KEY="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
    "$bin" --host 127.0.0.1 --port 0 \
        --access-key "$_WEFT_S3_ACCESS_KEY" --secret-key "$_WEFT_S3_SECRET_KEY" "$dir/s3/data" \
        >"$dir/s3/s3.log" 2>&1 &
    _WEFT_S3_PID=$!
    for _ in $(seq 1 200); do
        _WEFT_S3_PORT="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$dir/s3/s3.log")"
        [ -n "$_WEFT_S3_PORT" ] && return 0
        kill -0 "$_WEFT_S3_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "the S3 server did not start:" >&2
    tail -n 20 "$dir/s3/s3.log" >&2 || true
    return 1
}

# MariaDB in $dir/mariadb, on a free loopback port, with database weft_sql and user weft_sql
# that logs in with a password (grant tables on). Waited for with `mariadb-admin ping`.
_weft_mariadb_start() {
    local dir="$1" port attempt user=()
    local data="$dir/mariadb/data" sock="$dir/mariadb/mariadb.sock"
    mkdir -p "$dir/mariadb"
    if [ "$(id -u)" -eq 0 ]; then
        chown mysql:mysql "$dir/mariadb" 2>/dev/null || chmod 777 "$dir/mariadb"
        user=(--user=mysql)
        chmod o+x "$dir"
    fi
    mariadb-install-db --no-defaults "${user[@]}" --datadir="$data" --auth-root-authentication-method=socket \
        --skip-test-db >"$dir/mariadb/install.log" 2>&1 || {
        cat "$dir/mariadb/install.log" >&2
        return 1
    }
    _WEFT_MARIADB_PASSWORD="my$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    for attempt in 1 2 3; do
        port="$(_weft_free_port)"
        "$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults "${user[@]}" --datadir="$data" \
            --bind-address=127.0.0.1 --port="$port" --socket="$sock" --pid-file="$dir/mariadb/mariadb.pid" \
            --skip-log-bin --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
            --log-error="$dir/mariadb/mariadb.log" >"$dir/mariadb/stdout.log" 2>&1 &
        _WEFT_MARIADB_PID=$!
        for _ in $(seq 1 300); do
            if mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; then
                _WEFT_MARIADB_PORT="$port"
                mariadb --no-defaults --socket="$sock" -uroot -e "
                    CREATE DATABASE weft_sql;
                    CREATE USER 'weft_sql'@'127.0.0.1' IDENTIFIED BY '$_WEFT_MARIADB_PASSWORD';
                    CREATE USER 'weft_sql'@'localhost' IDENTIFIED BY '$_WEFT_MARIADB_PASSWORD';
                    GRANT ALL ON weft_sql.* TO 'weft_sql'@'127.0.0.1';
                    GRANT ALL ON weft_sql.* TO 'weft_sql'@'localhost';
                    GRANT PROCESS ON *.* TO 'weft_sql'@'127.0.0.1';" || return 1
                return 0
            fi
            kill -0 "$_WEFT_MARIADB_PID" 2>/dev/null || break
            sleep 0.1
        done
        echo "MariaDB did not start on port $port (attempt $attempt)" >&2
        kill "$_WEFT_MARIADB_PID" 2>/dev/null || true
        wait "$_WEFT_MARIADB_PID" 2>/dev/null || true
        unset _WEFT_MARIADB_PID
    done
    tail -n 20 "$dir/mariadb/mariadb.log" >&2 || true
    return 1
}
