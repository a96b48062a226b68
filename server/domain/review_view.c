/* See review_view.h. */
#include "review_view.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>

static int by_token_id(const void *a, const void *b)
{
    int32_t x = (*(struct token *const *)a)->id, y = (*(struct token *const *)b)->id;
    return (x > y) - (x < y);
}

int token_names_init(struct token_names *t, const struct auth *a)
{
    t->n = a->n;
    t->by_id = a->n ? xmalloc((size_t)a->n * sizeof *t->by_id) : NULL;
    if (a->n) {
        memcpy(t->by_id, a->tokens, (size_t)a->n * sizeof *t->by_id);
        qsort(t->by_id, (size_t)a->n, sizeof *t->by_id, by_token_id);
    }
    return SU_OK;
}

void token_names_free(struct token_names *t)
{
    free(t->by_id);
    t->by_id = NULL;
    t->n = 0;
}

const char *token_names_get(const struct token_names *t, int32_t id)
{
    int lo = 0, hi = t->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (t->by_id[mid]->id == id)
            return t->by_id[mid]->name;
        if (t->by_id[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int64_t absdiff(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

int64_t review_difference(const struct ledger *l, const struct form *f)
{
    const struct slot *s = ledger_slot(l, f->contest, f->tps);
    const struct form *c = s && s->counted && s->counted->committed ? s->counted : NULL;
    int64_t d = 0;
    if (f->status == FS_DISPUTED && c && c != f) {
        for (int k = 0; k < f->n_votes && k < c->n_votes; k++)
            d += absdiff(f->votes[k], c->votes[k]);
        return d + absdiff(f->counts.invalid, c->counts.invalid);
    }
    int64_t sum = 0;
    for (int k = 0; k < f->n_votes; k++)
        sum += f->votes[k];
    return absdiff(sum, f->counts.valid) +
           absdiff((int64_t)f->counts.valid + f->counts.invalid, f->counts.total);
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char ts[40];
    clock_format_rfc3339(ms, ts, sizeof ts);
    cJSON_AddStringToObject(o, key, ts);
}

static void add_name(cJSON *o, const char *key, const char *name)
{
    if (name)
        cJSON_AddStringToObject(o, key, name);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *review_claim_json(const struct review_claim *c, const struct token_names *names)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "form_id", (double)c->form_id);
    cJSON_AddNumberToObject(o, "token_id", c->token_id);
    add_name(o, "name", token_names_get(names, c->token_id));
    add_time(o, "expires_at", c->expires_ms);
    return o;
}

cJSON *review_request_json(const struct review_request *r, const struct token_names *names)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddNumberToObject(o, "form_id", (double)r->form_id);
    cJSON_AddStringToObject(o, "kind", review_request_kind_name(r->kind));
    cJSON_AddStringToObject(o, "note", r->note);
    cJSON_AddNumberToObject(o, "token_id", r->token_id);
    add_name(o, "name", token_names_get(names, r->token_id));
    add_time(o, "requested_at", r->at_ms);
    return o;
}

cJSON *review_requests_json(const struct review_desk *d, int64_t form_id,
                            const struct token_names *names)
{
    cJSON *list = cJSON_CreateArray();
    for (const struct review_request *r = review_requests_of(d, form_id); r; r = r->next)
        cJSON_AddItemToArray(list, review_request_json(r, names));
    return list;
}

/* The name of the ancestor of `region` at `level`, or NULL. */
static const char *ancestor_name(const struct registry *reg, int32_t region, int level)
{
    for (int32_t p = region; p >= 0; p = reg->regions[p].parent) {
        if ((int)reg->regions[p].level == level)
            return reg->regions[p].name;
    }
    return NULL;
}

void review_annotate(cJSON *item, const struct form *f, void *ctx)
{
    const struct review_annotate_ctx *a = ctx;
    add_name(item, "desa", ancestor_name(a->reg, f->tps, LEVEL_DESA));
    add_name(item, "kecamatan", ancestor_name(a->reg, f->tps, LEVEL_KECAMATAN));
    add_name(item, "kabupaten", ancestor_name(a->reg, f->tps, LEVEL_KABUPATEN));
    add_name(item, "token_name", token_names_get(a->names, f->token_id));
    cJSON_AddNumberToObject(item, "difference", (double)review_difference(a->ledger, f));
    const struct review_claim *c = review_claim_of(a->desk, f->id, a->now_ms);
    if (c)
        cJSON_AddItemToObject(item, "claim", review_claim_json(c, a->names));
    else
        cJSON_AddNullToObject(item, "claim");
    cJSON_AddItemToObject(item, "requests", review_requests_json(a->desk, f->id, a->names));
}

char *review_requests_for_tps(const struct registry *reg, const struct ledger *l,
                              const struct review_desk *d, const struct auth *a, int32_t tps)
{
    struct token_names names;
    if (token_names_init(&names, a) != SU_OK)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tps", reg->regions[tps].code);
    cJSON *list = cJSON_AddArrayToObject(o, "requests");
    for (int c = 0; c < reg->n_contests; c++) {
        if (!region_contains(reg, reg->contests[c].region, tps))
            continue;
        const struct slot *s = ledger_slot(l, c, tps);
        for (const struct form *f = s ? s->first : NULL; f; f = f->next_in_slot) {
            for (const struct review_request *r = review_requests_of(d, f->id); r; r = r->next) {
                cJSON *item = review_request_json(r, &names);
                cJSON_AddStringToObject(item, "contest", reg->contests[c].id);
                cJSON_AddStringToObject(item, "form_status", form_status_name(f->status));
                cJSON_AddBoolToObject(item, "open", form_pending(f));
                cJSON_AddItemToArray(list, item);
            }
        }
    }
    token_names_free(&names);
    return view_json(o);
}
