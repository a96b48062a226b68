/* The invariant check of the libFuzzer targets: a broken invariant prints
 * which one, and where, and aborts, so libFuzzer keeps the input as a crash
 * (tests/fuzz/run.sh greps the log for "invariant broken").
 * tests/unit/test_fuzz_regressions.c includes every target into one file,
 * hence the include guard. */
#ifndef SUARA_FUZZ_CHECK_H
#define SUARA_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* target: the name printed first, e.g. "fuzz_form". */
#define FUZZ_CHECK(target, cond)                                                                   \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s: invariant broken: %s (%s:%d)\n", target, #cond, __FILE__,         \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
