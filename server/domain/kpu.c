/* See kpu.h. */
#include "kpu.h"
#include "core/err.h"
#include "core/mem.h"
#include "worklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kpu_init(struct kpu *k, const struct registry *reg)
{
    memset(k, 0, sizeof *k);
    k->reg = reg;
    k->n_contests = reg->n_contests;
    k->contests = xcalloc((size_t)reg->n_contests, sizeof *k->contests);
    if (!k->contests)
        return SU_NOMEM;
    for (int c = 0; c < reg->n_contests; c++) {
        struct kpu_contest *kc = &k->contests[c];
        int n_cand = reg->contests[c].n_candidates;
        kc->base = reg->contests[c].region;
        kc->n = reg->regions[kc->base].end - kc->base;
        kc->nodes = xcalloc((size_t)kc->n, sizeof *kc->nodes);
        kc->votes = xcalloc((size_t)kc->n * (size_t)(n_cand ? n_cand : 1), sizeof *kc->votes);
        if (!kc->nodes || !kc->votes)
            return SU_NOMEM;
    }
    return SU_OK;
}

void kpu_free(struct kpu *k)
{
    for (int c = 0; k->contests && c < k->n_contests; c++) {
        struct kpu_contest *kc = &k->contests[c];
        for (int i = 0; i < kc->n_recaps; i++)
            free(kc->recaps[i].votes);
        free(kc->recaps);
        free(kc->nodes);
        free(kc->votes);
    }
    free(k->contests);
    memset(k, 0, sizeof *k);
}

static int add_recap(struct kpu_contest *kc, int32_t region, const int64_t *votes, int n_cand)
{
    for (int i = 0; i < kc->n_recaps; i++) {
        if (kc->recaps[i].region == region)
            return SU_INVAL;
    }
    if (kc->n_recaps == kc->cap_recaps) {
        int cap = kc->cap_recaps ? kc->cap_recaps * 2 : 16;
        struct kpu_recap *p = xrealloc(kc->recaps, (size_t)cap * sizeof *p);
        if (!p)
            return SU_NOMEM;
        kc->recaps = p;
        kc->cap_recaps = cap;
    }
    int64_t *v = xmalloc((size_t)(n_cand ? n_cand : 1) * sizeof *v);
    if (!v)
        return SU_NOMEM;
    memcpy(v, votes, (size_t)n_cand * sizeof *v);
    kc->recaps[kc->n_recaps++] = (struct kpu_recap){region, v};
    return SU_OK;
}

/* Sums of valid/invalid stay -1 only while no row below gave the figure. */
static void add_known(int64_t *sum, int64_t v)
{
    if (v < 0)
        return;
    *sum = *sum < 0 ? v : *sum + v;
}

int kpu_add(struct kpu *k, int contest, int32_t region, bool recap, const int64_t *votes,
            int64_t valid, int64_t invalid)
{
    const struct registry *reg = k->reg;
    struct kpu_contest *kc = &k->contests[contest];
    int n_cand = reg->contests[contest].n_candidates;
    if (!region_contains(reg, kc->base, region))
        return SU_INVAL;
    k->rows++;
    if (recap)
        return add_recap(kc, region, votes, n_cand);
    if (reg->regions[region].level != LEVEL_TPS || kc->nodes[region - kc->base].tps)
        return SU_INVAL;
    for (int32_t r = region; r >= kc->base; r = reg->regions[r].parent) {
        struct kpu_node *node = &kc->nodes[r - kc->base];
        if (node->tps == 0)
            node->valid = node->invalid = -1;
        node->tps++;
        add_known(&node->valid, valid);
        add_known(&node->invalid, invalid);
        int64_t *sum = &kc->votes[(size_t)(r - kc->base) * (size_t)n_cand];
        for (int i = 0; i < n_cand; i++)
            sum[i] += votes[i];
        if (r == kc->base)
            break;
    }
    return SU_OK;
}

bool kpu_tps_differs(const struct kpu *k, int contest, int32_t tps, const struct tps_state *s)
{
    if (!k || !k->contests || !s->counts)
        return false;
    const struct kpu_contest *kc = &k->contests[contest];
    const struct kpu_node *node = &kc->nodes[tps - kc->base];
    if (!node->tps)
        return false;
    int n_cand = k->reg->contests[contest].n_candidates;
    const int64_t *votes = &kc->votes[(size_t)(tps - kc->base) * (size_t)n_cand];
    for (int i = 0; i < n_cand; i++) {
        if (votes[i] != s->votes[i])
            return true;
    }
    return (node->valid >= 0 && node->valid != s->counts->valid) ||
           (node->invalid >= 0 && node->invalid != s->counts->invalid);
}

void kpu_install(struct ledger *l, struct kpu *fresh)
{
    struct tallies *t = l->tallies;
    const struct registry *reg = l->reg;
    if (t->kpu) {
        kpu_free(t->kpu);
        free(t->kpu);
    }
    t->kpu = fresh;
    t->kpu_generation++; /* cached tally nodes carry the figures: their ETag must move */
    for (int c = 0; c < reg->n_contests; c++) {
        struct contest_tally *ct = &t->contests[c];
        for (int32_t i = 0; i < ct->n; i++)
            ct->nodes[i].tps_kpu_differs = 0;
        for (int32_t r = ct->base; r < ct->base + ct->n; r++) {
            if (reg->regions[r].level != LEVEL_TPS)
                continue;
            struct tps_state st;
            slot_state(ledger_slot(l, c, r), &st);
            st.kpu_differs = kpu_tps_differs(fresh, c, r, &st);
            /* only this status: the others (no_photo among them) did not move */
            worklists_set_one(t->worklists, c, r - ct->base, WL_KPU_DIFFERS, st.kpu_differs);
            for (int32_t p = r; st.kpu_differs && p >= ct->base; p = reg->regions[p].parent) {
                ct->nodes[p - ct->base].tps_kpu_differs++;
                if (p == ct->base)
                    break;
            }
        }
    }
}

static cJSON *votes_json(const struct contest *c, const int64_t *votes)
{
    cJSON *v = cJSON_CreateObject();
    for (int k = 0; k < c->n_candidates; k++) {
        char key[12];
        snprintf(key, sizeof key, "%d", c->candidates[k].number);
        cJSON_AddNumberToObject(v, key, (double)votes[k]);
    }
    return v;
}

static void add_figure(cJSON *o, const char *key, int64_t v)
{
    if (v < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)v);
}

void kpu_add_json(cJSON *node, const struct tallies *t, int contest, int32_t region)
{
    const struct contest *c = &t->reg->contests[contest];
    const struct kpu *k = t->kpu;
    const struct kpu_contest *kc = k && k->contests ? &k->contests[contest] : NULL;
    if (!kc)
        return;
    const struct kpu_node *n = &kc->nodes[region - kc->base];
    if (n->tps) {
        cJSON *o = cJSON_AddObjectToObject(node, "kpu");
        cJSON_AddNumberToObject(o, "tps", n->tps);
        add_figure(o, "valid", n->valid);
        add_figure(o, "invalid", n->invalid);
        const int64_t *votes = &kc->votes[(size_t)(region - kc->base) * (size_t)c->n_candidates];
        cJSON_AddItemToObject(o, "votes", votes_json(c, votes));
    }
    for (int i = 0; i < kc->n_recaps; i++) {
        if (kc->recaps[i].region == region) {
            cJSON *r = cJSON_AddObjectToObject(node, "kpu_recap");
            cJSON_AddItemToObject(r, "votes", votes_json(c, kc->recaps[i].votes));
            return;
        }
    }
}
