/* See worklist.h. */
#include "worklist.h"
#include "core/mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct contest_lists {
    int32_t n; /* nodes */
    uint64_t *bits[WL_COUNT];
};

struct worklists {
    int n_contests;
    struct contest_lists *contests;
};

static bool is_missing(const struct tps_state *s)
{
    return !s->counts;
}

static bool is_held(const struct tps_state *s)
{
    return s->held;
}

static bool is_disputed(const struct tps_state *s)
{
    return s->disputed;
}

static bool is_unconfirmed(const struct tps_state *s)
{
    return s->counts && !s->confirmed;
}

/* Counted: then form_photos_refresh, which runs after every commit and every
 * stored photo, clears it when all of the counted form's photos are stored. */
static bool has_no_photo(const struct tps_state *s)
{
    return s->counts != NULL;
}

static bool is_flagged(const struct tps_state *s)
{
    return s->counts && s->flagged;
}

static bool kpu_differs(const struct tps_state *s)
{
    return s->kpu_differs;
}

static const struct {
    const char *name;
    bool (*applies)(const struct tps_state *s);
} statuses[WL_COUNT] = {
    [WL_MISSING] = {"missing", is_missing},
    [WL_HELD] = {"held", is_held},
    [WL_DISPUTED] = {"disputed", is_disputed},
    [WL_UNCONFIRMED] = {"unconfirmed", is_unconfirmed},
    [WL_NO_PHOTO] = {"no_photo", has_no_photo},
    [WL_FLAGGED] = {"flagged", is_flagged},
    [WL_KPU_DIFFERS] = {"kpu_differs", kpu_differs},
};

int worklist_status_parse(const char *name)
{
    for (int i = 0; i < WL_COUNT; i++) {
        if (strcmp(name, statuses[i].name) == 0)
            return i;
    }
    return -1;
}

const char *worklist_status_name(int status)
{
    return status >= 0 && status < WL_COUNT ? statuses[status].name : NULL;
}

static void put_bit(uint64_t *bits, int32_t i, bool on)
{
    uint64_t mask = (uint64_t)1 << (i & 63);
    if (on)
        bits[i >> 6] |= mask;
    else
        bits[i >> 6] &= ~mask;
}

void worklists_set(struct worklists *w, int contest, int32_t node, const struct tps_state *s)
{
    struct contest_lists *cl = &w->contests[contest];
    for (int k = 0; k < WL_COUNT; k++)
        put_bit(cl->bits[k], node, statuses[k].applies(s));
}

void worklists_set_one(struct worklists *w, int contest, int32_t node, int status, bool on)
{
    put_bit(w->contests[contest].bits[status], node, on);
}

struct worklists *worklists_new(const struct registry *reg)
{
    struct worklists *w = xcalloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->n_contests = reg->n_contests;
    w->contests = xcalloc((size_t)reg->n_contests, sizeof *w->contests);
    if (!w->contests)
        goto fail;
    static const struct tps_state empty;
    for (int c = 0; c < reg->n_contests; c++) {
        struct contest_lists *cl = &w->contests[c];
        int32_t root = reg->contests[c].region;
        cl->n = reg->regions[root].end - root;
        size_t words = ((size_t)cl->n + 63) / 64;
        for (int k = 0; k < WL_COUNT; k++) {
            if (!(cl->bits[k] = xcalloc(words ? words : 1, sizeof(uint64_t))))
                goto fail;
        }
        for (int32_t i = 0; i < cl->n; i++) {
            if (reg->regions[root + i].level == LEVEL_TPS)
                worklists_set(w, c, i, &empty);
        }
    }
    return w;
fail:
    worklists_free(w);
    return NULL;
}

void worklists_free(struct worklists *w)
{
    if (!w)
        return;
    for (int c = 0; w->contests && c < w->n_contests; c++) {
        for (int k = 0; k < WL_COUNT; k++)
            free(w->contests[c].bits[k]);
    }
    free(w->contests);
    free(w);
}

/* The bits of word `i >> 6` from bit i on, below hi. */
static uint64_t word_from(const uint64_t *bits, int32_t i, int32_t hi)
{
    uint64_t word = bits[i >> 6] >> (i & 63);
    int32_t room = hi - i;
    if (room < 64)
        word &= ((uint64_t)1 << room) - 1;
    return word;
}

int64_t worklist_count(const struct worklists *w, int contest, int status, int32_t lo, int32_t hi)
{
    const uint64_t *bits = w->contests[contest].bits[status];
    int64_t n = 0;
    for (int32_t i = lo; i < hi; i = (i | 63) + 1)
        n += __builtin_popcountll(word_from(bits, i, hi));
    return n;
}

int worklist_collect(const struct worklists *w, int contest, int status, int32_t lo, int32_t hi,
                     int32_t *out, int max)
{
    const uint64_t *bits = w->contests[contest].bits[status];
    int n = 0;
    int32_t i = lo;
    while (i < hi && n < max) {
        uint64_t word = word_from(bits, i, hi);
        if (!word) {
            i = (i | 63) + 1;
            continue;
        }
        i += __builtin_ctzll(word);
        out[n++] = i++;
    }
    return n;
}
