/* See http.h: the parts of a request and reply that need no lws, so that
 * api.c depends on this file alone and never on web.c. */
#include "http.h"
#include "domain/view.h"

#include <stdlib.h>
#include <string.h>

bool http_etag_matches(const char *inm, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

void http_reply_json(struct http_reply *r, int status, char *body)
{
    free(r->body);
    r->status = status;
    r->content_type = "application/json; charset=utf-8";
    r->body = body;
    r->len = body ? strlen(body) : 0;
}

void http_reply_error(struct http_reply *r, int status, const char *code, const char *message)
{
    http_reply_json(r, status, view_error(code, message, NULL));
}

enum query_param http_query_param(const char *query, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        if (seg > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = seg - nlen - 1;
            if (vlen >= size)
                return QUERY_TOO_LONG;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return QUERY_FOUND;
        }
        p = amp ? amp + 1 : NULL;
    }
    return QUERY_ABSENT;
}

struct waiter *http_defer(struct http_request *req)
{
    return req->defer(req);
}

void http_deferred_reply(struct waiter *w, struct http_reply *r)
{
    struct http_deferred *d = (struct http_deferred *)w;
    d->reply(d, r);
}
