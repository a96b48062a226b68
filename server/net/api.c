/* See api.h. Routes, in the order the contract lists them; every error has
 * the contract's body {"error": {"code", "message", "details"}}. */
#include "api.h"
#include "body.h"
#include "api_review.h"
#include "api_life.h"
#include "api_cards.h"
#include "api_search.h"
#include "api_log.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/metrics.h"
#include "core/utf8.h"
#include "desk_api.h"
#include "domain/view.h"
#include "photo.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/api/v1/"
#define API_LEN (sizeof API - 1)
#define DECISION_REASON_MAX 2000

/* ---- small helpers ---------------------------------------------------- */

static bool path_is(const char *path, const char *want)
{
    return strcmp(path, want) == 0;
}

/* If path starts with prefix, the rest; else NULL. */
static const char *after(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 ? path + n : NULL;
}

enum route_result api__method_not_allowed(struct http_reply *rep, const char *allow)
{
    http_reply_error(rep, 405, "method_not_allowed", "this path does not take that method");
    rep->allow = allow;
    return ROUTE_DONE;
}

static enum route_result not_found(struct http_reply *rep, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s", what);
    http_reply_error(rep, 404, "not_found", msg);
    return ROUTE_DONE;
}

static enum route_result unavailable(struct http_reply *rep, const char *code, const char *msg)
{
    http_reply_error(rep, 503, code, msg);
    rep->retry_after = 2;
    return ROUTE_DONE;
}

static enum route_result reply_text(struct http_reply *rep, int status, char *body,
                                    const char *content_type)
{
    http_reply_json(rep, status, body);
    rep->content_type = content_type;
    return ROUTE_DONE;
}

/* The token of the request, or NULL with a 401 reply filled in. */
struct token *api_authenticate(struct api *api, const struct http_request *req,
                               struct http_reply *rep)
{
    if (req->bad_auth_header) {
        http_reply_error(rep, 401, "bad_token", "the Authorization header must be 'Bearer TOKEN'");
        api_life_auth_failed(api, req);
        return NULL;
    }
    if (!req->has_bearer) {
        http_reply_error(rep, 401, "missing_token", "this needs an 'Authorization: Bearer' token");
        return NULL;
    }
    struct token *t = auth_lookup(api->auth, req->bearer, strlen(req->bearer));
    if (!t) {
        http_reply_error(rep, 401, "unknown_token", "the token is unknown or revoked");
        api_life_auth_failed(api, req);
    }
    return t;
}

bool api_may_read(struct api *api, const struct http_request *req, struct http_reply *rep)
{
    if (!api->cfg->private_reads)
        return true;
    if (!api->reg) { /* the tokens are not loaded yet */
        http_reply_error(rep, 503, "not_ready", "the server is still loading; retry shortly");
        rep->retry_after = 2;
        return false;
    }
    return api_authenticate(api, req, rep) != NULL;
}

static int32_t find_region(struct api *api, const char *code)
{
    return registry_find(api->reg, code, strlen(code));
}

static int find_contest(struct api *api, const char *id, size_t len)
{
    const struct contest *c = registry_contest(api->reg, id, len);
    return c ? c->index : -1;
}

/* ---- operations ------------------------------------------------------- */

static enum route_result get_readyz(struct api *api, struct http_reply *rep)
{
    cJSON *o = cJSON_CreateObject();
    bool ready = api->reg && api->db_up;
    cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
    /* Under --private-reads the body is the status alone: the form count and
     * seq tell the counting progress to anyone who asks. */
    if (!api->cfg->private_reads) {
        if (!ready)
            cJSON_AddStringToObject(o, "reason",
                                    api->not_ready_reason ? api->not_ready_reason : "starting");
        if (api->reg) {
            cJSON_AddNumberToObject(o, "forms", (double)api->ledger->n_forms);
            cJSON_AddNumberToObject(o, "seq", (double)api->tallies->seq);
        }
    }
    http_reply_json(rep, ready ? 200 : 503, view_json(o));
    if (!ready)
        rep->retry_after = 2;
    return ROUTE_DONE;
}

static enum route_result get_metrics(struct api *api, struct http_reply *rep)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    metrics_render(&out);
    if (api->photos)
        photos_render_metrics(api->photos, &out);
    return reply_text(rep, 200, buf_steal(&out, NULL), "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- reads ------------------------------------------------------------ */

/* Public reads are cacheable (the contract's "Caching and scale"): an ETag
 * built from this process's epoch and what the content depends on (a node's
 * seq, a TPS's newest form or decision, the final regions), public for max_age seconds, or
 * private and never stored under --private-reads. True when the client holds
 * the answer already: the reply is then a 304 and the caller encodes nothing. */
bool api_answer_from_cache(struct api *api, const struct http_request *req, struct http_reply *rep,
                           int max_age, int64_t version, int64_t extra)
{
    /* Finalising a region marks nodes final without a seq: every final counts. */
    snprintf(rep->etag, sizeof rep->etag, "\"%08x-%llx-%llx-%x\"", (unsigned)api->epoch,
             (unsigned long long)version, (unsigned long long)extra,
             (unsigned)api->ledger->finals.n);
    rep->cache_control = api->cfg->private_reads ? "private, no-store"
                         : max_age >= 30         ? "public, max-age=30"
                                                 : "public, max-age=1";
    if (!req->if_none_match[0] || !http_etag_matches(req->if_none_match, rep->etag))
        return false;
    rep->status = 304;
    rep->content_type = "application/json; charset=utf-8";
    return true;
}

/* What a TPS's page shows moves with its slots' newest commits (*version)
 * and with the photos of its own forms arriving (*photos): a photo of
 * another TPS leaves this page's ETag alone. */
static void tps_version(const struct api *api, int32_t tps, int64_t *version, int64_t *photos)
{
    *version = 0;
    *photos = 0;
    for (int c = 0; c < api->reg->n_contests; c++) {
        if (!region_contains(api->reg, api->reg->contests[c].region, tps))
            continue;
        const struct slot *s = ledger_slot(api->ledger, c, tps);
        if (s->seq > *version)
            *version = s->seq;
        *photos += s->photos_arrived;
    }
}

static enum route_result get_region(struct api *api, const struct http_request *req,
                                    const char *code, struct http_reply *rep)
{
    int32_t r = find_region(api, code);
    if (r < 0)
        return not_found(rep, "no region or TPS has this code");
    if (api_answer_from_cache(api, req, rep, 1, 0, 0)) /* fixed once loaded */
        return ROUTE_DONE;
    http_reply_json(rep, 200, view_region(api->reg, r));
    return ROUTE_DONE;
}

static enum route_result get_tally(struct api *api, const struct http_request *req,
                                   const char *rest, struct http_reply *rep)
{
    const char *slash = strchr(rest, '/');
    if (!slash || strchr(slash + 1, '/'))
        return not_found(rep, "use /api/v1/tally/{contest}/{region}");
    int c = find_contest(api, rest, (size_t)(slash - rest));
    if (c < 0)
        return not_found(rep, "no contest has this id");
    int32_t r = find_region(api, slash + 1);
    const struct tally_node *node = r < 0 ? NULL : tally_node(api->tallies, c, r);
    if (!node)
        return not_found(rep, "the region is unknown or outside the contest");
    if (api_answer_from_cache(api, req, rep, 1, node->seq, api->tallies->kpu_generation))
        return ROUTE_DONE;
    http_reply_json(rep, 200,
                    view_json(view_tally_node(NULL, api->tallies, c, r, VIEW_ALL_CHILDREN)));
    return ROUTE_DONE;
}

/* ?contest=C&before=REV: an older page of one contest's history (view.h).
 * False with the error in rep. */
static bool read_history_page(struct api *api, const struct http_request *req, int32_t tps,
                              int *contest, uint32_t *before, struct http_reply *rep)
{
    char id[CONTEST_ID_MAX + 1], rev[16];
    enum query_param qc = http_query_param(req->query, "contest", id, sizeof id);
    enum query_param qb = http_query_param(req->query, "before", rev, sizeof rev);
    if (qc == QUERY_ABSENT && qb == QUERY_ABSENT)
        return true;
    if (qc != QUERY_FOUND) {
        http_reply_error(rep, 400, "bad_before", "before must be given with contest");
        return false;
    }
    char *end = NULL;
    unsigned long n = qb == QUERY_FOUND ? strtoul(rev, &end, 10) : 0;
    if (qb != QUERY_FOUND || rev[0] < '0' || rev[0] > '9' || *end || n < 1 || n > UINT32_MAX) {
        http_reply_error(rep, 400, "bad_before", "before must be a revision, 1 or more");
        return false;
    }
    *contest = find_contest(api, id, strlen(id));
    if (*contest < 0 || !region_contains(api->reg, api->reg->contests[*contest].region, tps)) {
        not_found(rep, "no contest with this id covers the TPS");
        return false;
    }
    *before = (uint32_t)n;
    return true;
}

static enum route_result get_tps(struct api *api, const struct http_request *req, const char *code,
                                 struct http_reply *rep)
{
    int32_t r = find_region(api, code);
    if (r < 0 || api->reg->regions[r].level != LEVEL_TPS)
        return not_found(rep, "no TPS has this code");
    int contest = -1;
    uint32_t before = 0;
    if (!read_history_page(api, req, r, &contest, &before, rep))
        return ROUTE_DONE;
    int64_t version, photos;
    tps_version(api, r, &version, &photos);
    if (api_answer_from_cache(api, req, rep, 1, version, photos))
        return ROUTE_DONE;
    http_reply_json(rep, 200, view_tps_page(api->reg, api->ledger, r, contest, before));
    return ROUTE_DONE;
}

static enum route_result get_export(struct api *api, const struct http_request *req,
                                    const char *rest, struct http_reply *rep)
{
    size_t n = strlen(rest);
    if (n < 5 || strcmp(rest + n - 4, ".csv") != 0)
        return not_found(rep, "use /api/v1/export/{contest}.csv");
    int c = find_contest(api, rest, n - 4);
    if (c < 0)
        return not_found(rep, "no contest has this id");
    char level_name[16] = "desa";
    enum region_level level = LEVEL_NONE;
    if (http_query_param(req->query, "level", level_name, sizeof level_name) != QUERY_TOO_LONG)
        level = region_level_parse(level_name);
    if (level < LEVEL_KABUPATEN) {
        http_reply_error(rep, 400, "bad_level", "level must be kabupaten, kecamatan, desa or tps");
        return ROUTE_DONE;
    }
    int32_t root = api->tallies->contests[c].base;
    if (api_answer_from_cache(api, req, rep, 30, tally_node(api->tallies, c, root)->seq, level))
        return ROUTE_DONE;
    struct buf out;
    buf_init(&out, (size_t)1 << 30);
    api_life_tag_csv(api, &out);
    api_life_exported(api, req, c, level_name);
    if (view_export_csv(api->tallies, c, level, &out) != 0) {
        buf_free(&out);
        return unavailable(rep, "out_of_memory", "the export could not be built");
    }
    return reply_text(rep, 200, buf_steal(&out, NULL), "text/csv; charset=utf-8");
}

static enum route_result get_form(struct api *api, const char *id_text, struct http_reply *rep)
{
    char *end;
    long long id = strtoll(id_text, &end, 10);
    struct form *f = *end ? NULL : ledger_by_id(api->ledger, id);
    if (!f || !f->committed)
        return not_found(rep, "no form has this id");
    http_reply_json(rep, 200, view_json(view_form(api->reg, api->ledger, f)));
    return ROUTE_DONE;
}

/* ---- writes ----------------------------------------------------------- */

enum route_result api__reply_problems(struct http_reply *rep, int status, const char *code,
                                      const char *message, const struct form_problems *p)
{
    cJSON *details = cJSON_CreateArray();
    for (int i = 0; i < p->n; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "field", p->list[i].field);
        cJSON_AddStringToObject(d, "code", p->list[i].code);
        cJSON_AddItemToArray(details, d);
    }
    http_reply_json(rep, status, view_error(code, message, details));
    return ROUTE_DONE;
}

bool api__may_write(struct api *api, struct http_reply *rep)
{
    if (api->db_up && !api->draining)
        return true;
    g_metrics.forms_by_outcome[METRIC_OUTCOME_UNAVAILABLE_503]++;
    unavailable(rep, api->draining ? "shutting_down" : "storage_unavailable",
                "nothing was stored; retry later with the same submission_id");
    return false;
}

/* A retry of a known submission_id: the first answer again, or 409. */
static enum route_result resubmission(struct api *api, struct http_request *req, struct form *f,
                                      const struct form_input *in, const struct form_resolved *res,
                                      const struct token *t, struct http_reply *rep)
{
    if (!form_same_submission(f, in, res, t->id)) {
        g_metrics.forms_by_outcome[METRIC_OUTCOME_CONFLICT_409]++;
        http_reply_error(rep, 409, "submission_id_reused",
                         "this submission_id was used for a different form");
        return ROUTE_DONE;
    }
    g_metrics.forms_by_outcome[METRIC_OUTCOME_DUPLICATE]++;
    api->ingest.resubmit(api->ingest.ctx, f, http_defer(req));
    return ROUTE_PENDING;
}

static enum route_result post_form(struct api *api, struct http_request *req,
                                   struct http_reply *rep)
{
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    struct form_input in;
    struct form_problems problems = {0};
    enum form_decode_result d = form_decode(req->body, req->body_len, &in, &problems);
    if (d == FORM_MALFORMED) {
        http_reply_error(rep, 400, "malformed_json", "the body is not a JSON object");
        return ROUTE_DONE;
    }
    struct form_resolved res;
    if (d == FORM_INVALID || !form_resolve(api->reg, &in, &res, &problems)) {
        g_metrics.forms_by_outcome[METRIC_OUTCOME_REJECTED_422]++;
        return api__reply_problems(rep, 422, "invalid_form", "the form breaks the structural rules",
                                   &problems);
    }
    if (!auth_can_submit(api->reg, t, res.tps)) {
        http_reply_error(rep, 403, "forbidden", "this token may not submit forms for this TPS");
        return ROUTE_DONE;
    }
    struct form *known = ledger_by_submission(api->ledger, in.submission_id);
    if (known)
        return resubmission(api, req, known, &in, &res, t, rep);
    if (!api_life_form_allowed(api, t, &in, &res, rep))
        return ROUTE_DONE;
    if (ledger_forms_by_token(ledger_slot(api->ledger, res.contest->index, res.tps), t->id) >=
        (uint32_t)api->cfg->forms_per_tps) {
        http_reply_error(rep, 429, "too_many_forms",
                         "this token has stored the most forms allowed for this TPS and contest");
        return ROUTE_DONE;
    }
    if (!auth_rate_take(t, req->received_ms, api->cfg->rate_per_minute)) {
        http_reply_error(rep, 429, "rate_limited", "too many forms from this token; slow down");
        rep->retry_after = 60;
        return ROUTE_DONE;
    }
    if (!api__may_write(api, rep))
        return ROUTE_DONE;
    uint32_t checks = form_checks(&in.counts, res.votes, res.contest->n_candidates,
                                  api->reg->regions[res.tps].dpt);
    struct form *f = form_new(&in, &res, checks, t->id, req->received_ms);
    api->ingest.form(api->ingest.ctx, f, http_defer(req));
    return ROUTE_PENDING;
}

static bool decision_valid(const char *d)
{
    return strcmp(d, "count") == 0 || strcmp(d, "reject") == 0;
}

static bool parse_decision(const struct http_request *req, bool *count, char **reason,
                           struct form_problems *p)
{
    struct body_member m[] = {
        {.name = "decision", .valid = decision_valid},
        {.name = "reason", .max = DECISION_REASON_MAX, .text = true},
    };
    cJSON *root = body_members(req, m, 2, p);
    if (!root)
        return false;
    if (p->n == 0) {
        *count = strcmp(m[0].value, "count") == 0;
        *reason = xstrdup(m[1].value);
    }
    cJSON_Delete(root);
    return true;
}

static enum route_result post_decision(struct api *api, struct http_request *req,
                                       const char *id_text, struct http_reply *rep)
{
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    char *end;
    long long id = strtoll(id_text, &end, 10);
    struct form *f = strcmp(end, "/decision") == 0 ? ledger_by_id(api->ledger, id) : NULL;
    if (!f || !f->committed)
        return not_found(rep, "no form has this id");
    if (!auth_can_review(api->reg, t, f->tps)) {
        http_reply_error(rep, 403, "forbidden", "this token may not review forms of this TPS");
        return ROUTE_DONE;
    }
    bool count = false;
    char *reason = NULL;
    struct form_problems problems = {0};
    if (!parse_decision(req, &count, &reason, &problems)) {
        http_reply_error(rep, 400, "malformed_json", "the body is not a JSON object");
        return ROUTE_DONE;
    }
    if (problems.n)
        return api__reply_problems(rep, 422, "invalid_decision", "the decision is not valid",
                                   &problems);
    if (!form_pending(f)) {
        free(reason);
        http_reply_error(rep, 409, "not_pending", "the form is not waiting for review");
        return ROUTE_DONE;
    }
    if (!api_review_may_decide(api, f, t, rep) || !api_life_decision_allowed(api, f, rep)) {
        free(reason);
        return ROUTE_DONE;
    }
    if (!api__may_write(api, rep)) {
        free(reason);
        return ROUTE_DONE;
    }
    struct decision *dec = xcalloc(1, sizeof *dec);
    dec->count = count;
    dec->reason = reason;
    dec->token_id = t->id;
    dec->decided_ms = req->received_ms;
    api->ingest.decision(api->ingest.ctx, f, dec, http_defer(req));
    return ROUTE_PENDING;
}

static enum route_result get_review(struct api *api, const struct http_request *req,
                                    struct http_reply *rep)
{
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    char contest_id[CONTEST_ID_MAX + 1] = "", region_code[32] = "";
    enum query_param qc = http_query_param(req->query, "contest", contest_id, sizeof contest_id);
    enum query_param qr = http_query_param(req->query, "region", region_code, sizeof region_code);
    int c = -1;
    if (qc == QUERY_TOO_LONG ||
        (*contest_id && (c = find_contest(api, contest_id, strlen(contest_id))) < 0))
        return not_found(rep, "no contest has this id");
    int32_t r = qr == QUERY_TOO_LONG ? -1
                : qr == QUERY_FOUND  ? find_region(api, region_code)
                                     : t->scope;
    if (r < 0)
        return not_found(rep, "no region has this code");
    if (!auth_can_review(api->reg, t, r)) {
        http_reply_error(rep, 403, "forbidden", "this token may not review this region");
        return ROUTE_DONE;
    }
    char *body = api_review_list(api, c, r);
    if (!body)
        return unavailable(rep, "out_of_memory", "the list could not be built");
    http_reply_json(rep, 200, body);
    return ROUTE_DONE;
}

/* What the bearer's token may do, so a client can check a token and limit
 * its choices (the witness page offers only TPS inside the scope). */
static enum route_result get_whoami(struct api *api, const struct http_request *req,
                                    struct http_reply *rep)
{
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    const struct region *scope = &api->reg->regions[t->scope];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "token_id", t->id);
    cJSON_AddStringToObject(o, "role", auth_role_name(t->role));
    cJSON_AddStringToObject(o, "scope", scope->code);
    cJSON_AddStringToObject(o, "scope_name", scope->name);
    cJSON_AddStringToObject(o, "scope_level", region_level_name(scope->level));
    cJSON_AddStringToObject(o, "name", t->name);
    /* A one-TPS token's TPS as GET /regions/{code} answers it: the witness
     * page then needs no second round trip before it shows the form. */
    if (scope->level == LEVEL_TPS)
        cJSON_AddItemToObject(o, "region", view_region_object(api->reg, t->scope));
    http_reply_json(rep, 200, view_json(o));
    return ROUTE_DONE;
}

/* ---- routing ---------------------------------------------------------- */

static enum route_result route_forms(struct api *api, struct http_request *req, const char *rest,
                                     struct http_reply *rep)
{
    if (!*rest) {
        if (req->method != HTTP_POST)
            return api__method_not_allowed(rep, "POST");
        return post_form(api, req, rep);
    }
    if (strstr(rest, "/claim") || strstr(rest, "/request"))
        return api_review_form(api, req, rest, rep);
    if (strstr(rest, "/decision")) {
        if (req->method != HTTP_POST)
            return api__method_not_allowed(rep, "POST");
        return post_decision(api, req, rest, rep);
    }
    if (req->method != HTTP_GET)
        return api__method_not_allowed(rep, "GET");
    if (!api_may_read(api, req, rep))
        return ROUTE_DONE;
    enum route_result r = get_form(api, rest, rep);
    api_life_tag(api, rep);
    return r;
}

static enum route_result route_reads(struct api *api, struct http_request *req, const char *p,
                                     struct http_reply *rep)
{
    const char *rest;
    if (desk_api_is_read_path(p))
        return desk_api_read(api, req, p, rep);
    if (path_is(p, "contests")) {
        if (!api_answer_from_cache(api, req, rep, 1, 0, 0))
            http_reply_json(rep, 200, view_contests(api->reg));
        return ROUTE_DONE;
    }
    if ((rest = after(p, "regions/")))
        return get_region(api, req, rest, rep);
    if ((rest = after(p, "tally/")))
        return get_tally(api, req, rest, rep);
    if ((rest = after(p, "tps/")))
        return get_tps(api, req, rest, rep);
    if ((rest = after(p, "export/")))
        return get_export(api, req, rest, rep);
    if (path_is(p, "requests"))
        return api_review_requests(api, req, rep);
    if (path_is(p, "search"))
        return api_search(api, req, rep);
    if (path_is(p, "log/head")) {
        http_reply_json(rep, 200, view_log_head(api->ledger));
        return ROUTE_DONE;
    }
    if ((rest = after(p, "log/")))
        return api_log_get(api, req, rest, rep);
    return not_found(rep, "no such API path");
}

static bool is_read_path(const char *p)
{
    return path_is(p, "contests") || after(p, "regions/") || after(p, "tally/") ||
           after(p, "tps/") || after(p, "export/") || after(p, "log/") ||
           desk_api_is_read_path(p) || path_is(p, "requests") || path_is(p, "search");
}

static enum route_result route_api(struct api *api, struct http_request *req, const char *p,
                                   struct http_reply *rep)
{
    if (!api->reg)
        return unavailable(rep, "not_ready", "the server is still loading; retry shortly");
    const char *rest;
    if ((rest = after(p, "forms")) && (!*rest || *rest == '/'))
        return route_forms(api, req, *rest ? rest + 1 : rest, rep);
    if (path_is(p, "review")) {
        if (req->method != HTTP_GET)
            return api__method_not_allowed(rep, "GET");
        enum route_result r = get_review(api, req, rep);
        api_life_tag(api, rep);
        return r;
    }
    if (path_is(p, "live"))
        return api__method_not_allowed(rep, "GET"); /* only as a WebSocket upgrade */
    if ((rest = after(p, "photos/"))) {
        if (req->method != HTTP_GET) /* a PUT is taken before its body (web.c) */
            return api__method_not_allowed(rep, "GET, HEAD, PUT");
        if (!api_may_read(api, req, rep))
            return ROUTE_DONE;
        return photos_get(api->photos, req, rest, rep);
    }
    if (path_is(p, "tokens/cards"))
        return api_cards_post(api, req, rep);
    if (path_is(p, "whoami"))
        return req->method == HTTP_GET ? get_whoami(api, req, rep)
                                       : api__method_not_allowed(rep, "GET");
    enum route_result life;
    if (api_life_route(api, req, p, rep, &life))
        return life;
    if (!is_read_path(p))
        return not_found(rep, "no such API path");
    if (req->method != HTTP_GET)
        return api__method_not_allowed(rep, "GET");
    if (!api_may_read(api, req, rep))
        return ROUTE_DONE;
    enum route_result r = route_reads(api, req, p, rep);
    api_life_tag(api, rep);
    return r;
}

/* /metrics shows the counting progress and the disputes: on --metrics-listen
 * (the operator's network) it is the only path; without it, it is a read like
 * any other (a token under --private-reads). */
static enum route_result route_metrics(struct api *api, struct http_request *req,
                                       struct http_reply *rep)
{
    bool is_metrics = path_is(req->path, "/metrics");
    if (req->metrics_port) {
        if (!is_metrics)
            return not_found(rep, "this address serves /metrics only");
    } else if (api->cfg->metrics_listen) {
        return not_found(rep, "metrics are served on the --metrics-listen address");
    }
    if (req->method != HTTP_GET)
        return api__method_not_allowed(rep, "GET");
    if (!req->metrics_port && !api_may_read(api, req, rep))
        return ROUTE_DONE;
    return get_metrics(api, rep);
}

enum route_result api_handle(struct api *api, struct http_request *req, struct http_reply *rep)
{
    const char *p = req->path;
    if (req->metrics_port || path_is(p, "/metrics"))
        return route_metrics(api, req, rep);
    if (req->query_too_long) {
        http_reply_error(rep, 414, "uri_too_long", "the query string is too long");
        return ROUTE_DONE;
    }
    if (path_is(p, "/healthz") || path_is(p, "/readyz")) {
        if (req->method != HTTP_GET)
            return api__method_not_allowed(rep, "GET");
        if (path_is(p, "/healthz")) {
            http_reply_json(rep, 200, xstrdup("{\"status\":\"ok\"}"));
            return ROUTE_DONE;
        }
        return get_readyz(api, rep);
    }
    if (strncmp(p, API, API_LEN) == 0)
        return route_api(api, req, p + API_LEN, rep);
    if (strncmp(p, "/api", 4) == 0 && (p[4] == '/' || p[4] == '\0'))
        return not_found(rep, "no such API path");
    if (req->method != HTTP_GET && req->method != HTTP_HEAD)
        return api__method_not_allowed(rep, "GET");
    return ROUTE_STATIC;
}
