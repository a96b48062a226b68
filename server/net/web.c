/* See web.h. This is the only place (with live.c) that speaks lws: requests
 * are turned into struct http_request, answered by api.c, and replies written
 * back one lws_write per WRITEABLE callback. Static files go through
 * lws_serve_http_file. */
#include "web.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "domain/view.h"
#include "files.h"
#include "framing.h"
#include "live_lws.h"
#include "wire.h"
#include "wire_hook.h"
#include "photo.h"
#include "security_headers.h"
#include "core/mem.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#if !defined(LWS_WITH_LIBUV)
#error "libwebsockets must be built with libuv support"
#endif

#define CHUNK 16384
#define SPIN_LIMIT 16            /* see on_body_complete */
#define WEB_READ_BUF (64 * 1024) /* lws's read buffer, see web_context_info */

struct http_ticket;

struct http_session {
    struct lws *wsi;
    struct web *web;
    struct http_request req;
    struct buf body;
    bool reading_body;
    bool body_overflow;
    int64_t body_deadline_ms; /* the whole body must arrive by then */
    int extra_completions;    /* body completions with no body being read */
    bool head_only;           /* a HEAD request: answer as GET, without the body */
    bool close_after;
    bool replying;
    bool headers_sent;
    struct http_reply reply;
    size_t sent;
    struct http_ticket *ticket;
    struct live_conn *live;
    struct photo_upload *upload; /* a photo's body being received */
};

struct http_ticket {
    struct http_deferred d; /* first: the waiter api.c holds points here */
    struct http_session *session;
};

struct web {
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    struct lws_vhost *metrics_vhost; /* --metrics-listen, NULL when off */
    const struct config *cfg;
    struct api *api;
    struct live *live;
    void *foreign_loops[1];
    lws_retry_bo_t retry;
    bool listening;
    bool stopping;
};

static void reply_reset(struct http_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void session_reset(struct http_session *s)
{
    buf_reset(&s->body);
    reply_reset(&s->reply);
    s->reading_body = s->body_overflow = s->close_after = false;
    s->extra_completions = 0;
    s->head_only = false;
    s->replying = s->headers_sent = false;
    s->sent = 0;
    memset(&s->req, 0, sizeof s->req);
}

/* A reply is held in memory until the client has read it all: past
 * --max-reply it is not sent (every answer is bounded by design; this is the
 * backstop should one not be). */
static void cap_reply(struct http_session *s)
{
    if (s->reply.body && s->reply.len > (size_t)s->web->cfg->max_reply) {
        log_warn("reply_too_large", "path=\"%s\" bytes=%zu", s->req.path, s->reply.len);
        http_reply_error(&s->reply, 500, "reply_too_large",
                         "the answer is larger than this server sends (--max-reply)");
        s->reply.etag[0] = '\0';
        s->reply.cache_control = NULL;
    }
}

static void start_reply(struct http_session *s)
{
    cap_reply(s);
    s->replying = true;
    metrics_count_http(s->reply.status);
    lws_callback_on_writable(s->wsi);
}

static void ticket_done(struct waiter *w, int status, const char *body, size_t len)
{
    struct http_ticket *t = (struct http_ticket *)w;
    struct http_session *s = t->session;
    if (s) {
        s->ticket = NULL;
        char *copy = xmalloc(len + 1);
        memcpy(copy, body, len);
        copy[len] = '\0';
        http_reply_json(&s->reply, status, copy);
        if (status == 503)
            s->reply.retry_after = 2;
        start_reply(s);
    }
    free(t);
}

static void ticket_reply(struct http_deferred *d, struct http_reply *r)
{
    struct http_ticket *t = (struct http_ticket *)d;
    struct http_session *s = t->session;
    if (s) {
        s->ticket = NULL;
        reply_reset(&s->reply);
        s->reply = *r;
        start_reply(s);
    } else {
        free(r->body);
    }
    memset(r, 0, sizeof *r);
    free(t);
}

static struct waiter *defer_reply(struct http_request *req)
{
    struct http_ticket *t = xcalloc(1, sizeof *t);
    t->d.w.done = ticket_done;
    t->d.reply = ticket_reply;
    t->session = req->session;
    req->session->ticket = t;
    return &t->d.w;
}

static enum http_method method_of(int lws_method)
{
    switch (lws_method) {
    case LWSHUMETH_GET:
        return HTTP_GET;
    case LWSHUMETH_POST:
        return HTTP_POST;
    case LWSHUMETH_PUT:
        return HTTP_PUT;
    case LWSHUMETH_PATCH:
        return HTTP_PATCH;
    case LWSHUMETH_DELETE:
        return HTTP_DELETE;
    case LWSHUMETH_HEAD:
        return HTTP_HEAD;
    case LWSHUMETH_OPTIONS:
        return HTTP_OPTIONS;
    default:
        return HTTP_OTHER;
    }
}

/* Joins the query's fragments with '&'; false when they do not fit. */
static bool copy_query(struct lws *wsi, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0;; i++) {
        int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len <= 0)
            return true;
        if (used + (used > 0) + (size_t)len + 1 > size)
            return false;
        if (used)
            out[used++] = '&';
        lws_hdr_copy_fragment(wsi, out + used, (int)(size - used), WSI_TOKEN_HTTP_URI_ARGS, i);
        used += (size_t)len;
    }
}

static void read_auth(struct lws *wsi, struct http_request *req)
{
    char value[HTTP_BEARER_MAX + 16];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0)
        return;
    if (n >= (int)sizeof value ||
        lws_hdr_copy(wsi, value, sizeof value, WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
        req->bad_auth_header = true;
        return;
    }
    if (strncasecmp(value, "Bearer ", 7) != 0 || !value[7]) {
        req->bad_auth_header = true;
        return;
    }
    const char *tok = value + 7;
    while (*tok == ' ')
        tok++;
    if (strlen(tok) >= sizeof req->bearer) {
        req->bad_auth_header = true;
        return;
    }
    strcpy(req->bearer, tok);
    req->has_bearer = true;
}

static int static_not_found(struct http_session *s)
{
    http_reply_error(&s->reply, 404, "not_found", "no such file");
    start_reply(s);
    return 0;
}

/* A request header into out ("" when absent or too long to matter). */
static void header_value(struct lws *wsi, enum lws_token_indexes token, char *out, int size)
{
    if (lws_hdr_copy(wsi, out, size, token) < 0)
        out[0] = '\0';
}

/* The headers every static answer (200 or 304) carries after the status:
 * validators, Cache-Control no-cache so the browser revalidates (a 304
 * costs a round trip, not the file), and the security headers. */
static int file_headers(const struct file_answer *f, bool with_body, char *out, size_t size)
{
    int n =
        snprintf(out, size, "cache-control: no-cache\r\netag: %s\r\nlast-modified: %s\r\n%s%s%s",
                 f->etag, f->last_modified, f->compressible ? "vary: accept-encoding\r\n" : "",
                 f->gzip && with_body ? "content-encoding: gzip\r\n" : "",
                 security_headers_for_file(f->mime));
    return n > 0 && (size_t)n < size ? n : -1;
}

/* Status line and headers written at once, for a 304 or a HEAD. */
static int write_file_head(struct http_session *s, int status, const struct file_answer *f,
                           const char *extra, int extra_len)
{
    unsigned char buf[LWS_PRE + 1024];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_header_status(s->wsi, (unsigned)status, &p, end))
        return -1;
    if (status == 200 &&
        (lws_add_http_header_by_token(s->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                      (const unsigned char *)f->mime, (int)strlen(f->mime), &p,
                                      end) ||
         lws_add_http_header_content_length(s->wsi, (lws_filepos_t)f->size, &p, end)))
        return -1;
    if (end - p < extra_len)
        return -1;
    memcpy(p, extra, (size_t)extra_len);
    p += extra_len;
    if (lws_finalize_http_header(s->wsi, &p, end))
        return -1;
    int n = (int)(p - start);
    if (lws_write(s->wsi, start, (size_t)n, LWS_WRITE_HTTP_HEADERS) != n)
        return -1;
    metrics_count_http(status);
    return lws_http_transaction_completed(s->wsi) ? -1 : 0;
}

/* A file of the web client (see files.h): 304 when the browser's copy is
 * current, else the file (or its .gz twin) through lws. HEAD is answered
 * here: lws's own HEAD handling leaves the connection unusable for the next
 * request. */
static int serve_static(struct http_session *s)
{
    char accept[256], inm[512], ims[64], extra[768];
    header_value(s->wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, accept, sizeof accept);
    header_value(s->wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, inm, sizeof inm);
    header_value(s->wsi, WSI_TOKEN_HTTP_IF_MODIFIED_SINCE, ims, sizeof ims);
    struct file_answer f;
    if (!files_resolve(s->web->cfg->static_dir, s->req.path, files_accepts_gzip(accept), &f))
        return static_not_found(s);
    bool fresh = files_not_modified(&f, inm, ims);
    int extra_len = file_headers(&f, !fresh, extra, sizeof extra);
    if (extra_len < 0)
        return -1;
    if (fresh)
        return write_file_head(s, 304, &f, extra, extra_len);
    if (s->head_only)
        return write_file_head(s, 200, &f, extra, extra_len);
    metrics_count_http(200);
    int n = lws_serve_http_file(s->wsi, f.path, f.mime, extra, extra_len);
    return n < 0 ? -1 : 0;
}

static int dispatch(struct http_session *s)
{
    s->req.body = s->body.data ? s->body.data : "";
    s->req.body_len = s->body.len;
    enum route_result r = api_handle(s->web->api, &s->req, &s->reply);
    if (r == ROUTE_STATIC)
        return serve_static(s);
    if (r == ROUTE_DONE)
        start_reply(s);
    return 0;
}

static void reply_too_big(struct http_session *s)
{
    char msg[96];
    snprintf(msg, sizeof msg, "the body is larger than %d bytes", s->web->cfg->max_body);
    http_reply_error(&s->reply, 413, "body_too_large", msg);
    s->close_after = true; /* the rest of the body is never read */
    start_reply(s);
}

/* A photo is accepted or refused on its headers, before its body is read;
 * a refused body is never read (the connection closes after the answer). */
static int begin_photo(struct http_session *s, long long length, bool chunked)
{
    struct web *w = s->web;
    s->upload =
        chunked ? NULL : photos_upload_begin(w->api->photos, w->api, &s->req, length, &s->reply);
    if (!s->upload) {
        if (chunked)
            http_reply_error(&s->reply, 411, "length_required",
                             "send the photo with a Content-Length header");
        s->close_after = true;
        start_reply(s);
        return 0;
    }
    s->reading_body = true;
    s->body_deadline_ms = s->req.mono_ms + (int64_t)w->cfg->idle_timeout_s * 1000;
    return 0;
}

static void abandon_upload(struct http_session *s)
{
    if (s->upload) {
        photo_upload_abandon(s->upload);
        s->upload = NULL;
    }
}

static int on_http(struct http_session *s, struct lws *wsi)
{
    session_reset(s);
    s->wsi = wsi;
    s->req.session = s;
    s->req.defer = defer_reply;
    s->req.metrics_port = s->web->metrics_vhost && lws_get_vhost(wsi) == s->web->metrics_vhost;
    s->req.received_ms = clock_now_ms();
    s->req.mono_ms = clock_mono_ms();
    char *uri;
    int uri_len;
    int m = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
    s->req.method = method_of(m);
    if (s->req.method == HTTP_HEAD) {
        s->head_only = s->req.head_only = true;
        s->req.method = HTTP_GET;
    }
    if (uri_len < 0 || (size_t)uri_len >= sizeof s->req.path) {
        http_reply_error(&s->reply, 414, "uri_too_long", "the request path is too long");
        start_reply(s);
        return 0;
    }
    memcpy(s->req.path, uri, (size_t)uri_len);
    s->req.path[uri_len] = '\0';
    s->req.query_too_long = !copy_query(wsi, s->req.query, sizeof s->req.query);
    read_auth(wsi, &s->req);
    lws_get_peer_simple(wsi, s->req.peer, sizeof s->req.peer);
    lws_hdr_copy(wsi, s->req.content_type, sizeof s->req.content_type, WSI_TOKEN_HTTP_CONTENT_TYPE);
    lws_hdr_copy(wsi, s->req.if_none_match, sizeof s->req.if_none_match,
                 WSI_TOKEN_HTTP_IF_NONE_MATCH);

    struct http_framing framing;
    http_framing_read(wsi, &framing);
    if (framing.problem) {
        http_reply_error(&s->reply, 400, "bad_framing", framing.problem);
        s->close_after = true; /* what follows cannot be told apart from a request */
        start_reply(s);
        return 0;
    }
    bool has_body =
        s->req.method == HTTP_POST || s->req.method == HTTP_PUT || s->req.method == HTTP_PATCH;
    if (!has_body)
        return dispatch(s);
    long long length = framing.length;
    bool chunked = framing.chunked;
    if (photos_is_upload(&s->req))
        return begin_photo(s, length, chunked);
    if (length > s->web->cfg->max_body) {
        reply_too_big(s);
        return 0;
    }
    if (chunked) {
        /* lws 4.1 does not decode chunked request bodies: say so rather than hang. */
        http_reply_error(&s->reply, 411, "length_required",
                         "send the body with a Content-Length header");
        s->close_after = true;
        start_reply(s);
        return 0;
    }
    if (length <= 0)
        return dispatch(s);
    s->reading_body = true;
    /* lws re-arms its own timeout on every chunk, so a body trickling in a
     * byte at a time would hold the connection forever: bound the whole of it. */
    s->body_deadline_ms = s->req.mono_ms + (int64_t)s->web->cfg->idle_timeout_s * 1000;
    return 0;
}

static int on_body(struct http_session *s, const void *in, size_t len)
{
    if (!s->reading_body || s->body_overflow)
        return 0;
    if (clock_mono_ms() > s->body_deadline_ms) {
        s->reading_body = false;
        http_reply_error(&s->reply, 408, "request_timeout", "the body arrived too slowly");
        s->close_after = true;
        abandon_upload(s);
        start_reply(s);
        return 0;
    }
    if (s->upload) {
        if (photo_upload_append(s->upload, in, len) != 0) {
            s->reading_body = false;
            abandon_upload(s);
            http_reply_error(&s->reply, 400, "incomplete_body",
                             "the body is longer than its Content-Length");
            s->close_after = true;
            start_reply(s);
        }
        return 0;
    }
    if (buf_append(&s->body, in, len) != 0) {
        s->body_overflow = true;
        s->reading_body = false;
        reply_too_big(s);
    }
    return 0;
}

/* Adds the status line and headers of the reply at *p. */
static int add_headers(struct http_session *s, unsigned char **p, unsigned char *end)
{
    struct lws *wsi = s->wsi;
    const struct http_reply *r = &s->reply;
    char num[16];
    const char *cache = r->cache_control ? r->cache_control : "no-store";
    if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->content_type,
                                    (lws_filepos_t)r->len, p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)cache, (int)strlen(cache), p, end))
        return -1;
    if (r->etag[0] && lws_add_http_header_by_name(
                          wsi, (const unsigned char *)"etag:", (const unsigned char *)r->etag,
                          (int)strlen(r->etag), p, end))
        return -1;
    if (r->retry_after) {
        int n = snprintf(num, sizeof num, "%d", r->retry_after);
        if (lws_add_http_header_by_name(
                wsi, (const unsigned char *)"retry-after:", (unsigned char *)num, n, p, end))
            return -1;
    }
    if (r->mode && lws_add_http_header_by_name(
                       wsi, (const unsigned char *)"suara-mode:", (const unsigned char *)r->mode,
                       (int)strlen(r->mode), p, end))
        return -1;
    if (r->allow && lws_add_http_header_by_name(
                        wsi, (const unsigned char *)"allow:", (const unsigned char *)r->allow,
                        (int)strlen(r->allow), p, end))
        return -1;
    if (s->close_after && lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                                      (const unsigned char *)"close", 5, p, end))
        return -1;
    if (security_headers_add(wsi, p, end))
        return -1;
    return lws_finalize_http_header(wsi, p, end);
}

/* The first write: headers, and the whole body too when it fits, so that a
 * typical API answer costs one write (one syscall) instead of two. */
static int write_head(struct http_session *s)
{
    unsigned char buf[LWS_PRE + 1024 + CHUNK];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + LWS_PRE + 1024;
    if (add_headers(s, &p, end))
        return -1;
    if (s->head_only) {
        s->sent = s->reply.len; /* the length is announced, the body never sent */
    } else if (s->reply.len <= CHUNK) {
        if (s->reply.len) /* a 304 has no body at all */
            memcpy(p, s->reply.body, s->reply.len);
        p += s->reply.len;
        s->sent = s->reply.len;
    }
    s->headers_sent = true;
    int n = (int)(p - start);
    return lws_write(s->wsi, start, (size_t)n, LWS_WRITE_HTTP_HEADERS) == n ? 0 : -1;
}

static int write_body_chunk(struct http_session *s)
{
    size_t left = s->reply.len - s->sent;
    size_t n = left > CHUNK ? CHUNK : left;
    unsigned char chunk[LWS_PRE + CHUNK];
    memcpy(chunk + LWS_PRE, s->reply.body + s->sent, n);
    enum lws_write_protocol kind = n == left ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP;
    if (lws_write(s->wsi, chunk + LWS_PRE, n, kind) != (int)n)
        return -1;
    s->sent += n;
    return 0;
}

static int on_body_complete(struct http_session *s)
{
    if (s->reading_body) {
        s->reading_body = false;
        if (s->upload) {
            struct photo_upload *u = s->upload;
            s->upload = NULL;
            photo_upload_complete(u, http_defer(&s->req));
            return 0;
        }
        return dispatch(s);
    }
    if (s->close_after || ++s->extra_completions < SPIN_LIMIT)
        return 0; /* refused early (413, 411), or lws repeating itself once */
    /* lws 4.1 repeats this in a busy loop for a pipelined request with a
     * body, and the whole server stalls. Closing the connection is the only
     * way out; the client retries (with the same submission_id) on a new one. */
    log_warn("http_pipelined", "msg=\"body completed twice; closing the connection\"");
    return -1;
}

static int write_reply(struct http_session *s)
{
    if (!s->replying)
        return 0;
    int rc = s->headers_sent ? write_body_chunk(s) : write_head(s);
    if (rc)
        return -1;
    if (s->sent < s->reply.len) {
        lws_callback_on_writable(s->wsi);
        return 0;
    }
    s->replying = false;
    if (s->close_after)
        return -1;
    return lws_http_transaction_completed(s->wsi) ? -1 : 0;
}

static void on_closed(struct http_session *s)
{
    abandon_upload(s);
    if (s->ticket) {
        s->ticket->session = NULL; /* the writer still owns and frees the ticket */
        s->ticket = NULL;
    }
    buf_free(&s->body);
    reply_reset(&s->reply);
}

static bool is_live_path(struct lws *wsi)
{
    char uri[64];
    return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 &&
           strcmp(uri, "/api/v1/live") == 0;
}

/* The bearer of a live-feed upgrade: the Authorization header, or - since
 * browsers cannot set headers on a WebSocket - ?token= on the URL. */
static void read_live_bearer(struct lws *wsi, struct http_request *req)
{
    read_auth(wsi, req);
    if (req->has_bearer || req->bad_auth_header)
        return;
    char query[HTTP_PATH_MAX];
    req->has_bearer =
        copy_query(wsi, query, sizeof query) &&
        http_query_param(query, "token", req->bearer, sizeof req->bearer) == QUERY_FOUND;
}

/* Answers an upgrade we refuse with the error in s->reply, written at once. */
static int refuse_upgrade(struct http_session *s)
{
    metrics_count_http(s->reply.status);
    if (write_head(s))
        return -1;
    reply_reset(&s->reply);
    return 1; /* lws completes the transaction */
}

/* Runs before lws binds a session to the connection: works on a stack one. */
static int confirm_upgrade(struct web *w, struct lws *wsi)
{
    struct http_session tmp = {.wsi = wsi, .web = w};
    struct http_session *s = &tmp;
    if (!is_live_path(wsi) || (w->metrics_vhost && lws_get_vhost(wsi) == w->metrics_vhost)) {
        http_reply_error(&s->reply, 404, "not_found", "the live feed is at /api/v1/live");
        return refuse_upgrade(s);
    }
    /* The feed is a read like any other: the API's rule decides. */
    read_live_bearer(wsi, &s->req);
    return api_may_read(w->api, &s->req, &s->reply) ? 0 : refuse_upgrade(s);
}

/* Under --private-reads a live connection is let in by its token; it is
 * remembered so that revoking the token closes the connection. The upgrade's
 * headers are still readable here. */
static void remember_live_token(struct web *w, struct lws *wsi, struct live_conn *conn)
{
    if (!w->cfg->private_reads)
        return;
    struct http_request req = {0};
    read_live_bearer(wsi, &req);
    if (req.has_bearer)
        live_conn_set_token(conn, req.bearer);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct http_session *s = user;
    struct web *w = lws_context_user(lws_get_context(wsi));
    if (reason == LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
        wire_watch(wsi); /* before lws reads a byte (wire_hook.h) */
    else if (reason == LWS_CALLBACK_WSI_DESTROY)
        wire_forget(wsi);
    switch (reason) {
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
        if (s) {
            memset(s, 0, sizeof *s);
            s->wsi = wsi;
            s->web = w;
            buf_init(&s->body, (size_t)w->cfg->max_body);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_http(s, wsi);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(s, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return on_body_complete(s);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_reply(s);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (s)
            on_closed(s);
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(w, wsi);
    default:
        break;
    }
    int rc = live_callback(w->live, wsi, reason, s ? &s->live : NULL, in, len);
    if (reason == LWS_CALLBACK_ESTABLISHED && rc == 0 && s && s->live)
        remember_live_token(w, wsi, s->live);
    return rc;
}

static const struct lws_protocols protocols[] = {
    {"suara", callback, sizeof(struct http_session), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_event(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws", "msg=\"%.*s\"", (int)n, line);
}

/* A second vhost on the same loop and protocol: plain HTTP (the scraper's
 * network), on which api_handle serves /metrics alone. */
static bool start_metrics_vhost(struct web *w, struct lws_context_creation_info *info, char *err,
                                size_t err_size)
{
    info->port = w->cfg->metrics_port;
    info->iface = w->cfg->metrics_host;
    info->vhost_name = "suara-metrics";
    info->ssl_cert_filepath = NULL;
    info->ssl_private_key_filepath = NULL;
    w->metrics_vhost = lws_create_vhost(w->ctx, info);
    if (!w->metrics_vhost)
        snprintf(err, err_size, "cannot listen on %s:%d for --metrics-listen (in use?)",
                 w->cfg->metrics_host, w->cfg->metrics_port);
    return w->metrics_vhost != NULL;
}

/* What every lws context of the server shares, the counting loop's and the
 * live thread's: libuv, vhosts made explicitly, IPv4 unless the host is an
 * IPv6 address, UTF-8 checked in text frames, the timeouts and the buffers
 * below. */
void web_context_info(struct lws_context_creation_info *info, const struct config *cfg,
                      const char *host)
{
    memset(info, 0, sizeof *info);
    info->options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                    LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(host, ':') == NULL) |
                    LWS_SERVER_OPTION_VALIDATE_UTF8;
    info->port = CONTEXT_PORT_NO_LISTEN;
    info->timeout_secs = (unsigned)cfg->idle_timeout_s;
    /* How long a connection may take to send its request headers, however
     * slowly they trickle in (slowloris). */
    info->timeout_secs_ah_idle = (unsigned)cfg->idle_timeout_s;
    info->keepalive_timeout = cfg->idle_timeout_s;
    /* wire.c refuses heads over WIRE_HEAD_MAX raw bytes or WIRE_LINES_MAX
     * lines with 431, so that lws, which stores a head in less than twice
     * its raw size, never runs out of room and closes without an answer. */
    info->max_http_header_data = 2 * WIRE_HEAD_MAX;
    /* lws reads a socket into this one per-thread buffer, one read per loop
     * iteration: at the default 4 KiB a 300 KB photo took 75 iterations of
     * the loop (a recv, an epoll_wait and a body callback each); at 64 KiB
     * it takes a few. Forms fit in one read either way. */
    info->pt_serv_buf_size = WEB_READ_BUF;
}

struct web *web_start(uv_loop_t *loop, const struct config *cfg, struct api *api, struct live *live,
                      char *err, size_t err_size)
{
    struct web *w = xcalloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    w->cfg = cfg;
    w->api = api;
    w->live = live;
    w->foreign_loops[0] = loop;
    /* lws's validity timer is off (both 0): it re-sorts a per-thread list
     * on every read and write. The live feed pings and closes idle peers
     * with a sweep of its own (live.c); HTTP connections are bounded by
     * lws's own request and keep-alive timeouts below. */
    w->retry.secs_since_valid_ping = 0;
    w->retry.secs_since_valid_hangup = 0;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
    security_headers_init(cfg->live_url, cfg->live_listen ? cfg->live_port : 0);

    struct lws_context_creation_info info;
    web_context_info(&info, cfg, cfg->host);
    if (cfg->tls_cert)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = w->foreign_loops;
    info.user = w;
    info.protocols = protocols;
    info.pcontext = &w->ctx;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        snprintf(err, err_size, "cannot create the web context (is the libuv plugin installed?)");
        free(w);
        return NULL;
    }
    info.port = cfg->port;
    info.iface = cfg->host;
    info.vhost_name = "suara";
    /* HTTP/1.1 only: POST bodies over HTTP/2 are unreliable in lws 4.1. */
    info.alpn = "http/1.1";
    info.retry_and_idle_policy = &w->retry;
    info.ssl_cert_filepath = cfg->tls_cert;
    info.ssl_private_key_filepath = cfg->tls_key;
    w->vhost = lws_create_vhost(w->ctx, &info);
    if (!w->vhost) {
        snprintf(err, err_size, "cannot listen on %s:%d (in use, or bad TLS files?)", cfg->host,
                 cfg->port);
        return w; /* torn down like a running one: web_stop, run the loop, web_free */
    }
    if (cfg->metrics_listen && !start_metrics_vhost(w, &info, err, err_size))
        return w;
    w->listening = true;
    return w;
}

bool web_listening(const struct web *w)
{
    return w->listening;
}

void web_stop(struct web *w)
{
    if (w && w->ctx && !w->stopping) {
        w->stopping = true;
        lws_context_destroy(w->ctx);
    }
}

void web_free(struct web *w)
{
    if (!w)
        return;
    /* With a foreign loop the loop can run dry before lws has finished;
     * a second destroy completes it (as lws's own foreign-loop example does). */
    if (w->ctx)
        lws_context_destroy(w->ctx);
    free(w);
}
