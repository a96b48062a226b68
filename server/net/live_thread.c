/* See live_thread.h.
 *
 * Ownership: the main thread makes the loop and the serving side (its
 * handles are initialised before the thread runs, as libuv requires), then
 * hands both to the thread; from then until live_thread_join returns, only
 * the thread touches them. The start-up result is the one thing passed back,
 * under `mu`. */
#include "live_thread.h"
#include "live_lws.h"
#include "web.h"
#include "wire_hook.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/thread.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

struct live_thread {
    const struct config *cfg;
    uv_loop_t loop;
    struct live *live;
    struct lws_context *ctx;
    void *foreign_loops[1];
    lws_retry_bo_t retry;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cond;
    int started; /* 0 while starting, 1 listening, -1 failed (under mu) */
    char err[160];
    int loop_rc;
};

struct session {
    struct live_conn *conn;
};

static bool is_live_path(struct lws *wsi)
{
    char uri[64];
    return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 &&
           strcmp(uri, "/api/v1/live") == 0;
}

/* Only the WebSocket at /api/v1/live is served here; anything else over
 * plain HTTP is a 404 and the connection closes. */
static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct live_thread *lt = lws_context_user(lws_get_context(wsi));
    struct session *s = user;
    if (reason == LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
        wire_watch(wsi); /* before lws reads a byte: 431/414 and unmasked frames, as on --listen */
    else if (reason == LWS_CALLBACK_WSI_DESTROY)
        wire_forget(wsi);
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "the live feed is at /api/v1/live");
        return -1;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return is_live_path(wsi) ? 0 : -1;
    default:
        return live_callback(lt->live, wsi, reason, s ? &s->conn : NULL, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"suara", callback, sizeof(struct session), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static bool listen_live(struct live_thread *lt)
{
    const struct config *cfg = lt->cfg;
    struct lws_context_creation_info info;
    web_context_info(&info, cfg, cfg->live_host);
    lt->foreign_loops[0] = &lt->loop;
    info.foreign_loops = lt->foreign_loops;
    info.user = lt;
    info.protocols = protocols;
    info.pcontext = &lt->ctx;
    lt->ctx = lws_create_context(&info);
    if (!lt->ctx) {
        snprintf(lt->err, sizeof lt->err, "cannot create the live feed's web context");
        return false;
    }
    info.port = cfg->live_port;
    info.iface = cfg->live_host;
    info.vhost_name = "suara-live";
    info.alpn = "http/1.1";
    info.retry_and_idle_policy = &lt->retry; /* both 0: live.c's sweep, as on --listen */
    if (!lws_create_vhost(lt->ctx, &info)) {
        snprintf(lt->err, sizeof lt->err, "cannot listen on %s:%d for --live-listen (in use?)",
                 cfg->live_host, cfg->live_port);
        return false;
    }
    return true;
}

static void lower_priority(int nice_by)
{
    int err = thread_lower_priority(nice_by);
    if (err)
        log_warn("live_nice_failed", "error=\"%s\"", strerror(err));
}

static void report(struct live_thread *lt, int started)
{
    uv_mutex_lock(&lt->mu);
    lt->started = started;
    uv_cond_signal(&lt->cond);
    uv_mutex_unlock(&lt->mu);
}

/* On this thread, when the counting side says stop (after live_stop). */
static void on_stop(void *ctx)
{
    struct live_thread *lt = ctx;
    if (lt->ctx)
        lws_context_destroy(lt->ctx);
}

static void run(void *arg)
{
    struct live_thread *lt = arg;
    lower_priority(lt->cfg->live_nice);
    bool ok = listen_live(lt);
    if (!ok) {
        live_stop(lt->live);
        on_stop(lt);
    }
    report(lt, ok ? 1 : -1);
    uv_run(&lt->loop, UV_RUN_DEFAULT);
    /* As web_free: the loop can run dry before lws has finished. */
    if (lt->ctx) {
        lws_context_destroy(lt->ctx);
        uv_run(&lt->loop, UV_RUN_DEFAULT);
    }
    live_free(lt->live);
    lt->live = NULL;
    wire_release_thread();
    lt->loop_rc = uv_loop_close(&lt->loop);
}

static void free_thread(struct live_thread *lt)
{
    uv_mutex_destroy(&lt->mu);
    uv_cond_destroy(&lt->cond);
    free(lt);
}

struct live_thread *live_thread_start(struct api *api, struct live_tick *tick, char *err,
                                      size_t err_size)
{
    struct live_thread *lt = xcalloc(1, sizeof *lt);
    lt->cfg = api->cfg;
    uv_mutex_init(&lt->mu);
    uv_cond_init(&lt->cond);
    uv_loop_init(&lt->loop);
    lt->live = live_new(&lt->loop, api, tick);
    live_on_stop(lt->live, on_stop, lt);
    if (uv_thread_create(&lt->thread, run, lt) != 0) {
        snprintf(err, err_size, "cannot start the live feed's thread");
        live_stop(lt->live);
        uv_run(&lt->loop, UV_RUN_DEFAULT);
        live_free(lt->live);
        uv_loop_close(&lt->loop);
        free_thread(lt);
        return NULL;
    }
    uv_mutex_lock(&lt->mu);
    while (!lt->started)
        uv_cond_wait(&lt->cond, &lt->mu);
    int started = lt->started;
    uv_mutex_unlock(&lt->mu);
    if (started < 0) {
        snprintf(err, err_size, "%s", lt->err);
        live_thread_join(lt);
        return NULL;
    }
    return lt;
}

int live_thread_join(struct live_thread *lt)
{
    if (!lt)
        return 0;
    uv_thread_join(&lt->thread);
    int rc = lt->loop_rc;
    if (rc != 0)
        log_error("live_loop_not_closed", "error=\"%s\"", uv_strerror(rc));
    free_thread(lt);
    return rc ? -1 : 0;
}
