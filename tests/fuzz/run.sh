#!/usr/bin/env bash
# A short fuzzing run for CI: builds the libFuzzer targets with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/, then runs
# each target for SECONDS seconds over its seed corpus. Fails (exit 1) on any
# crash, leak, sanitizer report or broken invariant; the input that did it is
# left in build-fuzz/fuzz-artifacts/<target>/ (add it to tests/fuzz/corpus/
# and to tests/unit/test_fuzz_regressions.c).
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]     default: 20 s, every target
#
# Environment: SUARA_FUZZ_BUILD_DIR (default build-fuzz), SUARA_FUZZ_JOBS
# (parallel build jobs, default nproc). New inputs libFuzzer finds go to a
# scratch corpus in the build folder, never into the source tree.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=${SUARA_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_form fuzz_live_message fuzz_copy fuzz_http_head fuzz_image fuzz_kpu)

say() { printf 'fuzz: %s\n' "$*" >&2; }

command -v clang >/dev/null || {
    say "clang not found: apt-get install -y clang libclang-rt-14-dev"
    exit 1
}
# -Werror off: clang warns about things gcc does not; this build is for fuzzing.
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSUARA_FUZZ=ON -DSUARA_SANITIZE=ON -DSUARA_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j "${SUARA_FUZZ_JOBS:-$(nproc)}" --target "${TARGETS[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${TARGETS[@]}"; do
    seeds=$ROOT/tests/fuzz/corpus/$t
    work=$BUILD/fuzz-corpus/$t
    artifacts=$BUILD/fuzz-artifacts/$t
    mkdir -p "$work" "$artifacts"
    log=$BUILD/fuzz-$t.log
    say "$t: ${SECONDS_PER_TARGET}s over $(find "$seeds" -type f | wc -l) seeds"
    if "$BUILD/bin/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=70000 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" "$seeds" >"$log" 2>&1; then
        say "$t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    else
        failed=1
        say "$t: FAILED, log $log; input(s) in $artifacts:"
        ls -1 "$artifacts" >&2 || true
        grep -m1 -B2 -A25 -E 'ERROR: |runtime error|invariant broken' "$log" >&2 || tail -n 40 "$log" >&2
    fi
done
exit "$failed"
