/* See desk_api.h. Query parameters are checked strictly: a bad one is a 400
 * with its own code, never silently replaced by a default. */
#include "desk_api.h"
#include "domain/desk_view.h"
#include "domain/timeline.h"
#include "domain/view.h"
#include "domain/worklist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *after_prefix(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 ? path + n : NULL;
}

bool desk_api_is_read_path(const char *p)
{
    return after_prefix(p, "worklist/") || strcmp(p, "changes") == 0 ||
           after_prefix(p, "timeline/");
}

static enum route_result fail(struct http_reply *rep, int status, const char *code,
                              const char *message)
{
    http_reply_error(rep, status, code, message);
    return ROUTE_DONE;
}

/* A query parameter as a whole number in [min, max]; `fallback` when absent.
 * False for anything else (not a number, out of range, too long). */
static bool query_int(const struct http_request *req, const char *name, long long min,
                      long long max, long long fallback, long long *out)
{
    char text[24];
    enum query_param q = http_query_param(req->query, name, text, sizeof text);
    if (q == QUERY_ABSENT) {
        *out = fallback;
        return true;
    }
    if (q == QUERY_TOO_LONG || !text[0] || text[0] == '-' || text[0] == '+')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* "{contest}/{region}" into a contest index and a region index; false with a
 * 404 filled in. */
static bool contest_region(struct api *api, const char *rest, int *contest, int32_t *region,
                           struct http_reply *rep, const char *usage)
{
    const char *slash = strchr(rest, '/');
    if (!slash || strchr(slash + 1, '/')) {
        fail(rep, 404, "not_found", usage);
        return false;
    }
    const struct contest *c = registry_contest(api->reg, rest, (size_t)(slash - rest));
    if (!c) {
        fail(rep, 404, "not_found", "no contest has this id");
        return false;
    }
    int32_t r = registry_find(api->reg, slash + 1, strlen(slash + 1));
    if (r < 0 || !region_contains(api->reg, c->region, r)) {
        fail(rep, 404, "not_found", "the region is unknown or outside the contest");
        return false;
    }
    *contest = c->index;
    *region = r;
    return true;
}

static enum route_result get_worklist(struct api *api, const struct http_request *req,
                                      const char *rest, struct http_reply *rep)
{
    int contest;
    int32_t region;
    if (!contest_region(api, rest, &contest, &region, rep,
                        "use /api/v1/worklist/{contest}/{region}?status=S"))
        return ROUTE_DONE;
    char name[24];
    int status = -1;
    if (http_query_param(req->query, "status", name, sizeof name) == QUERY_FOUND)
        status = worklist_status_parse(name);
    if (status < 0)
        return fail(rep, 400, "bad_status",
                    "status must be missing, held, disputed, unconfirmed, no_photo, flagged or "
                    "kpu_differs");
    long long limit;
    if (!query_int(req, "limit", 1, WORKLIST_LIMIT_MAX, WORKLIST_LIMIT_DEFAULT, &limit))
        return fail(rep, 400, "bad_limit", "limit must be a whole number from 1 to 1000");
    char cursor[32];
    int32_t after = -1;
    enum query_param q = http_query_param(req->query, "after", cursor, sizeof cursor);
    if (q != QUERY_ABSENT) {
        after = q == QUERY_FOUND ? registry_find(api->reg, cursor, strlen(cursor)) : -1;
        if (after < 0 || api->reg->regions[after].level != LEVEL_TPS ||
            !region_contains(api->reg, region, after))
            return fail(rep, 400, "bad_cursor",
                        "after must be the 'next' of an earlier page: a TPS code inside the "
                        "region");
    }
    char *body = view_worklist(api->ledger, contest, region, status, after, (int)limit);
    http_reply_json(rep, 200, body);
    return ROUTE_DONE;
}

static enum route_result get_changes(struct api *api, const struct http_request *req,
                                     struct http_reply *rep)
{
    long long since, limit;
    if (!query_int(req, "since", 0, INT64_MAX, 0, &since))
        return fail(rep, 400, "bad_since", "since must be a seq: a whole number from 0");
    if (!query_int(req, "limit", 1, CHANGES_LIMIT_MAX, CHANGES_LIMIT_DEFAULT, &limit))
        return fail(rep, 400, "bad_limit", "limit must be a whole number from 1 to 10000");
    /* A page grows until it is full, with every commit after `since`, and
     * then never changes: its ETag follows where it ends, not the newest seq. */
    if (api_answer_from_cache(api, req, rep, 1, view_changes_end(api->ledger, since, (int)limit),
                              0))
        return ROUTE_DONE;
    http_reply_json(rep, 200, view_changes(api->ledger, since, (int)limit));
    return ROUTE_DONE;
}

static enum route_result get_timeline(struct api *api, const struct http_request *req,
                                      const char *rest, struct http_reply *rep)
{
    int contest;
    int32_t region;
    if (!contest_region(api, rest, &contest, &region, rep,
                        "use /api/v1/timeline/{contest}/{region}"))
        return ROUTE_DONE;
    const struct timeline_series *ts =
        api->timeline ? timeline_series(api->timeline, contest, region) : NULL;
    if (!ts)
        return fail(rep, 404, "not_found",
                    "the timeline is kept for the province and kabupaten/kota only");
    int64_t newest = ts->n ? ts->points[ts->n - 1].seq : 0;
    if (api_answer_from_cache(api, req, rep, 1, newest, ts->n))
        return ROUTE_DONE;
    http_reply_json(rep, 200, view_json(timeline_json(api->timeline, contest, region)));
    return ROUTE_DONE;
}

enum route_result desk_api_read(struct api *api, const struct http_request *req, const char *p,
                                struct http_reply *rep)
{
    const char *rest;
    if ((rest = after_prefix(p, "worklist/")))
        return get_worklist(api, req, rest, rep);
    if ((rest = after_prefix(p, "timeline/")))
        return get_timeline(api, req, rest, rep);
    return get_changes(api, req, rep);
}
