/* See review_desk.h. Claims are an array sorted by form id: a desk has at
 * most a few hundred reviewers holding a few forms each, so a binary search
 * and a memmove are cheap, and expired claims are swept out when room is
 * needed. Requests only grow (like the ledger), so they hang off a strmap. */
#include "review_desk.h"
#include "core/err.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int review_desk_init(struct review_desk *d, int max_claims, int per_token_max, int64_t claim_ms)
{
    memset(d, 0, sizeof *d);
    d->claims = xcalloc((size_t)max_claims, sizeof *d->claims);
    d->max_claims = max_claims;
    d->per_token_max = per_token_max;
    d->claim_ms = claim_ms;
    d->next_request_id = 1;
    strmap_init(&d->requests);
    return SU_OK;
}

void review_desk_free(struct review_desk *d)
{
    free(d->claims);
    for (size_t i = 0; i < d->requests.cap; i++) {
        struct review_request *r = d->requests.slots[i].key ? d->requests.slots[i].value : NULL;
        while (r) {
            struct review_request *next = r->next;
            free(r->note);
            free(r);
            r = next;
        }
    }
    strmap_free(&d->requests);
    memset(d, 0, sizeof *d);
}

/* Index of the first claim with form_id >= id. */
static int claim_index(const struct review_desk *d, int64_t id)
{
    int lo = 0, hi = d->n_claims;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (d->claims[mid].form_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void sweep_expired(struct review_desk *d, int64_t now_ms)
{
    int kept = 0;
    for (int i = 0; i < d->n_claims; i++) {
        if (d->claims[i].expires_ms > now_ms)
            d->claims[kept++] = d->claims[i];
    }
    d->n_claims = kept;
}

static int claims_of_token(const struct review_desk *d, int32_t token_id, int64_t now_ms)
{
    int n = 0;
    for (int i = 0; i < d->n_claims; i++)
        n += d->claims[i].token_id == token_id && d->claims[i].expires_ms > now_ms;
    return n;
}

enum claim_result review_claim(struct review_desk *d, int64_t form_id, int32_t token_id,
                               int64_t now_ms, const struct review_claim **holder)
{
    int i = claim_index(d, form_id);
    struct review_claim *c =
        i < d->n_claims && d->claims[i].form_id == form_id ? &d->claims[i] : NULL;
    if (c && c->expires_ms > now_ms && c->token_id != token_id) {
        if (holder)
            *holder = c;
        return CLAIM_TAKEN;
    }
    bool renewing = c && c->expires_ms > now_ms;
    if (!renewing && claims_of_token(d, token_id, now_ms) >= d->per_token_max)
        return CLAIM_TOKEN_FULL;
    if (!c) {
        if (d->n_claims == d->max_claims) {
            sweep_expired(d, now_ms);
            if (d->n_claims == d->max_claims)
                return CLAIM_FULL;
            i = claim_index(d, form_id);
        }
        memmove(&d->claims[i + 1], &d->claims[i], (size_t)(d->n_claims - i) * sizeof *d->claims);
        d->n_claims++;
        c = &d->claims[i];
        c->form_id = form_id;
    }
    c->token_id = token_id;
    c->expires_ms = now_ms + d->claim_ms;
    if (holder)
        *holder = c;
    return CLAIM_OK;
}

static void remove_at(struct review_desk *d, int i)
{
    memmove(&d->claims[i], &d->claims[i + 1], (size_t)(d->n_claims - i - 1) * sizeof *d->claims);
    d->n_claims--;
}

bool review_release(struct review_desk *d, int64_t form_id, int32_t token_id, int64_t now_ms)
{
    int i = claim_index(d, form_id);
    if (i == d->n_claims || d->claims[i].form_id != form_id || d->claims[i].token_id != token_id ||
        d->claims[i].expires_ms <= now_ms)
        return false;
    remove_at(d, i);
    return true;
}

void review_forget(struct review_desk *d, int64_t form_id)
{
    int i = claim_index(d, form_id);
    if (i < d->n_claims && d->claims[i].form_id == form_id)
        remove_at(d, i);
}

const struct review_claim *review_claim_of(const struct review_desk *d, int64_t form_id,
                                           int64_t now_ms)
{
    int i = claim_index(d, form_id);
    if (i == d->n_claims || d->claims[i].form_id != form_id || d->claims[i].expires_ms <= now_ms)
        return NULL;
    return &d->claims[i];
}

static const char *const kind_names[] = {"photo", "recount"};

const char *review_request_kind_name(int kind)
{
    return kind >= 0 && kind <= REQUEST_RECOUNT ? kind_names[kind] : "unknown";
}

int review_request_kind_parse(const char *name)
{
    for (int k = 0; k <= REQUEST_RECOUNT; k++) {
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    }
    return -1;
}

const struct review_request *review_requests_of(const struct review_desk *d, int64_t form_id)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)form_id);
    return strmap_get(&d->requests, key);
}

int review_request_count(const struct review_desk *d, int64_t form_id)
{
    int n = 0;
    for (const struct review_request *r = review_requests_of(d, form_id); r; r = r->next)
        n++;
    return n;
}

int review_request_add(struct review_desk *d, int64_t id, int64_t form_id, int32_t token_id,
                       int kind, char *note, int64_t at_ms, struct review_request **out)
{
    if (review_request_count(d, form_id) >= REVIEW_REQUESTS_PER_FORM) {
        free(note);
        return SU_TOOBIG;
    }
    struct review_request *r = xcalloc(1, sizeof *r);
    r->id = id ? id : d->next_request_id;
    r->form_id = form_id;
    r->token_id = token_id;
    r->kind = (uint8_t)kind;
    r->note = note;
    r->at_ms = at_ms;
    snprintf(r->key, sizeof r->key, "%lld", (long long)form_id);
    r->next = strmap_get(&d->requests, r->key);
    if (strmap_put(&d->requests, r->key, r) != SU_OK) {
        free(r->note);
        free(r);
        return SU_NOMEM;
    }
    /* The old head's key may have been the one stored in the map: the map
     * now points at r, whose key is equal, so lookups keep working. */
    if (r->id >= d->next_request_id)
        d->next_request_id = r->id + 1;
    d->n_requests++;
    if (out)
        *out = r;
    return SU_OK;
}
