/* See api_review.h. Claims answer at once (memory only); a request is
 * answered 201 after its INSERT commits, through api->save_request. */
#include "api_review.h"
#include "body.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "domain/review_view.h"
#include "domain/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum route_result fail(struct http_reply *rep, int status, const char *code, const char *msg)
{
    http_reply_error(rep, status, code, msg);
    return ROUTE_DONE;
}

/* The 409 for a form another reviewer holds, naming who and until when. */
static enum route_result claimed_by_other(struct api *api, const struct review_claim *c,
                                          struct http_reply *rep)
{
    struct token_names names;
    if (token_names_init(&names, api->auth) != SU_OK)
        return fail(rep, 503, "out_of_memory", "retry later");
    cJSON *details = cJSON_CreateArray();
    cJSON_AddItemToArray(details, review_claim_json(c, &names));
    token_names_free(&names);
    http_reply_json(rep, 409,
                    view_error("claimed", "another reviewer is working on this form", details));
    return ROUTE_DONE;
}

static enum route_result reply_claim(struct api *api, const struct review_claim *c,
                                     struct http_reply *rep)
{
    struct token_names names;
    if (token_names_init(&names, api->auth) != SU_OK)
        return fail(rep, 503, "out_of_memory", "retry later");
    http_reply_json(rep, 200, view_json(review_claim_json(c, &names)));
    token_names_free(&names);
    return ROUTE_DONE;
}

static enum route_result post_claim(struct api *api, const struct token *t, const struct form *f,
                                    int64_t now, struct http_reply *rep)
{
    const struct review_claim *c = NULL;
    switch (review_claim(api->desk, f->id, t->id, now, &c)) {
    case CLAIM_OK:
        return reply_claim(api, c, rep);
    case CLAIM_TAKEN:
        return claimed_by_other(api, c, rep);
    case CLAIM_TOKEN_FULL:
        return fail(rep, 429, "too_many_claims",
                    "this token holds as many claims as it may; decide or release one");
    case CLAIM_FULL:
    default:
        return fail(rep, 503, "claims_full", "the server holds as many claims as it may");
    }
}

static enum route_result delete_claim(struct api *api, const struct token *t, const struct form *f,
                                      int64_t now, struct http_reply *rep)
{
    if (!review_release(api->desk, f->id, t->id, now))
        return fail(rep, 409, "not_claimed", "this token holds no claim on this form");
    http_reply_json(rep, 200, xstrdup("{\"released\":true}"));
    return ROUTE_DONE;
}

static bool kind_valid(const char *kind)
{
    return review_request_kind_parse(kind) >= 0;
}

/* {"kind": "photo"|"recount", "note": "text"}; false for a body that is not
 * an object, problems for the rest. */
static bool parse_request(const struct http_request *req, int *kind, char **note,
                          struct form_problems *p)
{
    struct body_member m[] = {
        {.name = "kind", .valid = kind_valid},
        {.name = "note", .max = REVIEW_NOTE_MAX, .text = true},
    };
    cJSON *root = body_members(req, m, 2, p);
    if (!root)
        return false;
    if (p->n == 0) {
        *kind = review_request_kind_parse(m[0].value);
        *note = xstrdup(m[1].value);
    }
    cJSON_Delete(root);
    return true;
}

static enum route_result post_request(struct api *api, struct http_request *req,
                                      const struct token *t, const struct form *f, int64_t now,
                                      struct http_reply *rep)
{
    int kind = 0;
    char *note = NULL;
    struct form_problems problems = {0};
    if (!parse_request(req, &kind, &note, &problems))
        return fail(rep, 400, "malformed_json", "the body is not a JSON object");
    if (problems.n)
        return api__reply_problems(rep, 422, "invalid_request", "the request is not valid",
                                   &problems);
    if (review_request_count(api->desk, f->id) >= REVIEW_REQUESTS_PER_FORM) {
        free(note);
        return fail(rep, 409, "too_many_requests", "this form has as many requests as it may");
    }
    if (!api->db_up || api->draining || !api->save_request) {
        free(note);
        http_reply_error(rep, 503, "storage_unavailable", "nothing was stored; retry later");
        rep->retry_after = 2;
        return ROUTE_DONE;
    }
    struct review_request *r = xcalloc(1, sizeof *r);
    struct waiter *w = http_defer(req);
    if (!w) {
        free(r), free(note);
        return fail(rep, 503, "out_of_memory", "retry later");
    }
    r->id = api->desk->next_request_id++;
    r->form_id = f->id;
    r->token_id = t->id;
    r->kind = (uint8_t)kind;
    r->note = note;
    r->at_ms = now;
    w->ok_status = 201;
    w->deadline_ms = req->mono_ms + api->cfg->ack_timeout_ms;
    api->save_request(api->save_ctx, r, w);
    return ROUTE_PENDING;
}

enum route_result api_review_form(struct api *api, struct http_request *req, const char *rest,
                                  struct http_reply *rep)
{
    char *end;
    long long id = strtoll(rest, &end, 10);
    bool is_claim = strcmp(end, "/claim") == 0, is_request = strcmp(end, "/request") == 0;
    if (end == rest || (!is_claim && !is_request))
        return fail(rep, 404, "not_found", "no such API path");
    if (is_request && req->method != HTTP_POST)
        return api__method_not_allowed(rep, "POST");
    if (is_claim && req->method != HTTP_POST && req->method != HTTP_DELETE)
        return api__method_not_allowed(rep, "POST, DELETE");
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    struct form *f = ledger_by_id(api->ledger, id);
    if (!f || !f->committed)
        return fail(rep, 404, "not_found", "no form has this id");
    if (!auth_can_review(api->reg, t, f->tps))
        return fail(rep, 403, "forbidden", "this token may not review forms of this TPS");
    int64_t now = clock_now_ms();
    if (is_claim && req->method == HTTP_DELETE)
        return delete_claim(api, t, f, now, rep);
    if (!form_pending(f))
        return fail(rep, 409, "not_pending", "the form is not waiting for review");
    const struct review_claim *c = review_claim_of(api->desk, f->id, now);
    if (c && c->token_id != t->id && is_request)
        return claimed_by_other(api, c, rep);
    return is_claim ? post_claim(api, t, f, now, rep) : post_request(api, req, t, f, now, rep);
}

enum route_result api_review_requests(struct api *api, const struct http_request *req,
                                      struct http_reply *rep)
{
    char code[32] = "";
    if (http_query_param(req->query, "tps", code, sizeof code) != QUERY_FOUND)
        return fail(rep, 400, "bad_tps", "give the TPS code: /api/v1/requests?tps=CODE");
    int32_t r = registry_find(api->reg, code, strlen(code));
    if (r < 0 || api->reg->regions[r].level != LEVEL_TPS)
        return fail(rep, 404, "not_found", "no TPS has this code");
    char *body = review_requests_for_tps(api->reg, api->ledger, api->desk, api->auth, r);
    if (!body)
        return fail(rep, 503, "out_of_memory", "retry later");
    http_reply_json(rep, 200, body);
    return ROUTE_DONE;
}

char *api_review_list(struct api *api, int contest, int32_t region)
{
    struct token_names names;
    if (token_names_init(&names, api->auth) != SU_OK)
        return NULL;
    struct review_annotate_ctx ctx = {api->reg, api->ledger, api->desk, &names, clock_now_ms()};
    char *body = view_review(api->reg, api->ledger, contest, region, review_annotate, &ctx);
    token_names_free(&names);
    return body;
}

bool api_review_may_decide(struct api *api, const struct form *f, const struct token *t,
                           struct http_reply *rep)
{
    const struct review_claim *c = review_claim_of(api->desk, f->id, clock_now_ms());
    if (c && c->token_id != t->id) {
        claimed_by_other(api, c, rep);
        return false;
    }
    review_forget(api->desk, f->id);
    return true;
}
