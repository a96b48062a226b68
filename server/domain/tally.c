/* See tally.h. */
#include "tally.h"
#include "core/err.h"
#include "core/mem.h"
#include "kpu.h"
#include "worklist.h"

#include <stdlib.h>
#include <string.h>

int64_t form_registered_total(const struct form_counts *c)
{
    return form_sum_rows(c->registered);
}

int tallies_init(struct tallies *t, const struct registry *reg)
{
    memset(t, 0, sizeof *t);
    t->reg = reg;
    t->n_contests = reg->n_contests;
    t->contests = xcalloc((size_t)reg->n_contests, sizeof *t->contests);
    for (int i = 0; i < reg->n_contests; i++) {
        struct contest_tally *ct = &t->contests[i];
        const struct contest *c = &reg->contests[i];
        ct->contest = c;
        ct->base = c->region;
        ct->n = reg->regions[c->region].end - c->region;
        ct->nodes = xcalloc((size_t)ct->n, sizeof *ct->nodes);
        ct->votes = xcalloc((size_t)ct->n * (size_t)(c->n_candidates ? c->n_candidates : 1),
                            sizeof *ct->votes);
        if (!ct->nodes || !ct->votes)
            return SU_NOMEM;
        for (int32_t k = 0; k < ct->n; k++)
            ct->nodes[k].tps_total = reg->regions[ct->base + k].n_tps;
    }
    t->worklists = worklists_new(reg);
    return t->worklists ? SU_OK : SU_NOMEM;
}

void tallies_free(struct tallies *t)
{
    for (int i = 0; i < t->n_contests; i++) {
        free(t->contests[i].nodes);
        free(t->contests[i].votes);
    }
    free(t->contests);
    free(t->dirty);
    worklists_free(t->worklists);
    if (t->kpu) {
        kpu_free(t->kpu);
        free(t->kpu);
    }
    memset(t, 0, sizeof *t);
}

/* The difference between two TPS states, to be added at every level. */
struct delta {
    int32_t counted, held, disputed, confirmed, flagged, kpu_differs;
    int64_t registered, voted, valid, invalid;
    int64_t votes[CONTEST_MAX_CANDIDATES];
};

static void add_state(struct delta *d, const struct tps_state *s, int sign, int n_cand)
{
    d->held += sign * s->held;
    d->disputed += sign * s->disputed;
    if (!s->counts)
        return;
    d->counted += sign;
    d->confirmed += sign * s->confirmed;
    d->flagged += sign * s->flagged;
    d->registered += sign * form_registered_total(s->counts);
    d->voted += sign * s->counts->total;
    d->valid += sign * s->counts->valid;
    d->invalid += sign * s->counts->invalid;
    for (int k = 0; k < n_cand; k++)
        d->votes[k] += sign * s->votes[k];
}

static void mark_dirty(struct tallies *t, int contest, int32_t tps)
{
    if (t->dirty_overflow)
        return;
    if (t->n_dirty == t->cap_dirty) {
        int32_t cap = t->cap_dirty ? t->cap_dirty * 2 : 256;
        uint64_t *d = cap <= TALLY_DIRTY_MAX ? xrealloc(t->dirty, (size_t)cap * sizeof *d) : NULL;
        if (!d) {
            t->dirty_overflow = true;
            return;
        }
        t->dirty = d;
        t->cap_dirty = cap;
    }
    t->dirty[t->n_dirty++] = tally_dirty_key(contest, tps);
}

void tally_apply(struct tallies *t, int contest, int32_t tps, const struct tps_state *before,
                 const struct tps_state *after, int64_t seq)
{
    struct contest_tally *ct = &t->contests[contest];
    int n_cand = ct->contest->n_candidates;
    struct delta d;
    memset(&d, 0, sizeof d);
    add_state(&d, after, +1, n_cand);
    add_state(&d, before, -1, n_cand);
    struct tps_state now = *after;
    now.kpu_differs = kpu_tps_differs(t->kpu, contest, tps, after);
    d.kpu_differs = now.kpu_differs - kpu_tps_differs(t->kpu, contest, tps, before);
    for (int32_t r = tps; r >= ct->base; r = t->reg->regions[r].parent) {
        struct tally_node *node = &ct->nodes[r - ct->base];
        if (seq > node->seq)
            node->seq = seq;
        node->tps_counted += d.counted;
        node->tps_held += d.held;
        node->tps_disputed += d.disputed;
        node->tps_confirmed += d.confirmed;
        node->tps_flagged += d.flagged;
        node->tps_kpu_differs += d.kpu_differs;
        node->registered += d.registered;
        node->voted += d.voted;
        node->valid += d.valid;
        node->invalid += d.invalid;
        int64_t *votes = &ct->votes[(size_t)(r - ct->base) * (size_t)n_cand];
        for (int k = 0; k < n_cand; k++)
            votes[k] += d.votes[k];
        if (r == ct->base)
            break;
    }
    if (seq > t->seq)
        t->seq = seq;
    mark_dirty(t, contest, tps);
    worklists_set(t->worklists, contest, tps - ct->base, &now);
}

void tally_dirty_clear(struct tallies *t)
{
    t->n_dirty = 0;
    t->dirty_overflow = false;
}

void tally_add_with_photo(struct tallies *t, int contest, int32_t tps, int delta)
{
    struct contest_tally *ct = &t->contests[contest];
    for (int32_t r = tps; r >= ct->base; r = t->reg->regions[r].parent) {
        ct->nodes[r - ct->base].tps_with_photo += delta;
        if (r == ct->base)
            break;
    }
}

const struct tally_node *tally_node(const struct tallies *t, int contest, int32_t region)
{
    const struct contest_tally *ct = &t->contests[contest];
    if (region < ct->base || region >= ct->base + ct->n)
        return NULL;
    return &ct->nodes[region - ct->base];
}

const int64_t *tally_votes(const struct tallies *t, int contest, int32_t region)
{
    const struct contest_tally *ct = &t->contests[contest];
    if (region < ct->base || region >= ct->base + ct->n)
        return NULL;
    return &ct->votes[(size_t)(region - ct->base) * (size_t)ct->contest->n_candidates];
}

void tally_mark_final(struct tallies *t, int contest, int32_t region, unsigned bits)
{
    struct contest_tally *ct = &t->contests[contest];
    int32_t end = t->reg->regions[region].end;
    for (int32_t r = region; r < end; r++) {
        if (r >= ct->base && r < ct->base + ct->n)
            ct->nodes[r - ct->base].final |= (uint8_t)bits;
    }
}
