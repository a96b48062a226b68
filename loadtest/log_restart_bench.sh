#!/usr/bin/env bash
# Benchmark, not a test (never run by ctest): what the public log costs a
# restart with millions of stored forms. It fills a synthetic nation with
# FORMS forms (suara-load nation, suara seed, suara-load copy), restarts the
# server on it RUNS times (suara-load restart), and prints, for each start,
# the time to /readyz 200 and the `loaded` line's `log_ms` and `log_cpu_ms`
# (wall and CPU time of the log's own thread, the CPU time being what
# survives a busy machine) beside `tallies_ms` (the tallies' rebuild, which
# runs on another thread at the same time): the Merkle tree
# rebuilt from the stored receipts, every decision's receipt rechecked, the
# outcome rules replayed over every TPS and contest with their status changes
# put in the log (docs/benchmarks.md, "The public log at start-up").
#
# Usage: loadtest/log_restart_bench.sh CONNINFO [FORMS] [RUNS]
#   CONNINFO  a PostgreSQL server (libpq keywords, no dbname) where this may
#             create and drop the database suara_log_bench
#   FORMS     stored forms (default 4000000); RUNS restarts (default 3)
# Environment: SUARA_BUILD_DIR (default build), BENCH_PORT (default 18093),
# BENCH_KEEP=1 keeps a filled database (the next run only restarts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { sed -n '2,17p' "$0"; exit 2; }
PG=$1
FORMS=${2:-4000000}
RUNS=${3:-3}
BIN=${SUARA_BUILD_DIR:-build}/bin
PORT=${BENCH_PORT:-18093}
DB="$PG dbname=suara_log_bench"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

psql_do() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
stored() { psql -X -A -t -d "$DB" -c "SELECT count(*) FROM forms" 2>/dev/null || echo 0; }

if [ "${BENCH_KEEP:-0}" != 1 ] || [ "$(stored)" != "$FORMS" ]; then
    psql_do "$PG dbname=postgres" "DROP DATABASE IF EXISTS suara_log_bench"
    psql_do "$PG dbname=postgres" "CREATE DATABASE suara_log_bench"
    "$BIN/suara" migrate --db "$DB" --schema schema >/dev/null
    "$BIN/suara-load" nation --out "$WORK/nation" >/dev/null
    "$BIN/suara" seed --db "$DB" "$WORK/nation" >/dev/null
    started=$(date +%s)
    "$BIN/suara-load" copy --db "$DB" --forms "$FORMS" --batch 5000 >/dev/null
    echo "filled: $(stored) forms in $(($(date +%s) - started)) s"
fi

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
    log="$WORK/serve-$run.log"
    # The default --fence-ms (10 s): the long steps run off the loop, whose
    # heartbeats keep the session (a load that lost it would start again,
    # and show as a second `loaded` line and a `load_failed`).
    result=$("$BIN/suara-load" restart --suara "$BIN/suara" --db "$DB" --port "$PORT" --log "$log")
    loaded=$(grep -o 'event=loaded.*' "$log" | tail -n 1)
    field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$loaded"; }
    share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
    echo "run $run: $result"
    echo "  load: $(field ms) ms wall, $(field cpu_ms) ms CPU; the log: $(field log_ms) ms wall" \
        "($(share "$(field log_ms)" "$(field ms)") %), $(field log_cpu_ms) ms CPU" \
        "($(share "$(field log_cpu_ms)" "$(field cpu_ms)") % of the load's CPU);" \
        "beside it the tallies: $(field tallies_ms) ms wall"
    echo "  load_failed lines: $(grep -c 'event=load_failed' "$log" || true) (0: no load thrown away)"
done
