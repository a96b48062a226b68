/* See httpc.h. Each connection attempt gets its own socket record, so a
 * dropped socket can finish closing in the background while the next one is
 * already connecting; callbacks of an orphaned socket are ignored. */
#include "httpc.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_CHUNK 65536
#define RESP_MAX (64u << 20)

struct sock {
    uv_tcp_t tcp;
    uv_connect_t connect;
    struct httpc *owner; /* NULL once dropped */
    bool connected;
};

struct write_req {
    uv_write_t req;
    struct sock *sock;
    char data[];
};

struct httpc {
    uv_loop_t *loop;
    struct sockaddr_in addr;
    struct sock *sock;
    uv_timer_t timer;
    bool busy; /* a request is outstanding */
    bool freeing;
    uint64_t connects;
    /* the request, kept until it has been written */
    char *req;
    size_t req_len, req_cap;
    httpc_cb cb;
    void *ctx;
    /* the answer */
    char *rbuf;
    size_t rlen, rcap;
};

static void sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sock_drop(struct httpc *c)
{
    struct sock *s = c->sock;
    if (!s)
        return;
    c->sock = NULL;
    s->owner = NULL;
    s->tcp.data = s;
    uv_close((uv_handle_t *)&s->tcp, sock_closed);
}

/* Ends the outstanding request with err (and resp when err is 0). */
static void finish(struct httpc *c, int err, const struct http_resp *resp)
{
    if (!c->busy)
        return;
    c->busy = false;
    uv_timer_stop(&c->timer);
    httpc_cb cb = c->cb;
    void *ctx = c->ctx;
    c->cb = NULL;
    if (err)
        sock_drop(c);
    cb(c, ctx, err, resp);
}

static void fail(struct httpc *c, int err)
{
    c->rlen = 0;
    sock_drop(c);
    finish(c, err, NULL);
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct httpc *c = w->sock->owner;
    free(w);
    if (status < 0 && c)
        fail(c, status);
}

static void write_request(struct httpc *c)
{
    uv_buf_t b = uv_buf_init(c->req, (unsigned)c->req_len);
    int n = uv_try_write((uv_stream_t *)&c->sock->tcp, &b, 1);
    if (n == (int)c->req_len)
        return;
    if (n < 0 && n != UV_EAGAIN) {
        fail(c, n);
        return;
    }
    size_t done = n > 0 ? (size_t)n : 0, left = c->req_len - done;
    struct write_req *w = xmalloc(sizeof *w + left);
    if (!w) {
        fail(c, UV_ENOMEM);
        return;
    }
    memcpy(w->data, c->req + done, left);
    w->sock = c->sock;
    b = uv_buf_init(w->data, (unsigned)left);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->sock->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(w);
        fail(c, rc);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    struct sock *s = h->data;
    struct httpc *c = s->owner;
    static char sink[READ_CHUNK];
    if (!c) {
        *out = uv_buf_init(sink, sizeof sink);
        return;
    }
    if (c->rcap - c->rlen < READ_CHUNK) {
        size_t cap = c->rcap ? c->rcap * 2 : 2 * READ_CHUNK;
        char *p = cap <= RESP_MAX ? xrealloc(c->rbuf, cap) : NULL;
        if (!p) {
            *out = uv_buf_init(sink, sizeof sink);
            return;
        }
        c->rbuf = p;
        c->rcap = cap;
    }
    *out = uv_buf_init(c->rbuf + c->rlen, (unsigned)(c->rcap - c->rlen));
}

static const char *find_crlf2(const char *p, size_t n)
{
    for (size_t i = 3; i < n; i++) {
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return p + i + 1;
    }
    return NULL;
}

/* Value of header `name` (with colon) in [head, end), or NULL. */
static const char *header(const char *head, const char *end, const char *name, size_t *len)
{
    size_t nlen = strlen(name);
    for (const char *line = head; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen;
            while (v < eol && *v == ' ')
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *len = (size_t)(ve - v);
            return v;
        }
        line = eol + 1;
    }
    return NULL;
}

/* Parses what has arrived; answers the request when it is complete. */
static void parse(struct httpc *c)
{
    const char *body = find_crlf2(c->rbuf, c->rlen);
    if (!body)
        return;
    if (c->rlen < 12 || memcmp(c->rbuf, "HTTP/1.", 7) != 0) {
        fail(c, HTTPC_PROTOCOL);
        return;
    }
    struct http_resp r = {0};
    r.status = atoi(c->rbuf + 9);
    size_t len = 0;
    const char *v = header(c->rbuf, body, "content-length:", &len);
    if (!v || header(c->rbuf, body, "transfer-encoding:", &len)) {
        fail(c, HTTPC_PROTOCOL); /* the server always frames by length */
        return;
    }
    size_t clen = (size_t)strtoull(v, NULL, 10);
    size_t head_len = (size_t)(body - c->rbuf);
    if (c->rlen < head_len + clen)
        return;
    v = header(c->rbuf, body, "retry-after:", &len);
    if (v)
        r.retry_after = atoi(v);
    v = header(c->rbuf, body, "connection:", &len);
    bool close_after = v && len == 5 && strncasecmp(v, "close", 5) == 0;
    r.body = body;
    r.body_len = clen;
    if (c->rlen != head_len + clen) {
        fail(c, HTTPC_PROTOCOL);
        return;
    }
    c->rlen = 0; /* the callback may send the next request right away */
    if (close_after)
        sock_drop(c);
    finish(c, 0, &r);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct sock *s = stream->data;
    struct httpc *c = s->owner;
    if (!c)
        return;
    if (n < 0) {
        if (c->busy)
            fail(c, (int)n);
        else
            sock_drop(c); /* the server closed an idle keep-alive connection */
        return;
    }
    if (n == 0)
        return;
    if (buf->base != c->rbuf + c->rlen) {
        fail(c, UV_ENOMEM);
        return;
    }
    c->rlen += (size_t)n;
    if (!c->busy) {
        fail(c, HTTPC_PROTOCOL); /* bytes nobody asked for */
        return;
    }
    parse(c);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct sock *s = req->data;
    struct httpc *c = s->owner;
    if (!c)
        return;
    if (status < 0) {
        fail(c, status);
        return;
    }
    s->connected = true;
    uv_tcp_nodelay(&s->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (rc < 0) {
        fail(c, rc);
        return;
    }
    if (c->busy)
        write_request(c);
}

static int sock_open(struct httpc *c)
{
    struct sock *s = xcalloc(1, sizeof *s);
    s->owner = c;
    uv_tcp_init(c->loop, &s->tcp);
    s->tcp.data = s;
    s->connect.data = s;
    c->sock = s;
    c->connects++;
    int rc = uv_tcp_connect(&s->connect, &s->tcp, (const struct sockaddr *)&c->addr, on_connect);
    if (rc < 0)
        sock_drop(c);
    return rc;
}

static void on_timeout(uv_timer_t *t)
{
    struct httpc *c = t->data;
    fail(c, HTTPC_TIMEOUT);
}

struct httpc *httpc_new(uv_loop_t *loop, const struct sockaddr_in *addr)
{
    struct httpc *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->addr = *addr;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    return c;
}

int httpc_send(struct httpc *c, const char *req, size_t len, uint64_t timeout_ms, httpc_cb cb,
               void *ctx)
{
    if (c->busy)
        return UV_EBUSY;
    if (len > c->req_cap) {
        char *p = xrealloc(c->req, len);
        c->req = p;
        c->req_cap = len;
    }
    memcpy(c->req, req, len);
    c->req_len = len;
    c->cb = cb;
    c->ctx = ctx;
    c->busy = true;
    c->rlen = 0;
    if (timeout_ms)
        uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
    if (!c->sock) {
        int rc = sock_open(c);
        if (rc < 0) {
            c->busy = false;
            uv_timer_stop(&c->timer);
            return rc;
        }
        return 0; /* written once connected */
    }
    if (c->sock->connected)
        write_request(c);
    return 0;
}

bool httpc_idle(const struct httpc *c)
{
    return !c->busy;
}

void httpc_drop(struct httpc *c)
{
    c->rlen = 0;
    sock_drop(c);
    finish(c, HTTPC_DROPPED, NULL);
}

uint64_t httpc_connects(const struct httpc *c)
{
    return c->connects;
}

static void timer_closed(uv_handle_t *h)
{
    struct httpc *c = h->data;
    free(c->req);
    free(c->rbuf);
    free(c);
}

void httpc_free(struct httpc *c)
{
    if (!c || c->freeing)
        return;
    c->freeing = true;
    c->busy = false;
    sock_drop(c);
    uv_close((uv_handle_t *)&c->timer, timer_closed);
}

size_t httpc_head(char *out, size_t size, const char *method, const char *path, const char *host,
                  const char *token, size_t body_len)
{
    int n;
    if (body_len || strcmp(method, "POST") == 0)
        n = snprintf(out, size,
                     "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, host, token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "", body_len);
    else
        n = snprintf(out, size, "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", method, path, host,
                     token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "");
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
