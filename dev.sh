#!/usr/bin/env bash
# Suara's entry point for developers and CI, made for a fresh Debian 12 machine:
#
#   bash dev.sh run [SERVE OPTIONS]  install what is missing, build, start a private
#                                    PostgreSQL, migrate, seed, create dev tokens and
#                                    serve on 127.0.0.1:8080
#   bash dev.sh test [CTEST OPTIONS] build, start a fresh throwaway PostgreSQL, run
#                                    ctest on a normal build and on an ASan+UBSan build,
#                                    then a short libFuzzer run (tests/fuzz/run.sh)
#   bash dev.sh quick [CTEST OPTIONS] the normal build and ctest only (no ASan
#                                    build, no fuzzing): for a test or two while
#                                    working, e.g. `bash dev.sh quick -R live`
#   bash dev.sh stop                 stop the private PostgreSQL clusters
#   bash dev.sh db                   print the connection string of the dev database
#
# The clusters belong to this checkout: data in .pgdata/ (dev) and .run/pgdata-test/
# (tests, recreated by every run), unix socket only (in the data folder), trust
# authentication, superuser "postgres". As root, PostgreSQL runs as the `postgres`
# OS user; if that user cannot reach this folder, the data goes to
# /var/tmp/suara-pg-<hash of this path>/ instead.
# Environment: SUARA_LISTEN (default 127.0.0.1:8080), SUARA_BUILD_DIR (default
# build), SUARA_ASAN_BUILD_DIR (default build-asan), SUARA_FUZZ_SECONDS (per fuzz
# target, default 15).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cd "$ROOT"

PG_BIN=/usr/lib/postgresql/15/bin
# One package a line, so that adding one is a one-line change.
PACKAGES=(
    build-essential cmake pkg-config
    libuv1-dev
    libwebsockets-dev libwebsockets-evlib-uv
    libpq-dev
    libcjson-dev
    libcmocka-dev
    libjpeg62-turbo-dev libpng-dev libwebp-dev # decoding uploaded photos
    libssl-dev # Ed25519 signatures of the public log's tree heads
    libqrencode-dev # QR codes of the witnesses' links (suara token create --qr/--card)
    nodejs npm # the web client's bundle (esbuild, from npm: client-web/package-lock.json)
    postgresql
    python3 python3-websocket curl
)
# Test-only packages.
TEST_PACKAGES=(
    chromium # browser tests (large)
    openssl             # the TLS test's certificates
    python3-cryptography # the independent verifier of the log's proofs
    clang clang-format libclang-rt-14-dev # fuzzers, the layout check
    valgrind
    libjpeg-turbo-progs webp # the photo tests' JPEG and WebP encoders (cjpeg, cwebp)
    nginx-light libnginx-mod-nchan redis-server # the publishing tests' edges
    haproxy prometheus systemd # the HA drills' load balancer, monitoring and unit check
    patroni etcd-server # the HA drills' PostgreSQL failover (test_ha_patroni.py)
    wrk # loadtest/wrk_compare.py (docs/benchmarks.md; no test needs it)
)
BUILD_DIR=${SUARA_BUILD_DIR:-build}
ASAN_BUILD_DIR=${SUARA_ASAN_BUILD_DIR:-build-asan}
LISTEN=${SUARA_LISTEN:-127.0.0.1:8080}
SEED_DIR=schema/seed/kalteng-2024
TOKENS_FILE=.run/tokens.env

say() { printf 'dev.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$ROOT/dev.sh"
}

# --- packages and build -------------------------------------------------

# True if package p is installed, or what it brings is there by another route
# (e.g. an npm bundled with a nodejs from elsewhere, which then conflicts with npm).
have_package() {
    local p=$1
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] && return 0
    case $p in
    npm | chromium) command -v "$p" >/dev/null ;;
    nodejs) command -v node >/dev/null ;;
    python3-websocket) /usr/bin/python3 -c 'import websocket' 2>/dev/null ;;
    *) return 1 ;;
    esac
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do
        have_package "$p" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null || die "missing packages: ${missing[*]} (run as root to install them)"
        sudo=(sudo)
    fi
    say "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update ||
        die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}" ||
        die "could not install: ${missing[*]}"
}

# client_packages build|test: client-web's npm packages from its lockfile, when
# what is installed is older than the lockfile or lacks what MODE needs: the
# build needs esbuild (the bundle), the tests also the dev dependencies.
client_packages() {
    local need=esbuild args=(--omit=dev)
    [ "$1" = test ] && need=playwright-core args=()
    if [ -d "client-web/node_modules/$need" ] && [ client-web/node_modules/.package-lock.json -nt client-web/package-lock.json ]; then
        return 0
    fi
    (cd client-web && npm ci --no-audit --no-fund "${args[@]}") || die "npm ci failed in client-web"
}

build() { # DIR CMAKE-ARGS...
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$ROOT/$dir" "$@"
    cmake --build "$ROOT/$dir" -j "$(nproc)"
}

# --- private PostgreSQL clusters ----------------------------------------

# Runs a PostgreSQL program as the cluster's owner, from a folder it can enter.
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# cluster_dir PATH: sets DATA to the data folder of the cluster at PATH in this
# checkout (.pgdata or .run/pgdata-test), or its fallback. The socket lives in
# the data folder, so its path must stay short enough for a unix socket (107
# bytes with "/.s.PGSQL.NNNNN").
cluster_dir() {
    local local_dir="$ROOT/$1" parent
    parent=$(dirname "$local_dir")
    DATA=$local_dir
    if [ ${#local_dir} -le 90 ] && [ -d "$parent" ] &&
        { ! is_root || runuser -u postgres -- test -x "$parent" 2>/dev/null; }; then
        return 0
    fi
    local hash
    hash=$(printf '%s' "$ROOT" | sha256sum | cut -c1-10)
    DATA=/var/tmp/suara-pg-$hash/$(basename "$1" | sed 's/^\.//')
    if [ -z "${FALLBACK_SAID:-}" ]; then
        say "PostgreSQL cannot use $local_dir (the postgres user cannot reach it, or the path is too long); using $DATA"
        FALLBACK_SAID=1
    fi
}

cluster_port() { sed -n "s/^port = \([0-9]*\).*/\1/p" "$DATA/postgresql.conf" | tail -n 1; }
cluster_running() { [ -f "$DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

# Sets PGCONN (conninfo without dbname) for the cluster in DATA.
cluster_conninfo() { PGCONN="host=$DATA port=$(cluster_port) user=postgres"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cluster_init() {
    local parent
    parent=$(dirname "$DATA")
    mkdir -p "$DATA"
    if is_root; then
        case $parent in /var/tmp/suara-pg-*) chown postgres: "$parent" && chmod 700 "$parent" ;; esac
        chown postgres: "$DATA"
    fi
    chmod 700 "$DATA"
    local out
    if ! out=$(as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale 2>&1); then
        printf '%s\n' "$out" >&2
        die "initdb failed"
    fi
    printf 'local all all trust\n' >"$DATA/pg_hba.conf"
    cat >>"$DATA/postgresql.conf" <<EOF

# added by dev.sh: a private cluster reachable only through its unix socket
listen_addresses = ''
unix_socket_directories = '$DATA'
port = $(free_port)
EOF
    if [ "$2" = test ]; then # throwaway data: durability across OS crashes does not matter
        printf 'fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n' >>"$DATA/postgresql.conf"
    fi
    is_root && chown postgres: "$DATA/pg_hba.conf" "$DATA/postgresql.conf"
    return 0
}

# cluster_start PATH dev|test: starts the cluster (a test cluster from scratch)
# and sets DATA and PGCONN.
cluster_start() {
    mkdir -p "$ROOT/$(dirname "$1")"
    cluster_dir "$1"
    if [ "$2" = test ] && [ -e "$DATA" ]; then
        cluster_running && as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m immediate -w >/dev/null
        rm -rf "$DATA"
    fi
    [ -f "$DATA/PG_VERSION" ] || cluster_init "$1" "$2"
    if ! cluster_running; then
        if ! as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -l "$DATA/server.log" -w -t 60 >/dev/null; then
            tail -n 20 "$DATA/server.log" >&2 || true
            die "PostgreSQL did not start (log: $DATA/server.log)"
        fi
    fi
    cluster_conninfo
}

cluster_stop() { # PATH
    cluster_dir "$1"
    if cluster_running; then
        as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast -w >/dev/null
        say "stopped PostgreSQL in $DATA"
    fi
}

psql_q() { # CONNINFO SQL [psql args]: plain values, no decoration
    local conn=$1 sql=$2
    shift 2
    # through stdin, where psql expands :'variables' given with -v
    printf '%s\n' "$sql" | "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$conn" "$@"
}

# --- commands -------------------------------------------------------------

# Creates the admin and reviewer dev tokens once; recreates them when the saved
# ones are not valid in this database (e.g. after .pgdata was removed).
ensure_tokens() {
    local suara="$ROOT/$BUILD_DIR/bin/suara"
    if [ -f "$TOKENS_FILE" ]; then
        # shellcheck source=/dev/null
        . "$TOKENS_FILE"
        local h1 h2 n
        h1=$(printf '%s' "${SUARA_ADMIN_TOKEN:-}" | sha256sum | cut -d' ' -f1)
        h2=$(printf '%s' "${SUARA_REVIEWER_TOKEN:-}" | sha256sum | cut -d' ' -f1)
        n=$(psql_q "$SUARA_DB" "SELECT count(*) FROM tokens WHERE revoked_at IS NULL AND hash IN (:'h1', :'h2')" \
            -v h1="$h1" -v h2="$h2" 2>/dev/null || true)
        [ "$n" = 2 ] && return 0
        say "the tokens in $TOKENS_FILE are not valid in this database; creating new ones"
    fi
    mkdir -p .run
    local admin reviewer
    admin=$("$suara" token create --db "$SUARA_DB" --role admin --scope 62 --name "dev admin" 2>.run/token.err) ||
        { cat .run/token.err >&2; die "could not create the admin token"; }
    reviewer=$("$suara" token create --db "$SUARA_DB" --role reviewer --scope 62 --name "dev reviewer" 2>.run/token.err) ||
        { cat .run/token.err >&2; die "could not create the reviewer token"; }
    rm -f .run/token.err
    (umask 077 && printf 'SUARA_ADMIN_TOKEN=%s\nSUARA_REVIEWER_TOKEN=%s\n' "$admin" "$reviewer" >"$TOKENS_FILE")
    SUARA_ADMIN_TOKEN=$admin
    SUARA_REVIEWER_TOKEN=$reviewer
}

cmd_run() {
    ensure_packages "${PACKAGES[@]}"
    client_packages build
    build "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cluster_start .pgdata dev
    if [ "$(psql_q "$PGCONN dbname=postgres" "SELECT count(*) FROM pg_database WHERE datname = 'suara'")" = 0 ]; then
        psql_q "$PGCONN dbname=postgres" "CREATE DATABASE suara"
    fi
    export SUARA_DB="$PGCONN dbname=suara"
    local suara="$ROOT/$BUILD_DIR/bin/suara"
    "$suara" migrate --db "$SUARA_DB" --schema "$ROOT/schema"
    "$suara" seed --db "$SUARA_DB" "$ROOT/$SEED_DIR"
    ensure_tokens
    cat >&2 <<EOF

  database        $SUARA_DB   (bash dev.sh db)
  admin token     $SUARA_ADMIN_TOKEN
  reviewer token  $SUARA_REVIEWER_TOKEN   (scope 62)
  (saved in $TOKENS_FILE)

  open http://$LISTEN/ ; Ctrl-C stops the server, \`bash dev.sh stop\` stops PostgreSQL.

EOF
    exec "$suara" serve --db "$SUARA_DB" --listen "$LISTEN" "$@"
}

# The normal build, a fresh test cluster (SUARA_TEST_PG) and the browser
# tests' packages: what every test run needs first.
test_setup() {
    ensure_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    client_packages test
    build "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    trap 'cluster_stop .run/pgdata-test' EXIT
    trap 'exit 130' INT TERM
    cluster_start .run/pgdata-test test
    export SUARA_TEST_PG="$PGCONN"
    export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree
    say "test cluster: $SUARA_TEST_PG"
}

cmd_quick() {
    test_setup
    (cd "$BUILD_DIR" && ctest --output-on-failure "$@")
}

cmd_test() {
    test_setup
    local rc=0 rc_asan=0
    (cd "$BUILD_DIR" && ctest --output-on-failure -j2 "$@") || rc=$?
    build "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DSUARA_SANITIZE=ON
    (cd "$ASAN_BUILD_DIR" &&
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            ctest --output-on-failure -j2 "$@") || rc_asan=$?
    local rc_fuzz=0
    bash tests/fuzz/run.sh "${SUARA_FUZZ_SECONDS:-15}" || rc_fuzz=$?
    say "ctest: $BUILD_DIR exit $rc, $ASAN_BUILD_DIR (ASan+UBSan) exit $rc_asan; fuzz exit $rc_fuzz"
    [ "$rc" -ne 0 ] && return "$rc"
    [ "$rc_asan" -ne 0 ] && return "$rc_asan"
    return "$rc_fuzz"
}

cmd_stop() {
    cluster_stop .pgdata
    cluster_stop .run/pgdata-test
}

cmd_db() {
    cluster_dir .pgdata
    [ -f "$DATA/PG_VERSION" ] || die "no dev database yet: run \`bash dev.sh run\`"
    cluster_conninfo
    cluster_running || say "PostgreSQL is not running; \`bash dev.sh run\` starts it"
    printf '%s dbname=suara\n' "$PGCONN"
}

case ${1:-} in
run) shift; cmd_run "$@" ;;
test) shift; cmd_test "$@" ;;
quick) shift; cmd_quick "$@" ;;
stop) cmd_stop ;;
db) cmd_db ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
