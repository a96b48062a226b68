/* See api_search.h. */
#include "api_search.h"
#include "core/utf8.h"
#include "domain/search.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_LIMIT_DEFAULT 8

enum route_result api_search(struct api *api, const struct http_request *req,
                             struct http_reply *rep)
{
    char q[SEARCH_QUERY_MAX + 1] = "", limit_text[8] = "";
    enum query_param got = http_query_param(req->query, "q", q, sizeof q);
    if (got == QUERY_TOO_LONG || !utf8_valid(q, strlen(q))) {
        http_reply_error(rep, 400, "bad_query", "q must be valid UTF-8 of at most 64 bytes");
        return ROUTE_DONE;
    }
    int limit = SEARCH_LIMIT_DEFAULT;
    if (http_query_param(req->query, "limit", limit_text, sizeof limit_text) != QUERY_ABSENT) {
        char *end;
        long n = strtol(limit_text, &end, 10);
        if (*end || end == limit_text || n < 1 || n > SEARCH_LIMIT_MAX) {
            http_reply_error(rep, 400, "bad_limit", "limit must be 1 to 50");
            return ROUTE_DONE;
        }
        limit = (int)n;
    }
    char *body = search_view(api->reg, q, limit);
    if (!body) {
        http_reply_error(rep, 400, "bad_query",
                         "give at least two letters of a name, a TPS number or a code");
        return ROUTE_DONE;
    }
    http_reply_json(rep, 200, body);
    /* The names never change while the server runs: a phone typing the same
     * letters again need not ask again (private reads stay uncached). */
    rep->cache_control = api->cfg->private_reads ? NULL : "public, max-age=300";
    return ROUTE_DONE;
}
