/* Shared between seed.c (regions and TPS) and seed_contests.c (contests.json);
 * not for use outside the seed module. */
#ifndef SUARA_DOMAIN_SEED_INTERNAL_H
#define SUARA_DOMAIN_SEED_INTERNAL_H

#include "seed.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Counts and reports one problem: FILE:LINE: message, or FILE: message for
 * line 0. */
void seed__problem(struct seed *s, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reports s->orphans (rows or contests skipped because their parent was
 * rejected) as one summary note, "N more WHATs not checked: their PARENT was
 * rejected above", moves them to s->unchecked and resets the counter. */
void seed__report_orphans(struct seed *s, const char *path, const char *what, const char *parent);

/* Makes room for item n of a growable array of *cap items of `size` bytes.
 * Returns the array, perhaps moved (and *cap updated), or NULL when memory
 * runs out (the old array is then left as it was). */
void *seed__grow(void *items, size_t *cap, size_t n, size_t size);

/* The line that defined a region or TPS code (its first len bytes), 0 if none. */
long seed__defined_on(const struct seed *s, const char *code, size_t len);
/* Well-formed UTF-8 without control characters or surrounding spaces, 1 to
 * SEED_TEXT_MAX bytes (or empty if allowed). Returns NULL, or what is wrong. */
const char *seed__bad_text(const char *text, bool may_be_empty);

/* Parses contests.json and applies its max_dpt_per_tps, before the TPS are
 * checked. Returns the parsed tree (the caller deletes it), or NULL after
 * reporting why there is none. */
cJSON *seed__open_contests(struct seed *s, const struct seed_file *f);
/* Checks the contests of the tree (after the regions, which they refer to)
 * and adds them with their candidates to the model. SU_OK or SU_NOMEM. */
int seed__load_contests(struct seed *s, const char *path, const cJSON *root);

#endif
