/* See api_life.h. The election's life over HTTP: GET /api/v1/status, POST
 * /api/v1/contests/{id}/finalize, GET /api/v1/audit, the mode on every read,
 * the region_final rule on forms and decisions, and the counting of the
 * events a stranger can repeat (auth_failed, export) for the audit trail. */
#include "api_life.h"
#include "body.h"
#include "core/mem.h"
#include "core/clock.h"
#include "domain/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

static const char *mode_name(const struct api *api)
{
    return election_mode_name(api->election ? api->election->mode : MODE_TEST);
}

/* ---- the mode on every read ------------------------------------------------ */

void api_life_tag(const struct api *api, struct http_reply *rep)
{
    rep->mode = mode_name(api);
    if (rep->status != 200 || !rep->body || rep->body[0] != '{')
        return;
    const char *mode = mode_name(api);
    bool empty = rep->body[1] == '}';
    size_t len = rep->len + strlen(mode) + 16;
    char *tagged = xmalloc(len + 1);
    if (!tagged)
        return; /* the read still goes out, only without its tag */
    int n =
        snprintf(tagged, len + 1, "{\"mode\":\"%s\"%s%s", mode, empty ? "" : ",", rep->body + 1);
    free(rep->body);
    rep->body = tagged;
    rep->len = (size_t)n;
}

void api_life_tag_csv(const struct api *api, struct buf *out)
{
    if (!api->election || api->election->mode == MODE_TEST)
        buf_puts(out, "# mode: test (SIMULASI: a rehearsal, not the real count)\r\n");
}

void api_life_tag_live(const struct api *api, cJSON *message)
{
    cJSON_AddStringToObject(message, "mode", mode_name(api));
}

/* ---- the audit's aggregated events ---------------------------------------- */

void api_life_auth_failed(struct api *api, const struct http_request *req)
{
    if (api->audit_agg)
        audit_agg_count(api->audit_agg, "auth_failed", req->peer[0] ? req->peer : "?", "");
}

void api_life_exported(struct api *api, const struct http_request *req, int contest,
                       const char *level)
{
    if (!api->audit_agg)
        return;
    char what[AUDIT_WHAT_MAX];
    snprintf(what, sizeof what, "%s %s", api->reg->contests[contest].id, level);
    audit_agg_count(api->audit_agg, "export", req->peer[0] ? req->peer : "?", what);
}

/* ---- the region_final rule -------------------------------------------------- */

bool api_life_form_allowed(struct api *api, const struct token *t, const struct form_input *in,
                           const struct form_resolved *res, struct http_reply *rep)
{
    if (in->has_amendment) {
        if (t->role != ROLE_ADMIN) {
            http_reply_error(rep, 403, "amendment_needs_admin",
                             "only an admin token may send an amendment");
            return false;
        }
        return true;
    }
    if (finals_covers(api->tallies, res->contest->index, res->tps)) {
        http_reply_error(rep, 409, "region_final",
                         "the result of this region is final; only an admin's amendment can "
                         "change it");
        return false;
    }
    return true;
}

bool api_life_decision_allowed(struct api *api, const struct form *f, struct http_reply *rep)
{
    if (!finals_covers(api->tallies, f->contest, f->tps))
        return true;
    http_reply_error(rep, 409, "region_final",
                     "the result of this region is final; reviewers can no longer decide here");
    return false;
}

/* ---- GET /api/v1/status ----------------------------------------------------- */

static enum route_result get_status(struct api *api, struct http_reply *rep)
{
    const struct registry *reg = api->reg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", mode_name(api));
    /* Where the web client reads the live feed: nchan edges (--live-url),
     * or null for this server's own /api/v1/live. */
    if (api->cfg->live_url)
        cJSON_AddStringToObject(o, "live_url", api->cfg->live_url);
    else
        cJSON_AddNullToObject(o, "live_url");
    /* --live-listen: this server's own feed, from its live thread, on that
     * port of the same host (ws:, /api/v1/live); null: on this port. */
    if (api->cfg->live_listen)
        cJSON_AddNumberToObject(o, "live_port", api->cfg->live_port);
    else
        cJSON_AddNullToObject(o, "live_port");
    cJSON *finals = cJSON_AddArrayToObject(o, "final");
    const struct finals *fl = &api->ledger->finals;
    for (int i = 0; i < fl->n; i++) {
        cJSON *f = cJSON_CreateObject();
        char at[40];
        clock_format_rfc3339(fl->list[i].at_ms, at, sizeof at);
        cJSON_AddStringToObject(f, "contest", reg->contests[fl->list[i].contest].id);
        cJSON_AddStringToObject(f, "region", reg->regions[fl->list[i].region].code);
        cJSON_AddStringToObject(f, "at", at);
        cJSON_AddItemToArray(finals, f);
    }
    char *head = view_log_head(api->ledger);
    cJSON *log = head ? cJSON_Parse(head) : NULL;
    free(head);
    cJSON_AddItemToObject(o, "log", log ? log : cJSON_CreateObject());
    http_reply_json(rep, 200, view_json(o));
    rep->mode = mode_name(api);
    return ROUTE_DONE;
}

/* ---- POST /api/v1/contests/{id}/finalize -------------------------------------- */

static struct token *admin_token(struct api *api, const struct http_request *req,
                                 struct http_reply *rep)
{
    struct token *t = api_authenticate(api, req, rep);
    if (t && t->role != ROLE_ADMIN) {
        http_reply_error(rep, 403, "forbidden", "this needs an admin token");
        return NULL;
    }
    return t;
}

/* {"region": CODE, "reason": TEXT} and nothing else. False: not a JSON object. */
static bool parse_finalize(const struct http_request *req, char *region, size_t region_size,
                           char **reason, struct form_problems *p)
{
    struct body_member m[] = {
        {.name = "region", .max = region_size - 1, .long_code = "bad_format"},
        {.name = "reason", .max = ELECTION_REASON_MAX, .text = true},
    };
    cJSON *root = body_members(req, m, 2, p);
    if (!root)
        return false;
    if (p->n == 0) {
        snprintf(region, region_size, "%s", m[0].value);
        *reason = xstrdup(m[1].value);
    }
    cJSON_Delete(root);
    return true;
}

static cJSON *region_item(const struct registry *reg, int32_t r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "region", reg->regions[r].code);
    cJSON_AddStringToObject(o, "name", reg->regions[r].name);
    cJSON_AddStringToObject(o, "level", region_level_name(reg->regions[r].level));
    return o;
}

/* The 200 body (also the audit event's detail): what became final, and the
 * regions directly below that were not final yet (allowed, but said). */
static char *finalize_answer(struct api *api, const struct final_req *fr)
{
    const struct registry *reg = api->reg;
    cJSON *o = cJSON_CreateObject();
    char at[40];
    clock_format_rfc3339(fr->at_ms, at, sizeof at);
    cJSON_AddStringToObject(o, "contest", reg->contests[fr->contest].id);
    cJSON_AddStringToObject(o, "region", reg->regions[fr->region].code);
    cJSON_AddStringToObject(o, "name", reg->regions[fr->region].name);
    cJSON_AddStringToObject(o, "level", region_level_name(reg->regions[fr->region].level));
    cJSON_AddBoolToObject(o, "final", true);
    cJSON_AddStringToObject(o, "at", at);
    cJSON_AddStringToObject(o, "reason", fr->reason);
    cJSON_AddNumberToObject(o, "token_id", fr->token_id);
    cJSON *open = cJSON_AddArrayToObject(o, "children_not_final");
    for (int32_t c = reg->regions[fr->region].first_child; c >= 0;
         c = reg->regions[c].next_sibling) {
        if (!finals_covers(api->tallies, fr->contest, c))
            cJSON_AddItemToArray(open, region_item(reg, c));
    }
    return view_json(o);
}

static enum route_result post_finalize(struct api *api, struct http_request *req, int contest,
                                       struct http_reply *rep)
{
    struct token *t = admin_token(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    char code[REGION_CODE_MAX + 1];
    char *reason = NULL;
    struct form_problems problems = {0};
    if (!parse_finalize(req, code, sizeof code, &reason, &problems)) {
        http_reply_error(rep, 400, "malformed_json", "the body is not a JSON object");
        return ROUTE_DONE;
    }
    if (problems.n)
        return api__reply_problems(rep, 422, "invalid_finalize", "the finalisation is not valid",
                                   &problems);
    int32_t r = registry_find(api->reg, code, strlen(code));
    int status = 0;
    if (r < 0 || !tally_node(api->tallies, contest, r))
        status = 404;
    else if (!auth_can_review(api->reg, t, r))
        status = 403;
    else if (finals_covers(api->tallies, contest, r))
        status = 409;
    if (status) {
        free(reason);
        if (status == 404)
            http_reply_error(rep, 404, "not_found", "the region is unknown or outside the contest");
        else if (status == 403)
            http_reply_error(rep, 403, "forbidden", "this token's scope does not hold the region");
        else
            http_reply_error(rep, 409, "already_final",
                             "the result of this region is already final in this contest");
        return ROUTE_DONE;
    }
    if (!api__may_write(api, rep)) {
        free(reason);
        return ROUTE_DONE;
    }
    struct final_req *fr = xcalloc(1, sizeof *fr);
    *fr = (struct final_req){contest, r, t->id, req->received_ms, reason, NULL};
    fr->answer = finalize_answer(api, fr);
    api->ingest.finalize(api->ingest.ctx, fr, http_defer(req));
    return ROUTE_PENDING;
}

/* ---- GET /api/v1/audit -------------------------------------------------------- */

static bool kind_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= AUDIT_KIND_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* A whole number in [lo, hi] (no sign, no spaces), or -1. */
static long long number_in(const char *s, long long lo, long long hi)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return -1;
    long long v = atoll(s);
    return v >= lo && v <= hi ? v : -1;
}

static enum route_result get_audit(struct api *api, struct http_request *req,
                                   struct http_reply *rep)
{
    if (!admin_token(api, req, rep))
        return ROUTE_DONE;
    char kind[AUDIT_KIND_NAME_MAX + 2] = "", after[24] = "0", limit[12] = "";
    enum query_param qk = http_query_param(req->query, "kind", kind, sizeof kind);
    enum query_param qa = http_query_param(req->query, "after", after, sizeof after);
    enum query_param ql = http_query_param(req->query, "limit", limit, sizeof limit);
    long long after_id = qa == QUERY_TOO_LONG ? -1 : number_in(after, 0, INT64_MAX / 2);
    long long n = ql == QUERY_ABSENT     ? AUDIT_LIMIT_DEFAULT
                  : ql == QUERY_TOO_LONG ? -1
                                         : number_in(limit, 1, AUDIT_LIMIT_MAX);
    if (qk == QUERY_TOO_LONG || (qk == QUERY_FOUND && !kind_ok(kind))) {
        http_reply_error(rep, 400, "bad_kind", "kind is a lower-case event kind like 'decision'");
        return ROUTE_DONE;
    }
    if (after_id < 0) {
        http_reply_error(rep, 400, "bad_cursor", "after is the id of the last event seen");
        return ROUTE_DONE;
    }
    if (n < 0) {
        char msg[80];
        snprintf(msg, sizeof msg, "limit is a whole number from 1 to %d", AUDIT_LIMIT_MAX);
        http_reply_error(rep, 400, "bad_limit", msg);
        return ROUTE_DONE;
    }
    if (!api->db_up || !api->audit_query) {
        http_reply_error(rep, 503, "storage_unavailable", "the audit trail cannot be read now");
        rep->retry_after = 2;
        return ROUTE_DONE;
    }
    struct waiter *w = http_defer(req);
    if (!w) {
        http_reply_error(rep, 503, "out_of_memory", "retry later");
        return ROUTE_DONE;
    }
    api->audit_query(api->audit_ctx, kind, after_id, (int)n, w);
    return ROUTE_PENDING;
}

/* ---- routing -------------------------------------------------------------------- */

bool api_life_route(struct api *api, struct http_request *req, const char *p,
                    struct http_reply *rep, enum route_result *out)
{
    if (strcmp(p, "status") == 0) {
        if (req->method != HTTP_GET)
            *out = api__method_not_allowed(rep, "GET");
        else if (!api_may_read(api, req, rep))
            *out = ROUTE_DONE;
        else
            *out = get_status(api, rep);
        return true;
    }
    if (strcmp(p, "audit") == 0) {
        *out = req->method == HTTP_GET ? get_audit(api, req, rep)
                                       : api__method_not_allowed(rep, "GET");
        return true;
    }
    const char *rest = strncmp(p, "contests/", 9) == 0 ? p + 9 : NULL;
    const char *slash = rest ? strchr(rest, '/') : NULL;
    if (!slash || strcmp(slash, "/finalize") != 0)
        return false;
    if (req->method != HTTP_POST) {
        *out = api__method_not_allowed(rep, "POST");
        return true;
    }
    const struct contest *c = registry_contest(api->reg, rest, (size_t)(slash - rest));
    if (!c) {
        http_reply_error(rep, 404, "not_found", "no contest has this id");
        *out = ROUTE_DONE;
        return true;
    }
    *out = post_finalize(api, req, c->index, rep);
    return true;
}
