/* suara-empty-lws: the HTTP stack's own ceiling, for docs/benchmarks.md. The
 * same libwebsockets 4.1 on a foreign libuv loop as `suara serve` (explicit
 * vhost, HTTP/1.1 only, the same retry and idle policy), with a handler that
 * does nothing: a POST's body is read and dropped and answered 201 "{}" with
 * the headers and body in one write, any other request 200 "{}". Run beside
 * the server in the same wrk run, its requests/s are what Suara's per-form
 * work is measured against.
 *
 *   suara-empty-lws PORT        listens on 127.0.0.1:PORT until SIGINT/SIGTERM */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#if !defined(LWS_WITH_LIBUV)
#error "libwebsockets must be built with libuv support"
#endif

struct session {
    int status; /* 0 until the request is complete */
};

static struct lws_context *context;
static uv_signal_t sigint, sigterm;

static int write_reply(struct lws *wsi, struct session *s)
{
    unsigned char buf[LWS_PRE + 512];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 8;
    if (lws_add_http_common_headers(wsi, (unsigned)s->status, "application/json", 2, &p, end) ||
        lws_finalize_http_header(wsi, &p, end))
        return -1;
    memcpy(p, "{}", 2);
    p += 2;
    int n = (int)(p - start);
    s->status = 0;
    if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_FINAL) != n)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct session *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
            return 0; /* the body follows */
        s->status = 200;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        s->status = 201;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return s->status ? write_reply(wsi, s) : 0; /* writeable callbacks can be spurious */
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"http", callback, sizeof(struct session), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h, (void)signum;
    if (uv_is_closing((uv_handle_t *)&sigint))
        return;
    lws_context_destroy(context);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: suara-empty-lws PORT\n");
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    void *foreign_loops[1] = {&loop};
    lws_retry_bo_t retry = {.secs_since_valid_ping = 30, .secs_since_valid_hangup = 60};
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = foreign_loops;
    info.protocols = protocols;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.timeout_secs = 60;
    info.keepalive_timeout = 60;
    info.max_http_header_data = 4096;
    info.pcontext = &context;
    context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "cannot create the context (is libwebsockets-evlib-uv installed?)\n");
        return 1;
    }
    info.port = atoi(argv[1]);
    info.iface = "127.0.0.1";
    info.vhost_name = "empty";
    info.alpn = "http/1.1";
    info.retry_and_idle_policy = &retry;
    if (!lws_create_vhost(context, &info)) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%s\n", argv[1]);
        lws_context_destroy(context);
        uv_run(&loop, UV_RUN_DEFAULT);
        return 1;
    }
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* As the upstream foreign-loop example: the loop can run dry while the
     * context still exists. */
    if (context)
        lws_context_destroy(context);
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}
