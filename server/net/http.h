/* HTTP requests and replies as the API sees them, independent of lws.
 * A handler either fills the reply at once, or defers it: http_defer hands
 * out a waiter (core/waiter.h) that the ingest module completes after
 * COMMIT; if the client has gone by then, the reply is dropped quietly. */
#ifndef SUARA_NET_HTTP_H
#define SUARA_NET_HTTP_H

#include "core/buf.h"
#include "core/waiter.h"

#include <stdbool.h>
#include <stddef.h>

enum http_method {
    HTTP_GET,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_HEAD,
    HTTP_OPTIONS,
    HTTP_OTHER
};

#define HTTP_PATH_MAX 512
#define HTTP_BEARER_MAX 256

struct http_session;

struct http_request {
    enum http_method method;
    char path[HTTP_PATH_MAX];
    char query[HTTP_PATH_MAX];
    const char *body;
    size_t body_len;
    bool has_bearer;
    bool bad_auth_header; /* Authorization present but not "Bearer <token>" */
    bool query_too_long;  /* the query string did not fit in `query` */
    bool metrics_port;    /* arrived on --metrics-listen, which serves /metrics alone */
    char bearer[HTTP_BEARER_MAX];
    char content_type[64];
    char if_none_match[160];
    bool head_only;      /* HEAD: answered as GET, without the body */
    int64_t received_ms; /* wall clock: the form's timestamp */
    int64_t mono_ms;     /* monotonic clock: what deadlines count from */
    char peer[48];       /* the client's address, for the audit trail */
    struct http_session *session;
    /* Set by the transport (web.c): see http_defer. */
    struct waiter *(*defer)(struct http_request *req);
};

struct http_reply {
    int status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd, owned by the reply */
    size_t len;
    int retry_after;           /* seconds, 0 = no header */
    const char *allow;         /* Allow header for 405 */
    const char *cache_control; /* NULL: no-store */
    char etag[72];             /* with its quotes; empty: none */
    const char *mode;          /* Suara-Mode header ("test"/"live") on reads, else NULL */
};

enum route_result { ROUTE_DONE, ROUTE_PENDING, ROUTE_STATIC };

/* What the transport's defer hook hands out: a waiter (the ingest module completes it
 * with a JSON body) that can also be completed with a whole reply. */
struct http_deferred {
    struct waiter w;
    void (*reply)(struct http_deferred *d, struct http_reply *r);
};

/* Conditional GET (RFC 9110 13.1.2): whether If-None-Match (a list of entity
 * tags, or "*") names etag, compared weakly (a W/ prefix is ignored). */
bool http_etag_matches(const char *if_none_match, const char *etag);

/* Takes ownership of body (NUL-terminated JSON). */
void http_reply_json(struct http_reply *r, int status, char *body);
void http_reply_error(struct http_reply *r, int status, const char *code, const char *message);
/* A waiter whose completion sends the reply. */
struct waiter *http_defer(struct http_request *req);
/* Completes a deferred request with a whole reply, whose body it takes over
 * (a binary body, headers of its own); frees the waiter. */
void http_deferred_reply(struct waiter *w, struct http_reply *r);
enum query_param { QUERY_ABSENT = 0, QUERY_FOUND = 1, QUERY_TOO_LONG = -1 };
/* Copies the value of query parameter `name` (URL-decoded by lws) into out;
 * a value that does not fit is QUERY_TOO_LONG, never silently absent. */
enum query_param http_query_param(const char *query, const char *name, char *out, size_t size);

#endif
