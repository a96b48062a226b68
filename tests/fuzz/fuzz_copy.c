/* libFuzzer target: the COPY text-format parsers start-up loading relies on,
 * db/copy.h copy_split_line and copy_parse_int_array, on arbitrary lines.
 *
 * The first input byte picks the field limit (1..COPY_MAX_FIELDS) and the
 * parser (even: split a line, odd: parse an int array); the rest is the line.
 * Like PQgetCopyData's buffers, the line is followed by one NUL byte beyond
 * its length and nothing more, so ASan catches any write or read further.
 * Invariants: the field count is -1 or 0..limit, every field lies inside the
 * line and is NUL-terminated there, a line without backslashes splits into
 * exactly its tab-separated pieces, and an int array yields -1 or 0..limit.
 *
 * tests/unit/test_fuzz_regressions.c includes this file with FUZZ_COPY_ENTRY
 * renamed to replay the corpus in the ordinary test run. */
#include "db/copy.h"
#include "fuzz_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_COPY_ENTRY
#define FUZZ_COPY_ENTRY LLVMFuzzerTestOneInput
#endif

#define COPY_CHECK(cond) FUZZ_CHECK("fuzz_copy", cond)

static void copy_check_split(const char *orig, size_t len, int max)
{
    char *line = malloc(len + 1);
    COPY_CHECK(line != NULL);
    memcpy(line, orig, len);
    line[len] = '\0';
    char *fields[COPY_MAX_FIELDS];
    int n = copy_split_line(line, len, fields, max);
    COPY_CHECK(n == -1 || (n >= 1 && n <= max));
    for (int i = 0; i < n; i++) {
        if (!fields[i])
            continue; /* \N */
        COPY_CHECK(fields[i] >= line && fields[i] <= line + len);
        COPY_CHECK(memchr(fields[i], '\0', (size_t)(line + len + 1 - fields[i])) != NULL);
    }
    /* Without escapes the fields are exactly the tab-separated pieces. */
    size_t body = len && orig[len - 1] == '\n' ? len - 1 : len;
    if (n > 0 && !memchr(orig, '\\', body) && !memchr(orig, '\0', body)) {
        const char *p = orig;
        for (int i = 0; i < n; i++) {
            const char *tab = memchr(p, '\t', (size_t)(orig + body - p));
            size_t flen = tab ? (size_t)(tab - p) : (size_t)(orig + body - p);
            COPY_CHECK(fields[i] != NULL);
            COPY_CHECK(strlen(fields[i]) == flen && memcmp(fields[i], p, flen) == 0);
            p = tab ? tab + 1 : orig + body;
        }
    }
    free(line);
}

static void copy_check_array(const char *orig, size_t len, int max)
{
    char *text = malloc(len + 1);
    COPY_CHECK(text != NULL);
    memcpy(text, orig, len);
    text[len] = '\0';
    long out[COPY_MAX_FIELDS];
    int n = copy_parse_int_array(text, out, max);
    COPY_CHECK(n >= -1 && n <= max);
    free(text);
}

int FUZZ_COPY_ENTRY(const uint8_t *data, size_t size);

int FUZZ_COPY_ENTRY(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int max = 1 + (data[0] >> 1) % COPY_MAX_FIELDS;
    const char *line = (const char *)data + 1;
    if (data[0] & 1)
        copy_check_array(line, size - 1, max);
    else
        copy_check_split(line, size - 1, max);
    return 0;
}
