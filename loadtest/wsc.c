/* See wsc.h. The read buffer holds the tail of the stream that is not yet a
 * whole frame; whole frames are consumed in place. What RFC 6455 asks of a
 * client is checked, so a load test cannot pass against a server that breaks
 * the protocol: the upgrade's Sec-WebSocket-Accept must be the digest of our
 * key (section 4.1), a server's frame must not be masked (5.1), control frames
 * are whole and short (5.5), and a close frame is answered by one (5.5.1). */
#include "wsc.h"
#include "core/mem.h"
#include "formgen.h"

#include <openssl/evp.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536
#define FRAME_MAX (16u << 20)

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

struct wsc {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_connect_t connect;
    struct sockaddr_in addr;
    char host[64], path[128];
    wsc_message_cb on_message;
    wsc_state_cb on_state;
    void *ctx;
    bool upgraded, dead, freeing, handle_open;
    char *rbuf;
    size_t rlen, rcap;
    char *msg; /* fragments of a message being reassembled */
    size_t mlen, mcap;
    uint64_t mask_seed;
    char accept[WSC_ACCEPT_SIZE]; /* the Sec-WebSocket-Accept the server must send */
    bool close_sent;
};

struct wwrite {
    uv_write_t req;
    char data[];
};

static void die(struct wsc *w, int err)
{
    if (w->dead)
        return;
    w->dead = true;
    uv_read_stop((uv_stream_t *)&w->tcp);
    if (!w->freeing)
        w->on_state(w, w->ctx, err);
}

static void on_write(uv_write_t *req, int status)
{
    struct wsc *w = req->handle->data;
    free(req);
    if (status < 0 && !w->freeing)
        die(w, status);
}

static int send_raw(struct wsc *w, const void *data, size_t len)
{
    if (w->dead)
        return UV_ENOTCONN;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&w->tcp, &b, 1);
    if (n == (int)len)
        return 0;
    if (n < 0 && n != UV_EAGAIN)
        return n;
    size_t done = n > 0 ? (size_t)n : 0;
    struct wwrite *wr = xmalloc(sizeof *wr + len - done);
    memcpy(wr->data, (const char *)data + done, len - done);
    b = uv_buf_init(wr->data, (unsigned)(len - done));
    int rc = uv_write(&wr->req, (uv_stream_t *)&w->tcp, &b, 1, on_write);
    if (rc < 0)
        free(wr);
    return rc;
}

static int send_frame(struct wsc *w, int opcode, const char *payload, size_t len)
{
    unsigned char stack[256];
    size_t need = 14 + len;
    unsigned char *f = need <= sizeof stack ? stack : xmalloc(need);
    if (!f)
        return UV_ENOMEM;
    size_t at = 0;
    f[at++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        f[at++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        f[at++] = 0x80 | 126;
        f[at++] = (unsigned char)(len >> 8);
        f[at++] = (unsigned char)len;
    } else {
        f[at++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            f[at++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    uint32_t key = (uint32_t)lt_mix(w->mask_seed++);
    unsigned char *mask = f + at;
    memcpy(mask, &key, 4);
    at += 4;
    for (size_t i = 0; i < len; i++)
        f[at + i] = (unsigned char)payload[i] ^ mask[i & 3];
    int rc = send_raw(w, f, at + len);
    if (f != stack)
        free(f);
    return rc;
}

int wsc_send_text(struct wsc *w, const char *text, size_t len)
{
    return w->upgraded ? send_frame(w, OP_TEXT, text, len) : UV_ENOTCONN;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    struct wsc *w = h->data;
    if (w->rcap - w->rlen < READ_CHUNK) {
        size_t cap = w->rcap ? w->rcap * 2 : 2 * READ_CHUNK;
        char *p = cap <= 2 * FRAME_MAX ? xrealloc(w->rbuf, cap) : NULL;
        if (!p) {
            *out = uv_buf_init(NULL, 0);
            return;
        }
        w->rbuf = p;
        w->rcap = cap;
    }
    *out = uv_buf_init(w->rbuf + w->rlen, (unsigned)(w->rcap - w->rlen));
}

static int append_msg(struct wsc *w, const unsigned char *p, size_t n)
{
    if (w->mlen + n > FRAME_MAX)
        return -1;
    if (w->mlen + n > w->mcap) {
        size_t cap = w->mcap ? w->mcap : 4096;
        while (cap < w->mlen + n)
            cap *= 2;
        char *q = xrealloc(w->msg, cap);
        w->msg = q;
        w->mcap = cap;
    }
    memcpy(w->msg + w->mlen, p, n);
    w->mlen += n;
    return 0;
}

/* Handles one whole frame. 0 to go on, else an error code. */
static int on_frame(struct wsc *w, int fin, int opcode, unsigned char *payload, size_t len)
{
    switch (opcode) {
    case OP_PING:
        return send_frame(w, OP_PONG, (const char *)payload, len) < 0 ? WSC_PROTOCOL : 0;
    case OP_PONG:
        return 0;
    case OP_CLOSE:
        /* Echo the status code (the first two bytes), as section 5.5.1 asks,
         * and stop reading: the server closes the TCP connection. */
        if (!w->close_sent) {
            w->close_sent = true;
            send_frame(w, OP_CLOSE, (const char *)payload, len >= 2 ? 2 : 0);
        }
        return WSC_CLOSED;
    case OP_TEXT:
    case OP_BINARY:
        w->mlen = 0;
        /* fall through */
    case OP_CONT:
        if (append_msg(w, payload, len) != 0)
            return WSC_PROTOCOL;
        if (fin) {
            w->on_message(w, w->ctx, w->msg ? w->msg : "", w->mlen);
            w->mlen = 0;
        }
        return 0;
    default:
        return WSC_PROTOCOL;
    }
}

/* Consumes every whole frame in the buffer. */
static int parse_frames(struct wsc *w)
{
    size_t at = 0;
    int rc = 0;
    while (!w->dead) {
        unsigned char *p = (unsigned char *)w->rbuf + at;
        size_t avail = w->rlen - at;
        if (avail < 2)
            break;
        int fin = p[0] >> 7, opcode = p[0] & 0x0f, masked = p[1] >> 7;
        uint64_t len = p[1] & 0x7f;
        size_t hdr = 2;
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)p[2] << 8 | p[3];
            hdr = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | p[2 + i];
            hdr = 10;
        }
        if (len > FRAME_MAX || masked)
            return WSC_PROTOCOL; /* a server must never mask (RFC 6455 5.1) */
        if ((opcode & 8) && (!fin || len > 125))
            return WSC_PROTOCOL; /* control frames are whole and short (5.5) */
        if (avail < hdr + len)
            break;
        unsigned char *payload = p + hdr;
        at += hdr + (size_t)len;
        rc = on_frame(w, fin, opcode, payload, (size_t)len);
        if (rc != 0)
            return rc;
    }
    if (at) {
        memmove(w->rbuf, w->rbuf + at, w->rlen - at);
        w->rlen -= at;
    }
    return 0;
}

void wsc_accept_key(const char *key, char out[WSC_ACCEPT_SIZE])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char text[128];
    int n = snprintf(text, sizeof text, "%s%s", key, guid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (n < 0 || (size_t)n >= sizeof text ||
        !EVP_Digest(text, (size_t)n, digest, &len, EVP_sha1(), NULL) || len != 20) {
        out[0] = '\0'; /* never matches an answer */
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, digest, 20);
}

/* True when the response head (len bytes, ending in CRLF CRLF) has exactly
 * one Sec-WebSocket-Accept header whose value is `want`. */
static bool accept_matches(const char *head, size_t len, const char *want)
{
    static const char name[] = "\r\nSec-WebSocket-Accept:";
    const size_t nlen = sizeof name - 1;
    int found = 0;
    bool ok = false;
    for (size_t i = 0; i + nlen <= len; i++) {
        if (strncasecmp(head + i, name, nlen) != 0)
            continue;
        const char *v = head + i + nlen;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = strcspn(v, " \t\r");
        found++;
        ok = *want && vlen == strlen(want) && memcmp(v, want, vlen) == 0;
    }
    return found == 1 && ok;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct wsc *w = s->data;
    if (w->dead)
        return;
    if (n < 0) {
        die(w, (int)n);
        return;
    }
    if (n == 0)
        return;
    w->rlen += (size_t)n;
    if (!w->upgraded) {
        char *end = NULL;
        for (size_t i = 3; i < w->rlen && !end; i++) {
            if (memcmp(w->rbuf + i - 3, "\r\n\r\n", 4) == 0)
                end = w->rbuf + i + 1;
        }
        if (!end)
            return;
        size_t head = (size_t)(end - w->rbuf);
        if (w->rlen < 12 || memcmp(w->rbuf + 9, "101", 3) != 0 ||
            !accept_matches(w->rbuf, head, w->accept)) {
            die(w, WSC_HANDSHAKE);
            return;
        }
        memmove(w->rbuf, end, w->rlen - head);
        w->rlen -= head;
        w->upgraded = true;
        w->on_state(w, w->ctx, 0);
        if (w->dead || w->freeing)
            return;
    }
    int rc = parse_frames(w);
    if (rc)
        die(w, rc);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct wsc *w = req->data;
    if (w->freeing)
        return;
    if (status < 0) {
        die(w, status);
        return;
    }
    uv_tcp_nodelay(&w->tcp, 1);
    unsigned char key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)lt_mix(w->mask_seed++);
    char key64[25];
    EVP_EncodeBlock((unsigned char *)key64, key, 16);
    wsc_accept_key(key64, w->accept);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     w->path, w->host, key64);
    int rc = uv_read_start((uv_stream_t *)&w->tcp, on_alloc, on_read);
    if (rc == 0)
        rc = send_raw(w, head, (size_t)n);
    if (rc < 0)
        die(w, rc);
}

struct wsc *wsc_new(uv_loop_t *loop, const struct sockaddr_in *addr, const char *host,
                    const char *path, wsc_message_cb on_message, wsc_state_cb on_state, void *ctx)
{
    struct wsc *w = xcalloc(1, sizeof *w);
    w->loop = loop;
    w->addr = *addr;
    snprintf(w->host, sizeof w->host, "%s", host);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->on_message = on_message;
    w->on_state = on_state;
    w->ctx = ctx;
    w->mask_seed = (uint64_t)(uintptr_t)w ^ uv_hrtime();
    return w;
}

int wsc_connect(struct wsc *w)
{
    uv_tcp_init(w->loop, &w->tcp);
    w->handle_open = true;
    w->tcp.data = w;
    w->connect.data = w;
    int rc = uv_tcp_connect(&w->connect, &w->tcp, (const struct sockaddr *)&w->addr, on_connect);
    if (rc < 0)
        w->dead = true;
    return rc;
}

static void release(struct wsc *w)
{
    free(w->rbuf);
    free(w->msg);
    free(w);
}

static void closed(uv_handle_t *h)
{
    release(h->data);
}

void wsc_free(struct wsc *w)
{
    if (!w || w->freeing)
        return;
    w->freeing = true;
    w->dead = true;
    if (w->handle_open)
        uv_close((uv_handle_t *)&w->tcp, closed);
    else
        release(w);
}
