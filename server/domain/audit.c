/* See audit.h. */
#include "audit.h"
#include "core/mem.h"
#include "core/clock.h"
#include "core/err.h"
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *form_ref(const struct registry *reg, const struct form *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "form_id", (double)f->id);
    cJSON_AddStringToObject(o, "tps", reg->regions[f->tps].code);
    cJSON_AddStringToObject(o, "contest", reg->contests[f->contest].id);
    cJSON_AddNumberToObject(o, "revision", f->revision);
    return o;
}

char *audit_detail_decision(const struct registry *reg, const struct form *f)
{
    cJSON *o = form_ref(reg, f);
    cJSON_AddStringToObject(o, "decision", f->decision->count ? "count" : "reject");
    cJSON_AddStringToObject(o, "reason", f->decision->reason);
    return view_json(o);
}

char *audit_detail_amendment(const struct registry *reg, const struct form *f)
{
    cJSON *o = form_ref(reg, f);
    cJSON_AddStringToObject(o, "reason", f->amendment);
    cJSON_AddNumberToObject(o, "valid", f->counts.valid);
    cJSON_AddNumberToObject(o, "invalid", f->counts.invalid);
    cJSON_AddNumberToObject(o, "total", f->counts.total);
    return view_json(o);
}

int audit_agg_init(struct audit_agg *a, int cap, int64_t now_ms)
{
    memset(a, 0, sizeof *a);
    /* Room for the "*" bucket of each kind beyond cap. */
    a->buckets = xcalloc((size_t)cap + 4, sizeof *a->buckets);
    if (!a->buckets)
        return SU_NOMEM;
    a->cap = cap;
    a->window_start_ms = now_ms;
    strmap_init(&a->index);
    return SU_OK;
}

void audit_agg_free(struct audit_agg *a)
{
    free(a->buckets);
    strmap_free(&a->index);
    memset(a, 0, sizeof *a);
}

static struct audit_bucket *bucket(struct audit_agg *a, const char *kind, const char *source,
                                   const char *what)
{
    char key[sizeof a->buckets[0].key];
    snprintf(key, sizeof key, "%s|%s|%s", kind, source, what);
    struct audit_bucket *b = strmap_get(&a->index, key);
    if (b || a->n >= a->cap + 4)
        return b;
    b = &a->buckets[a->n];
    memcpy(b->key, key, sizeof key);
    if (strmap_put(&a->index, b->key, b) != SU_OK)
        return NULL;
    a->n++;
    b->kind = kind;
    snprintf(b->source, sizeof b->source, "%s", source);
    snprintf(b->what, sizeof b->what, "%s", what);
    b->count = 0;
    return b;
}

void audit_agg_count(struct audit_agg *a, const char *kind, const char *source, const char *what)
{
    char key[sizeof a->buckets[0].key];
    snprintf(key, sizeof key, "%s|%s|%s", kind, source, what);
    struct audit_bucket *b = strmap_get(&a->index, key);
    if (!b && a->n < a->cap)
        b = bucket(a, kind, source, what);
    if (!b) { /* full: everyone else shares one bucket per kind */
        b = bucket(a, kind, "*", "*");
        a->overflowed++;
    }
    if (b && b->count < UINT32_MAX)
        b->count++;
}

static struct audit_row *row_of(const struct audit_bucket *b, int64_t start_ms, int window_s)
{
    struct audit_row *r = xcalloc(1, sizeof *r);
    cJSON *o = cJSON_CreateObject();
    char from[40];
    clock_format_rfc3339(start_ms, from, sizeof from);
    cJSON_AddStringToObject(o, "source", b->source);
    if (b->what[0])
        cJSON_AddStringToObject(o, "what", b->what);
    cJSON_AddNumberToObject(o, "count", b->count);
    cJSON_AddStringToObject(o, "from", from);
    cJSON_AddNumberToObject(o, "window_s", window_s);
    if (!r || !(r->detail = view_json(o))) {
        free(r);
        return NULL;
    }
    r->kind = b->kind;
    r->at_ms = start_ms;
    /* Unique per event: the window's start and the bucket's key. */
    snprintf(r->ref, sizeof r->ref, "%lld|%s", (long long)start_ms, b->key);
    return r;
}

struct audit_row **audit_agg_flush(struct audit_agg *a, int64_t now_ms, int window_s, int *n_rows)
{
    struct audit_row **rows = NULL;
    *n_rows = 0;
    if (a->n > 0 && (rows = xcalloc((size_t)a->n, sizeof *rows))) {
        for (int i = 0; i < a->n; i++) {
            struct audit_row *r = row_of(&a->buckets[i], a->window_start_ms, window_s);
            if (r)
                rows[(*n_rows)++] = r;
        }
    }
    strmap_free(&a->index);
    strmap_init(&a->index);
    a->n = 0;
    a->window_start_ms = now_ms;
    return rows;
}
