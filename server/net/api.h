/* The HTTP API: routing and handlers for every path of the contract, over
 * the domain state. The app fills in struct api; net/web.c calls api_handle
 * for each complete request. */
#ifndef SUARA_NET_API_H
#define SUARA_NET_API_H

#include "core/config.h"
#include "domain/audit.h"
#include "domain/auth.h"
#include "domain/election.h"
#include "domain/ledger.h"
#include "domain/registry.h"
#include "domain/review_desk.h"
#include "domain/tally.h"
#include "http.h"

#include <stdbool.h>

struct timeline;

/* Where the API hands its writes: the ingest module (server/app_ingest.h),
 * wired by the app, since net/ does not depend on it. Each call takes over
 * what it is given and completes the waiter exactly once (after COMMIT, or at
 * once with 503 when it returns an error), so the handler then returns
 * ROUTE_PENDING whatever happened. */
struct api_ingest {
    int (*form)(void *ctx, struct form *f, struct waiter *w);
    int (*decision)(void *ctx, struct form *f, struct decision *d, struct waiter *w);
    int (*finalize)(void *ctx, struct final_req *fr, struct waiter *w);
    void (*resubmit)(void *ctx, struct form *f, struct waiter *w);
    void *ctx;
};
/* Stores a reviewer's request (the app owns r from here) and completes w
 * after COMMIT: 201 with the request, or 503. */
typedef void (*api_save_request_fn)(void *ctx, struct review_request *r, struct waiter *w);
/* Stores new witness tokens (the admin's cards; the app owns b from here)
 * and completes w after COMMIT: 201 with b->answer, or 503. */
typedef void (*api_save_tokens_fn)(void *ctx, struct token_batch *b, struct waiter *w);
/* Reads a page of the audit trail and completes w (see db/audit_read.h). */
typedef void (*api_audit_fn)(void *ctx, const char *kind, int64_t after, int limit,
                             struct waiter *w);

struct photos;

struct api {
    const struct config *cfg;
    const struct registry *reg; /* NULL until loaded */
    struct tallies *tallies;
    struct ledger *ledger;
    struct auth *auth;
    struct timeline *timeline; /* the desk's snapshots (domain/timeline.h) */
    bool db_up;
    bool draining; /* shutting down: no new writes */
    struct api_ingest ingest;
    const char *not_ready_reason;
    struct photos *photos;    /* net/photo.h */
    struct review_desk *desk; /* claims and requests of the review desk */
    api_save_request_fn save_request;
    api_save_tokens_fn save_tokens; /* set with save_request, same ctx */
    void *save_ctx;
    uint32_t epoch; /* random per process: no validator (ETag) outlives the process */
    const struct election *election; /* NULL until loaded */
    struct audit_agg *audit_agg;     /* auth_failed and export counts */
    api_audit_fn audit_query;
    void *audit_ctx;
    struct publog *log; /* the public log (domain/publog.h) */
};

/* Reads are public unless --private-reads; then any valid token may read.
 * False with the error (401, or 503 while loading) filled into rep. */
bool api_may_read(struct api *api, const struct http_request *req, struct http_reply *rep);

/* The request's token, or NULL with the 401 filled into rep. */
struct token *api_authenticate(struct api *api, const struct http_request *req,
                               struct http_reply *rep);
/* Shared with the API's other files (api_life.c). */
enum route_result api__reply_problems(struct http_reply *rep, int status, const char *code,
                                      const char *message, const struct form_problems *p);
/* Whether a write may be handed over now; false with the 503 in rep. */
bool api__may_write(struct api *api, struct http_reply *rep);
enum route_result api__method_not_allowed(struct http_reply *rep, const char *allow);

/* Public reads are cacheable (the contract's "Caching and scale"): sets the
 * reply's ETag (this process's epoch, version and extra: what the content
 * depends on, and the final regions) and Cache-Control (public for max_age
 * seconds, 1 or 30; private, no-store under --private-reads). True when the
 * request's If-None-Match names that ETag: the reply is then a 304, and the
 * caller encodes nothing. */
bool api_answer_from_cache(struct api *api, const struct http_request *req, struct http_reply *rep,
                           int max_age, int64_t version, int64_t extra);

enum route_result api_handle(struct api *api, struct http_request *req, struct http_reply *rep);

#endif
