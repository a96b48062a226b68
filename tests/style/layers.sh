#!/usr/bin/env bash
# The layers of server/ as the build declares them (server/CMakeLists.txt):
#   core    its own headers and the C library only
#   domain  core and cJSON only, and libraries that only compute (OpenSSL's
#           digests for the Merkle log, the photo decoders, libqrencode):
#           no I/O library
#   db      core, domain and libpq (never net/ or libwebsockets)
#   net     core, domain and libwebsockets (never db/ or libpq); dlfcn.h for
#           wire_hook.c, which reaches the C library's recv() under its own
# and the headers app.c includes pull in neither libpq-fe.h nor
# libwebsockets.h (the app holds opaque handles, as libuv's uv.h does).
# Usage: layers.sh SOURCE_DIR C_COMPILER
set -euo pipefail
cd "$1/server"
cc=${2:-cc}
std_c='assert|complex|ctype|errno|fenv|float|inttypes|iso646|limits|locale|math|setjmp|signal|stdalign|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|stdnoreturn|string|tgmath|threads|time|uchar|wchar|wctype'
posix='unistd|fcntl|dirent|strings|sys/[a-z_]+'
fail=0

# check LAYER ALLOWED_QUOTED_DIRS ALLOWED_SYSTEM_REGEX
check() {
    local layer=$1 dirs=$2 system=$3 f line inc
    for f in "$layer"/*.[ch]; do
        while IFS= read -r line; do
            if [[ $line =~ ^#include\ \"([^\"]+)\" ]]; then
                inc=${BASH_REMATCH[1]}
                if [[ $inc == */* ]]; then
                    [[ " $dirs " == *" ${inc%%/*} "* ]] && continue
                elif [ -f "$layer/$inc" ]; then
                    continue
                fi
            elif [[ $line =~ ^#include\ \<([^\>]+)\> ]]; then
                inc=${BASH_REMATCH[1]}
                [[ $inc =~ ^($system)$ ]] && continue
            else
                continue
            fi
            echo "$f: $line: the $layer layer may not include this"
            fail=1
        done < <(grep -E '^#include' "$f")
    done
}

check core "" "($std_c|$posix)\.h"
check domain "core" "($std_c)\.h|cjson/cJSON\.h|openssl/(sha|evp)\.h|jpeglib\.h|png\.h|webp/decode\.h|qrencode\.h"
check db "core domain" "($std_c|$posix)\.h|libpq-fe\.h|uv\.h"
check net "core domain" "($std_c|$posix|dlfcn)\.h|libwebsockets\.h|uv\.h"

# Every header app.c sees, system ones included (-M, not -MM).
deps=$("$cc" -M -I . $(pkg-config --cflags libuv) app.c 2>&1) || {
    echo "app.c's headers do not compile without libpq's and lws's include paths:"
    echo "$deps"
    exit 1
}
if grep -qE 'libpq-fe\.h|libwebsockets\.h' <<<"$deps"; then
    echo "app.c's headers pull in libpq-fe.h or libwebsockets.h:"
    tr ' ' '\n' <<<"$deps" | grep -E 'libpq-fe\.h|libwebsockets\.h'
    fail=1
fi
[ "$fail" -eq 0 ] && echo "every layer includes only what it may"
exit "$fail"
