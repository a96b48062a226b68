/* See registry.h. Regions are appended in any order, then sorted by code so
 * that the array is a preorder walk of the tree. */
#include "registry.h"
#include "core/err.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void registry_init(struct registry *r)
{
    memset(r, 0, sizeof *r);
    strmap_init(&r->by_code);
    strmap_init(&r->by_contest);
}

void registry_free(struct registry *r)
{
    for (int32_t i = 0; i < r->n_regions; i++)
        free(r->regions[i].name);
    for (int i = 0; i < r->n_contests; i++) {
        struct contest *c = &r->contests[i];
        for (int k = 0; k < c->n_candidates; k++) {
            free(c->candidates[k].head);
            free(c->candidates[k].deputy);
        }
        free(c->candidates);
        free(c->kind);
        free(c->title);
    }
    free(r->regions);
    free(r->contests);
    strmap_free(&r->by_code);
    strmap_free(&r->by_contest);
    registry_init(r);
}

static void *grow_array(void *p, int32_t *cap, size_t elem)
{
    int32_t n = *cap ? *cap * 2 : 64;
    void *q = xrealloc(p, (size_t)n * elem);
    if (q)
        *cap = n;
    return q;
}

int registry_add_region(struct registry *r, const char *code, const char *name, int32_t dpt)
{
    size_t len = strlen(code);
    enum region_level level = region_code_level(code, len);
    if (level == LEVEL_NONE)
        return SU_INVAL;
    if (r->n_regions == r->cap_regions) {
        struct region *p = grow_array(r->regions, &r->cap_regions, sizeof *p);
        if (!p)
            return SU_NOMEM;
        r->regions = p;
    }
    struct region *g = &r->regions[r->n_regions];
    memset(g, 0, sizeof *g);
    memcpy(g->code, code, len + 1);
    g->level = (uint8_t)level;
    g->dpt = level == LEVEL_TPS ? dpt : 0;
    g->name = xstrdup(name);
    if (!g->name)
        return SU_NOMEM;
    r->n_regions++;
    return SU_OK;
}

int registry_add_contest(struct registry *r, const char *id, const char *kind, const char *region,
                         const char *title)
{
    if (strlen(id) > CONTEST_ID_MAX || strlen(region) > REGION_CODE_MAX)
        return SU_INVAL;
    if (r->n_contests == r->cap_contests) {
        int32_t cap = r->cap_contests;
        struct contest *p = grow_array(r->contests, &cap, sizeof *p);
        if (!p)
            return SU_NOMEM;
        r->contests = p;
        r->cap_contests = cap;
    }
    struct contest *c = &r->contests[r->n_contests];
    memset(c, 0, sizeof *c);
    strcpy(c->id, id);
    c->index = r->n_contests;
    strcpy(c->region_code, region);
    c->region = -1; /* resolved in registry_finish */
    c->kind = xstrdup(kind);
    c->title = xstrdup(title);
    if (!c->kind || !c->title)
        return SU_NOMEM;
    r->n_contests++;
    return SU_OK;
}

int registry_add_candidate(struct registry *r, const char *contest_id, int number, const char *head,
                           const char *deputy)
{
    struct contest *c = NULL;
    for (int i = 0; i < r->n_contests; i++) {
        if (strcmp(r->contests[i].id, contest_id) == 0)
            c = &r->contests[i];
    }
    if (!c || c->n_candidates == CONTEST_MAX_CANDIDATES || contest_candidate_pos(c, number) >= 0)
        return SU_INVAL;
    struct candidate *p = xrealloc(c->candidates, (size_t)(c->n_candidates + 1) * sizeof *p);
    if (!p)
        return SU_NOMEM;
    c->candidates = p;
    /* Keep candidates sorted by nomor urut: votes arrays follow this order. */
    int pos = c->n_candidates;
    while (pos > 0 && p[pos - 1].number > number) {
        p[pos] = p[pos - 1];
        pos--;
    }
    p[pos].number = number;
    p[pos].head = xstrdup(head);
    p[pos].deputy = xstrdup(deputy);
    c->n_candidates++;
    return p[pos].head && p[pos].deputy ? SU_OK : SU_NOMEM;
}

int contest_candidate_pos(const struct contest *c, int number)
{
    for (int i = 0; i < c->n_candidates; i++) {
        if (c->candidates[i].number == number)
            return i;
    }
    return -1;
}

static int compare_codes(const void *a, const void *b)
{
    return strcmp(((const struct region *)a)->code, ((const struct region *)b)->code);
}

/* Links parents and children and computes subtree ends, TPS counts and DPT.
 * Walking backwards visits every child before its parent. */
static int link_tree(struct registry *r, char *err, size_t err_size)
{
    for (int32_t i = 0; i < r->n_regions; i++) {
        struct region *g = &r->regions[i];
        g->parent = -1;
        g->first_child = -1;
        g->next_sibling = -1;
        g->end = i + 1;
        g->n_tps = g->level == LEVEL_TPS;
        if (i > 0 && strcmp(r->regions[i - 1].code, g->code) == 0) {
            snprintf(err, err_size, "duplicate region code %s", g->code);
            return SU_INVAL;
        }
        size_t plen = region_code_parent_len(g->code, strlen(g->code));
        if (g->level == LEVEL_PROVINCE)
            continue;
        int32_t parent = registry_find(r, g->code, plen);
        if (parent < 0) {
            snprintf(err, err_size, "region %s has no parent %.*s", g->code, (int)plen, g->code);
            return SU_INVAL;
        }
        g->parent = parent;
    }
    for (int32_t i = r->n_regions - 1; i >= 0; i--) {
        struct region *g = &r->regions[i];
        if (g->parent < 0)
            continue;
        struct region *p = &r->regions[g->parent];
        g->next_sibling = p->first_child;
        p->first_child = i;
        p->n_children++;
        p->n_tps += g->n_tps;
        p->dpt += g->dpt;
        if (g->end > p->end)
            p->end = g->end;
    }
    return SU_OK;
}

int registry_finish(struct registry *r, char *err, size_t err_size)
{
    qsort(r->regions, (size_t)r->n_regions, sizeof *r->regions, compare_codes);
    strmap_free(&r->by_code);
    for (int32_t i = 0; i < r->n_regions; i++) {
        if (strmap_put(&r->by_code, r->regions[i].code, (void *)(intptr_t)(i + 1)) != SU_OK)
            return SU_NOMEM;
    }
    int rc = link_tree(r, err, err_size);
    if (rc != SU_OK)
        return rc;
    strmap_free(&r->by_contest);
    for (int i = 0; i < r->n_contests; i++) {
        struct contest *c = &r->contests[i];
        c->region = registry_find(r, c->region_code, strlen(c->region_code));
        if (c->region < 0 || r->regions[c->region].level == LEVEL_TPS) {
            snprintf(err, err_size, "contest %s: unknown region %s", c->id, c->region_code);
            return SU_INVAL;
        }
        if (strmap_put(&r->by_contest, c->id, c) != SU_OK)
            return SU_NOMEM;
    }
    return SU_OK;
}

int32_t registry_find(const struct registry *r, const char *code, size_t len)
{
    intptr_t v = (intptr_t)strmap_getn(&r->by_code, code, len);
    return (int32_t)v - 1;
}

const struct contest *registry_contest(const struct registry *r, const char *id, size_t len)
{
    return strmap_getn(&r->by_contest, id, len);
}
