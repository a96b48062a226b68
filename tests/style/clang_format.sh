#!/usr/bin/env bash
# Every C file of the project is laid out as the checked-in .clang-format says
# (run `clang-format -i FILE` to fix one). Usage: clang_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format not found (Debian package clang-format)"; exit 1; }
# One clang-format per file, on every core; each prints the name of a file it would change.
bad=$(find server loadtest tests -name '*.[ch]' -print0 |
    xargs -0 -n 4 -P "$(nproc)" sh -c 'for f; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done' sh)
if [ -n "$bad" ]; then
    printf 'not formatted as .clang-format says (clang-format -i FILE):\n%s\n' "$bad" | sed '2,$s/^/  /'
    exit 1
fi
echo "all C files formatted"
