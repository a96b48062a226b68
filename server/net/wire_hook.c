/* See wire_hook.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include "wire_hook.h"
#include "wire.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/u64map.h"

#include <dlfcn.h>
#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WIRE_FD_MAX (1 << 20)

struct watched {
    struct wire_conn wire;
    struct lws *wsi;
    int fd;
    bool unmasked;
};

/* Indexed by descriptor, so the lookup on every read costs one load and
 * descriptors nobody watches cost nothing. Made once per thread that serves
 * lws connections (the counting loop's, and the live thread's with
 * --live-listen), as large as the process's descriptor limit: each thread
 * sees only its own sockets, so a descriptor number one thread has just
 * closed and the other reuses is never looked up in the wrong table, and
 * the thread pool's reads find nothing. */
static _Thread_local struct watched **by_fd;
static _Thread_local int fd_cap;
static _Thread_local struct u64map
    by_wsi; /* (uintptr_t)wsi -> watched: the fd is gone at destroy */

static struct watched *lookup(int fd)
{
    return fd >= 0 && fd < fd_cap ? by_fd[fd] : NULL;
}

void wire_watch(struct lws *wsi)
{
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0)
        return;
    if (!by_fd) {
        struct rlimit lim;
        rlim_t cap = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 1024;
        cap = cap > WIRE_FD_MAX ? WIRE_FD_MAX : cap < 1024 ? 1024 : cap;
        by_fd = xcalloc((size_t)cap, sizeof *by_fd);
        fd_cap = (int)cap;
    }
    if (fd >= fd_cap) {
        log_warn("wire_unwatched", "fd=%d limit=%d", fd, fd_cap);
        return;
    }
    struct watched *w = by_fd[fd];
    if (!w) {
        w = xcalloc(1, sizeof *w);
        by_fd[fd] = w;
    } else {
        u64map_del(&by_wsi, (uintptr_t)w->wsi);
    }
    wire_conn_init(&w->wire);
    w->wsi = wsi;
    w->fd = fd;
    w->unmasked = false;
    SU_ASSERT(u64map_put(&by_wsi, (uintptr_t)wsi, w) == 0);
}

void wire_forget(struct lws *wsi)
{
    struct watched *w = u64map_del(&by_wsi, (uintptr_t)wsi);
    if (!w)
        return;
    if (lookup(w->fd) == w)
        by_fd[w->fd] = NULL;
    free(w);
}

void wire_release_thread(void)
{
    size_t pos = 0;
    for (struct watched *w; (w = u64map_next(&by_wsi, &pos));)
        free(w);
    u64map_free(&by_wsi);
    free(by_fd);
    by_fd = NULL;
    fd_cap = 0;
}

bool wire_unmasked(struct lws *wsi)
{
    struct watched *w = u64map_get(&by_wsi, (uintptr_t)wsi);
    return w && w->unmasked;
}

/* The answer to a refused head: a complete response with its JSON error,
 * sent in one write (far below any socket buffer), then the connection is
 * closed, since what follows the head cannot be framed. */
static size_t refusal(enum wire_verdict v, char *out, size_t size)
{
    bool uri = v == WIRE_URI_TOO_BIG;
    char body[256];
    int blen = snprintf(body, sizeof body,
                        "{\"error\": {\"code\": \"%s\", \"message\": \"%s\", \"details\": []}}\n",
                        uri ? "uri_too_long" : "headers_too_large",
                        uri ? "the request line is over 4096 bytes or 64 query arguments"
                            : "the request headers are over 4096 bytes or 64 lines");
    int n = snprintf(out, size,
                     "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n\r\n%s",
                     uri ? "414 URI Too Long" : "431 Request Header Fields Too Large", blen, body);
    metrics_count_http(uri ? 414 : 431);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* What the read of n bytes into buf on w becomes: how many bytes lws gets,
 * or 0 for "the peer is gone" after a refusal was sent with send_fn. */
static ssize_t check(struct watched *w, unsigned char *buf, ssize_t n,
                     void (*send_fn)(void *ctx, const char *data, size_t len), void *ctx)
{
    if (n <= 0)
        return n;
    size_t pass;
    enum wire_verdict v = wire_feed(&w->wire, buf, (size_t)n, &pass);
    if (v == WIRE_HEAD_TOO_BIG || v == WIRE_URI_TOO_BIG) {
        char answer[512];
        size_t len = refusal(v, answer, sizeof answer);
        send_fn(ctx, answer, len);
        log_info("request_refused", "status=%d fd=%d", v == WIRE_URI_TOO_BIG ? 414 : 431, w->fd);
        return 0;
    }
    if (v == WIRE_UNMASKED && !w->unmasked) {
        w->unmasked = true;
        log_info("ws_unmasked_frame", "fd=%d", w->fd);
        lws_callback_on_writable(w->wsi);
    }
    if (pass == 0 && n > 0) {
        errno = EAGAIN; /* what came is dropped; lws reads again when more comes */
        return -1;
    }
    return (ssize_t)pass;
}

/* ---- recv ------------------------------------------------------------------ */

static ssize_t (*real_recv)(int, void *, size_t, int);

/* Sends the refusal, then reads what the peer already sent of its head:
 * closing a socket with unread bytes sends a reset, which can destroy the
 * answer before the client reads it. Bounded, and never blocking. */
static void send_plain(void *ctx, const char *data, size_t len)
{
    int fd = *(int *)ctx;
    if (send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        return; /* the peer is gone or stuck: it is closed either way */
    shutdown(fd, SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 64 && real_recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    if (!real_recv)
        real_recv = (ssize_t(*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
    ssize_t n = real_recv(fd, buf, len, flags);
    struct watched *w = lookup(fd);
    if (!w || (flags & MSG_PEEK))
        return n;
    return check(w, buf, n, send_plain, &fd);
}

/* ---- SSL_read (TLS connections) -------------------------------------------- */

typedef struct ssl_st SSL;
static int (*real_ssl_read)(SSL *, void *, int);
static int (*ssl_get_fd)(const SSL *);
static int (*ssl_write)(SSL *, const void *, int);

static void send_tls(void *ctx, const char *data, size_t len)
{
    if (ssl_write && ssl_write(ctx, data, (int)len) <= 0)
        (void)0; /* as send_plain */
}

int SSL_read(SSL *ssl, void *buf, int num);
int SSL_read(SSL *ssl, void *buf, int num)
{
    if (!real_ssl_read) {
        real_ssl_read = (int (*)(SSL *, void *, int))dlsym(RTLD_NEXT, "SSL_read");
        ssl_get_fd = (int (*)(const SSL *))dlsym(RTLD_DEFAULT, "SSL_get_fd");
        ssl_write = (int (*)(SSL *, const void *, int))dlsym(RTLD_DEFAULT, "SSL_write");
    }
    int n = real_ssl_read(ssl, buf, num);
    struct watched *w = ssl_get_fd ? lookup(ssl_get_fd(ssl)) : NULL;
    if (!w || n <= 0)
        return n;
    ssize_t kept = check(w, buf, n, send_tls, ssl);
    return kept < 0 ? -1 : (int)kept;
}
