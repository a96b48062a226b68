#!/usr/bin/env bash
# Every C file of the project is laid out as the checked-in .clang-format says
# (run `clang-format -i FILE` to fix one). Usage: clang_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format not found (Debian package clang-format)"; exit 1; }
bad=()
while IFS= read -r -d '' f; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(find server loadtest tests -name '*.[ch]' -print0)
if [ ${#bad[@]} -gt 0 ]; then
    printf 'not formatted as .clang-format says (clang-format -i FILE):\n'
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "all C files formatted"
