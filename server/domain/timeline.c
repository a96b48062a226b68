/* See timeline.h. */
#include "timeline.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_series(const struct registry *reg, int32_t region)
{
    return reg->regions[region].level <= LEVEL_KABUPATEN;
}

int timeline_init(struct timeline *tl, const struct registry *reg, int max_points)
{
    memset(tl, 0, sizeof *tl);
    tl->reg = reg;
    tl->max_points = max_points > 1 ? max_points : 2;
    tl->n_contests = reg->n_contests;
    tl->contests = xcalloc((size_t)reg->n_contests, sizeof *tl->contests);
    if (!tl->contests)
        return SU_NOMEM;
    for (int c = 0; c < reg->n_contests; c++) {
        struct timeline_contest *tc = &tl->contests[c];
        int32_t root = reg->contests[c].region;
        tc->n_candidates = reg->contests[c].n_candidates;
        for (int32_t r = root; r < reg->regions[root].end; r++)
            tc->n_series += has_series(reg, r);
        tc->series = xcalloc((size_t)tc->n_series, sizeof *tc->series);
        if (!tc->series)
            return SU_NOMEM;
        int k = 0;
        for (int32_t r = root; r < reg->regions[root].end; r++) {
            if (has_series(reg, r))
                tc->series[k++].region = r;
        }
    }
    return SU_OK;
}

void timeline_free(struct timeline *tl)
{
    for (int c = 0; tl->contests && c < tl->n_contests; c++) {
        struct timeline_contest *tc = &tl->contests[c];
        for (int k = 0; tc->series && k < tc->n_series; k++) {
            free(tc->series[k].points);
            free(tc->series[k].votes);
        }
        free(tc->series);
    }
    free(tl->contests);
    memset(tl, 0, sizeof *tl);
}

struct timeline_series *timeline_series(const struct timeline *tl, int contest, int32_t region)
{
    const struct timeline_contest *tc = &tl->contests[contest];
    for (int k = 0; k < tc->n_series; k++) {
        if (tc->series[k].region == region)
            return &tc->series[k];
    }
    return NULL;
}

/* Drops the older half of a full series (memory only). */
static void drop_oldest(struct timeline_series *s, int n_cand)
{
    int drop = s->n / 2;
    memmove(s->points, s->points + drop, (size_t)(s->n - drop) * sizeof *s->points);
    memmove(s->votes, s->votes + (size_t)drop * (size_t)n_cand,
            (size_t)(s->n - drop) * (size_t)n_cand * sizeof *s->votes);
    s->n -= drop;
    s->n_stored = s->n_stored > drop ? s->n_stored - drop : 0;
    s->n_sending = s->n_sending > drop ? s->n_sending - drop : 0;
}

/* Room for one more point; NULL on no memory. */
static struct timeline_point *append(struct timeline *tl, struct timeline_series *s, int n_cand,
                                     int64_t **votes)
{
    if (s->n == tl->max_points)
        drop_oldest(s, n_cand);
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        if (cap > tl->max_points)
            cap = tl->max_points;
        struct timeline_point *p = xrealloc(s->points, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        s->points = p;
        int64_t *v = xrealloc(s->votes, (size_t)cap * (size_t)(n_cand ? n_cand : 1) * sizeof *v);
        if (!v)
            return NULL;
        s->votes = v;
        s->cap = cap;
    }
    *votes = &s->votes[(size_t)s->n * (size_t)n_cand];
    return &s->points[s->n++];
}

int timeline_take(struct timeline *tl, const struct tallies *t, int64_t now_ms)
{
    int added = 0;
    for (int c = 0; c < tl->n_contests; c++) {
        struct timeline_contest *tc = &tl->contests[c];
        for (int k = 0; k < tc->n_series; k++) {
            struct timeline_series *s = &tc->series[k];
            const struct tally_node *node = tally_node(t, c, s->region);
            int64_t last = s->n ? s->points[s->n - 1].seq : 0;
            if (node->seq <= last)
                continue;
            int64_t *votes;
            struct timeline_point *p = append(tl, s, tc->n_candidates, &votes);
            if (!p)
                return added;
            *p = (struct timeline_point){now_ms, node->seq, node->valid, node->invalid,
                                         node->tps_counted};
            memcpy(votes, tally_votes(t, c, s->region), (size_t)tc->n_candidates * sizeof *votes);
            added++;
        }
    }
    return added;
}

int timeline_load_point(struct timeline *tl, int contest, int32_t region,
                        const struct timeline_point *p, const int64_t *votes, int n_votes)
{
    struct timeline_series *s = timeline_series(tl, contest, region);
    if (!s)
        return SU_INVAL; /* a row for a node that is no longer snapshotted */
    int n_cand = tl->contests[contest].n_candidates;
    int64_t *dst;
    struct timeline_point *q = append(tl, s, n_cand, &dst);
    if (!q)
        return SU_NOMEM;
    *q = *p;
    for (int k = 0; k < n_cand; k++)
        dst[k] = k < n_votes ? votes[k] : 0;
    s->n_stored = s->n_sending = s->n;
    return SU_OK;
}

cJSON *timeline_json(const struct timeline *tl, int contest, int32_t region)
{
    const struct timeline_series *s = timeline_series(tl, contest, region);
    const struct contest *c = &tl->reg->contests[contest];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "contest", c->id);
    cJSON_AddStringToObject(o, "region", tl->reg->regions[region].code);
    cJSON *points = cJSON_AddArrayToObject(o, "points");
    for (int i = 0; s && i < s->n; i++) {
        const struct timeline_point *p = &s->points[i];
        cJSON *pt = cJSON_CreateObject();
        char at[40];
        clock_format_rfc3339(p->at_ms, at, sizeof at);
        cJSON_AddStringToObject(pt, "at", at);
        cJSON_AddNumberToObject(pt, "seq", (double)p->seq);
        cJSON_AddNumberToObject(pt, "tps_counted", p->tps_counted);
        cJSON_AddNumberToObject(pt, "valid", (double)p->valid);
        cJSON_AddNumberToObject(pt, "invalid", (double)p->invalid);
        cJSON *v = cJSON_AddObjectToObject(pt, "votes");
        const int64_t *votes = &s->votes[(size_t)i * (size_t)c->n_candidates];
        for (int k = 0; k < c->n_candidates; k++) {
            char key[12];
            snprintf(key, sizeof key, "%d", c->candidates[k].number);
            cJSON_AddNumberToObject(v, key, (double)votes[k]);
        }
        cJSON_AddItemToArray(points, pt);
    }
    return o;
}
