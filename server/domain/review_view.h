/* JSON for the review desk: claims and requests, and what the review list
 * adds to each form (desa and kecamatan names, the witness's token name, the
 * size of the difference, the claim, the requests). Pure, no I/O. */
#ifndef SUARA_DOMAIN_REVIEW_VIEW_H
#define SUARA_DOMAIN_REVIEW_VIEW_H

#include "auth.h"
#include "ledger.h"
#include "registry.h"
#include "review_desk.h"

#include <cjson/cJSON.h>

/* Token names by id, for many lookups in one reply (tokens are held by
 * hash, so an id lookup would otherwise scan them all). */
struct token_names {
    struct token **by_id; /* sorted by id */
    int n;
};
int token_names_init(struct token_names *t, const struct auth *a);
void token_names_free(struct token_names *t);
/* The token's name, or NULL for a token not loaded (revoked). */
const char *token_names_get(const struct token_names *t, int32_t id);

/* How far a form is from agreeing: against the counted form of its TPS (a
 * dispute) the sum of |difference| over every pair's votes and the invalid
 * votes; otherwise its own arithmetic, |sum of votes - valid| +
 * |valid + invalid - total|. 0 when nothing differs. */
int64_t review_difference(const struct ledger *l, const struct form *f);

cJSON *review_claim_json(const struct review_claim *c, const struct token_names *names);
cJSON *review_request_json(const struct review_request *r, const struct token_names *names);
/* The requests of a form, newest first. */
cJSON *review_requests_json(const struct review_desk *d, int64_t form_id,
                            const struct token_names *names);

struct review_annotate_ctx {
    const struct registry *reg;
    const struct ledger *ledger;
    const struct review_desk *desk;
    const struct token_names *names;
    int64_t now_ms;
};
/* Adds the desk's fields to one review-list item (see view_review). */
void review_annotate(cJSON *item, const struct form *f, void *ctx);

/* {"tps", "requests": [...]} for every form of a TPS that has requests. */
char *review_requests_for_tps(const struct registry *reg, const struct ledger *l,
                              const struct review_desk *d, const struct auth *a, int32_t tps);

#endif
