/* The review desk's own state, beside the ledger: claims and requests.
 *
 * A claim says "this reviewer is looking at this form", so two reviewers
 * working the same queue do not decide the same form: it is held by one
 * token, expires by itself (a reviewer who walks away frees the form), and
 * the number of claims is bounded in all and per token. Claims live only in
 * memory; a restart frees them all, which is harmless.
 *
 * A request is the reviewer's third answer besides count and reject: ask the
 * witness for a new photo of the plano ("photo") or for a recount note
 * ("recount"). It leaves the form held; the witness sees it on the form (TPS
 * page, form read). Requests are stored in PostgreSQL (db/review_store.c)
 * and loaded at start; this module only keeps them. Pure logic, no I/O. */
#ifndef SUARA_DOMAIN_REVIEW_DESK_H
#define SUARA_DOMAIN_REVIEW_DESK_H

#include "core/strmap.h"

#include <stdbool.h>
#include <stdint.h>

#define REVIEW_NOTE_MAX 2000
#define REVIEW_REQUESTS_PER_FORM 8

struct review_claim {
    int64_t form_id;
    int64_t expires_ms;
    int32_t token_id;
};

enum review_request_kind { REQUEST_PHOTO, REQUEST_RECOUNT };

struct review_request {
    struct review_request *next; /* older requests of the same form */
    int64_t id;
    int64_t form_id;
    int64_t at_ms;
    int32_t token_id;
    uint8_t kind;
    char *note;
    char key[24]; /* the form id as text, the map's key */
};

struct review_desk {
    struct review_claim *claims; /* sorted by form_id, live and expired */
    int n_claims, max_claims, per_token_max;
    int64_t claim_ms;
    struct strmap requests; /* form id text -> newest struct review_request */
    int64_t next_request_id;
    int64_t n_requests;
};

enum claim_result { CLAIM_OK, CLAIM_TAKEN, CLAIM_FULL, CLAIM_TOKEN_FULL };

int review_desk_init(struct review_desk *d, int max_claims, int per_token_max, int64_t claim_ms);
void review_desk_free(struct review_desk *d);

/* Claims form_id for token_id until now + claim_ms; a claim of the same token
 * is renewed. CLAIM_TAKEN: another token holds it (*holder is that claim). */
enum claim_result review_claim(struct review_desk *d, int64_t form_id, int32_t token_id,
                               int64_t now_ms, const struct review_claim **holder);
/* Releases the claim if token_id holds it; false otherwise. */
bool review_release(struct review_desk *d, int64_t form_id, int32_t token_id, int64_t now_ms);
/* Drops any claim on the form (it was decided). */
void review_forget(struct review_desk *d, int64_t form_id);
/* The live claim on a form, or NULL. */
const struct review_claim *review_claim_of(const struct review_desk *d, int64_t form_id,
                                           int64_t now_ms);

const char *review_request_kind_name(int kind);
int review_request_kind_parse(const char *name);
/* Adds a request (takes ownership of note). SU_OK, SU_TOOBIG when the form
 * has REVIEW_REQUESTS_PER_FORM already, SU_NOMEM. An id of 0 takes the next
 * one; loading passes the stored id. */
int review_request_add(struct review_desk *d, int64_t id, int64_t form_id, int32_t token_id,
                       int kind, char *note, int64_t at_ms, struct review_request **out);
/* The newest request of a form (older ones follow ->next), or NULL. */
const struct review_request *review_requests_of(const struct review_desk *d, int64_t form_id);
int review_request_count(const struct review_desk *d, int64_t form_id);

#endif
