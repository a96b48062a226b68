/* See app.h. Start-up: listen first (so /healthz answers at once), connect to
 * PostgreSQL, load everything, then accept writes (/readyz turns 200).
 * Shutdown on the first SIGINT/SIGTERM: refuse new writes, let the writer
 * finish what is queued and in flight (up to DRAIN_MAX_MS), give the last
 * replies a moment to leave, then close everything and require the loop to
 * close cleanly. A second signal skips the wait. */
#include "app.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "db/fence.h"
#include "core/random.h"
#include "db/audit_read.h"
#include "app_ingest.h"
#include "app_keyfile.h"
#include "db/load.h"
#include "db/pg.h"
#include "db/review_store.h"
#include "db/photo_pg.h"
#include "db/snapshot.h"
#include "db/token_store.h"
#include "domain/kpu.h"
#include "domain/form_photos.h"
#include "net/api.h"
#include "net/live.h"
#include "net/live_thread.h"
#include "net/live_tick.h"
#include "net/photo.h"
#include "net/publish.h"
#include "net/web.h"
#include "core/mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_MAX_MS 5000
#define DRAIN_POLL_MS 20
#define REPLY_GRACE_MS 100
#define RELOAD_DELAY_MS 2000
#define CLAIM_ATTEMPTS 15
#define CLAIM_RETRY_MS 1000

struct app {
    uv_loop_t loop;
    const struct config *cfg;
    struct registry reg;
    struct tallies tallies;
    struct ledger ledger;
    struct auth auth;
    struct review_desk desk; /* review claims and requests */
    struct election election;
    struct audit_agg audit_agg;
    uv_timer_t audit_timer; /* ends each audit aggregation window */
    struct publog log;
    struct sign_key log_key; /* empty without --log-key */
    char log_key_sql[256];
    struct load_target target;
    struct api api;
    struct pg *pg;
    struct fence *fence;
    struct ingest *ingest; /* every write, from the API to its answer */
    struct timeline timeline;
    struct snapshotter *snapshotter;
    struct web *web;
    struct live *live;               /* the feed on --listen, on this loop */
    struct live_tick *live_tick;     /* the feeds' counting side */
    struct live_thread *live_thread; /* --live-listen */
    struct publisher *publisher;     /* --publish-url, or NULL */
    struct photo_index photo_index;
    struct photos *photos;
    struct photo_pg *photo_pg; /* the photo store's own connection */
    uv_signal_t sigint, sigterm;
    uv_timer_t timer;     /* load retry, then shutdown drain */
    uv_timer_t sth_timer; /* the public log's next head */
    bool loading, loaded, stopping, closed, signals_closed;
    int claim_attempts;
    int64_t stop_started_ms;
    int exit_code;
    bool restart; /* the election switched mode: run again on the new state */
};

static void start_load(struct app *a);
static void review_load_requests(struct app *a);

/* The API's writes (net/api.h struct api_ingest) go to the ingest module,
 * created once the ledger is loaded (no write reaches the API before). */
static int ingest_form_cb(void *ctx, struct form *f, struct waiter *w)
{
    return ingest_form(((struct app *)ctx)->ingest, f, w);
}

static int ingest_decision_cb(void *ctx, struct form *f, struct decision *d, struct waiter *w)
{
    return ingest_decision(((struct app *)ctx)->ingest, f, d, w);
}

static int ingest_finalize_cb(void *ctx, struct final_req *fr, struct waiter *w)
{
    return ingest_finalize(((struct app *)ctx)->ingest, fr, w);
}

static void ingest_resubmit_cb(void *ctx, struct form *f, struct waiter *w)
{
    ingest_resubmit(((struct app *)ctx)->ingest, f, w);
}

/* The tallies' with_photo needs both the forms and the photo index. */
static void photo_index_loaded(void *ctx)
{
    struct app *a = ctx;
    if (a->loaded)
        form_photos_recount(&a->ledger);
}

static void photo_stored(void *ctx, const char *sha256)
{
    struct app *a = ctx;
    if (a->loaded)
        form_photos_stored_one(&a->ledger, sha256);
}

/* A new tree head when the log grew, at most once per --sth-ms. */
static void make_head(struct app *a)
{
    if (!a->loaded || !publog_head_due(&a->log))
        return;
    if (publog_make_head(&a->log, clock_now_ms()) != 0)
        log_error("sth_failed", "error=\"signing the tree head failed\" tree_size=%lld",
                  (long long)publog_size(&a->log));
}

static void on_sth_timer(uv_timer_t *t)
{
    make_head(t->data);
}

/* So `suara log key --db` can tell which key signs this database's heads. */
static void record_log_key(struct app *a)
{
    if (!a->log_key.pkey)
        return;
    snprintf(a->log_key_sql, sizeof a->log_key_sql,
             "INSERT INTO log_keys (public_key) VALUES ('%s') ON CONFLICT (public_key) "
             "DO UPDATE SET last_used = now()",
             a->log_key.public_hex); /* hex only: nothing to quote */
    pg_exec(a->pg, a->log_key_sql);
}

static void retry_load(uv_timer_t *t)
{
    start_load(t->data);
}

static void close_signals(struct app *a);

static void loaded(void *ctx, bool ok)
{
    struct app *a = ctx;
    if (!ok && a->stopping) { /* load_stop: everything is closing */
        if (a->closed)
            close_signals(a); /* kept open while the load's pool step ran */
        return;
    }
    if (!ok) {
        a->loading = false;
        a->api.not_ready_reason = a->target.error;
        uv_timer_start(&a->timer, retry_load, RELOAD_DELAY_MS, 0);
        return;
    }
    review_load_requests(a);
}

static void requests_loaded(void *ctx, bool ok);
static void claim(struct app *a);

static void retry_requests(uv_timer_t *t)
{
    review_load_requests(t->data);
}

/* The review desk's requests load after the forms they belong to, before the
 * server says it is ready (a reviewer must see every earlier request). */
static void review_load_requests(struct app *a)
{
    if (a->stopping)
        return;
    if (!pg_is_up(a->pg)) {
        uv_timer_start(&a->timer, retry_requests, RELOAD_DELAY_MS, 0);
        return;
    }
    review_desk_free(&a->desk);
    if (review_desk_init(&a->desk, a->cfg->max_claims, a->cfg->claims_per_token,
                         (int64_t)a->cfg->claim_s * 1000) != SU_OK) {
        uv_timer_start(&a->timer, retry_requests, RELOAD_DELAY_MS, 0);
        return;
    }
    review_store_load(a->pg, &a->desk, requests_loaded, a);
}

static void save_request(void *ctx, struct review_request *r, struct waiter *w)
{
    struct app *a = ctx;
    ingest_review_request(a->pg, &a->desk, &a->auth, r, w);
}

static void save_tokens(void *ctx, struct token_batch *b, struct waiter *w)
{
    struct app *a = ctx;
    token_store_save(a->pg, &a->auth, &a->reg, b, w);
}

static void requests_loaded(void *ctx, bool ok)
{
    struct app *a = ctx;
    if (!ok) {
        if (!a->stopping)
            uv_timer_start(&a->timer, retry_requests, RELOAD_DELAY_MS, 0);
        return;
    }
    a->loading = false;
    a->api.desk = &a->desk;
    a->api.save_request = save_request;
    a->api.save_tokens = save_tokens;
    a->api.save_ctx = a;
    a->loaded = true;
    if (pg_session(a->pg) != a->target.claim_session) {
        /* The connection came back while the review requests loaded: the
         * claim was taken in the session that ended, and db_up did not take
         * it again (the load was under way). No write before it is. */
        a->api.db_up = false;
        claim(a);
    }
    a->ledger.photos = &a->photo_index;
    if (a->photo_index.loaded)
        form_photos_recount(&a->ledger);
    a->ingest =
        ingest_new(&a->loop, a->cfg, &a->ledger, a->target.claim_generation, &a->election.epoch);
    a->snapshotter = snapshot_new(&a->loop, a->cfg, &a->timeline, &a->tallies);
    snapshot_set_epoch(a->snapshotter, &a->election.epoch);
    a->api.timeline = &a->timeline;
    a->api.election = &a->election;
    a->api.tallies = &a->tallies;
    a->api.ledger = &a->ledger;
    a->api.auth = &a->auth;
    a->api.reg = &a->reg;
    a->api.not_ready_reason = NULL;
    g_metrics.claim_held = 1;
    a->api.log = &a->log;
    make_head(a);
    uv_timer_start(&a->sth_timer, on_sth_timer, (uint64_t)a->cfg->sth_ms, (uint64_t)a->cfg->sth_ms);
    record_log_key(a);
    live_tick_ready(a->live_tick);
    if (a->publisher) {
        publisher_set_mode(a->publisher, election_mode_name(a->election.mode));
        publisher_start(a->publisher, &a->tallies);
    }
    log_info("ready", "listen=%s:%d mode=%s epoch=%d", a->cfg->host, a->cfg->port,
             election_mode_name(a->election.mode), a->election.epoch);
}

static void start_load(struct app *a)
{
    if (a->loading || a->loaded || a->stopping || !pg_is_up(a->pg))
        return;
    a->loading = true;
    a->api.not_ready_reason = "loading";
    load_all(&a->loop, a->pg, &a->target, loaded, a);
}

static void tokens_reloaded(void *ctx, struct auth *fresh)
{
    struct app *a = ctx;
    if (!fresh || a->stopping) {
        if (fresh) {
            auth_free(fresh);
            free(fresh);
        }
        return;
    }
    auth_carry_rate_state(fresh, &a->auth);
    auth_free(&a->auth);
    a->auth = *fresh;
    free(fresh);
    log_info("tokens_reloaded", "tokens=%d", a->auth.n);
    live_tokens_reloaded(a->live, &a->auth);
}

/* After `suara import kpu` (NOTIFY suara_kpu) or a reconnect. */
static void kpu_reloaded(void *ctx, struct kpu *fresh)
{
    struct app *a = ctx;
    if (!fresh)
        return;
    if (a->stopping) {
        kpu_free(fresh);
        free(fresh);
        return;
    }
    kpu_install(&a->ledger, fresh);
    log_info("kpu_reloaded", "rows=%lld", (long long)fresh->rows);
}

static void close_everything(struct app *a);
static void begin_stop(struct app *a);

/* After NOTIFY suara_election (or a reconnect): a new epoch means the data
 * this server holds is gone (the rehearsal ended), so it stops serving it and
 * runs again on the new state; otherwise it learns the CLI's final regions. */
static void election_reloaded(void *ctx, struct election_state *st)
{
    struct app *a = ctx;
    if (!st || a->stopping) {
        if (st)
            free(st->finals);
        free(st);
        return;
    }
    if (st->election.epoch != a->election.epoch) {
        log_info("election_switched", "mode=%s epoch=%d was=%d; restarting on the new state",
                 election_mode_name(st->election.mode), st->election.epoch, a->election.epoch);
        a->restart = true;
        a->api.reg = NULL; /* every API call: 503 not_ready until the restart */
        a->api.not_ready_reason = "the election switched mode; restarting";
        begin_stop(a);
    } else {
        for (int i = 0; i < st->n; i++) {
            const struct final_region *f = &st->finals[i];
            if (!finals_covers(&a->tallies, f->contest, f->region))
                finals_add(&a->ledger.finals, &a->tallies, f->contest, f->region, f->at_ms);
        }
    }
    free(st->finals);
    free(st);
}

static void reclaimed(void *ctx, enum db_claim result);

static void claim(struct app *a)
{
    load_claim(a->pg, a->target.claim_generation, reclaimed, a);
}

static void claim_again(uv_timer_t *t)
{
    struct app *a = t->data;
    if (pg_is_up(a->pg) && !a->stopping)
        claim(a);
}

static void lost_database(struct app *a)
{
    log_error("db_lost", "error=\"another suara serve took over the database; stopping\"");
    g_metrics.claims_lost++;
    g_metrics.claim_held = 0;
    a->exit_code = 1;
    a->stopping = true;
    a->api.draining = true;
    close_everything(a);
}

/* After a reconnect. Losing the database to another server is fatal: this
 * server's tallies no longer describe it, and its waiting batch must never be
 * written over the other's (the database refuses it too: suara_batch). */
static void reclaimed(void *ctx, enum db_claim result)
{
    struct app *a = ctx;
    if (result == DB_CLAIM_OK) {
        a->claim_attempts = 0;
        a->api.db_up = pg_is_up(a->pg);
        g_metrics.claim_held = a->api.db_up;
        return;
    }
    if (result == DB_CLAIM_LOST) {
        lost_database(a);
        return;
    }
    if (!pg_is_up(a->pg))
        return; /* the connection broke again; the next one claims again */
    if (++a->claim_attempts < CLAIM_ATTEMPTS) {
        /* Maybe our own previous session, not yet ended by the server. */
        uv_timer_start(&a->timer, claim_again, CLAIM_RETRY_MS, 0);
        return;
    }
    lost_database(a);
}

static void db_up(void *ctx)
{
    struct app *a = ctx;
    g_metrics.db_up = 1;
    fence_session_up(a->fence);
    pg_exec(a->pg, "LISTEN suara_tokens");
    pg_exec(a->pg, "LISTEN " ELECTION_CHANNEL);
    pg_exec(a->pg, "LISTEN suara_kpu");
    if (a->loaded) {
        /* Writes resume only once this server holds the database again. */
        claim(a);
        load_tokens(a->pg, &a->reg, tokens_reloaded, a); /* may have changed meanwhile */
        load_election(a->pg, &a->reg, election_reloaded, a);
        load_kpu(a->pg, &a->reg, kpu_reloaded, a);
    } else {
        a->api.db_up = true;
        start_load(a);
    }
}

static void db_down(void *ctx)
{
    struct app *a = ctx;
    a->api.db_up = false;
    g_metrics.db_up = g_metrics.claim_held = 0;
}

static void db_notify(void *ctx, const char *channel)
{
    struct app *a = ctx;
    if (a->loaded && strcmp(channel, "suara_tokens") == 0)
        load_tokens(a->pg, &a->reg, tokens_reloaded, a);
    if (a->loaded && strcmp(channel, ELECTION_CHANNEL) == 0)
        load_election(a->pg, &a->reg, election_reloaded, a);
    if (a->loaded && strcmp(channel, "suara_kpu") == 0)
        load_kpu(a->pg, &a->reg, kpu_reloaded, a);
}

/* Ends the audit window: its aggregated events go to the ingest module like any
 * other write (dropped, and logged, when the queue is full). */
static void flush_audit(struct app *a)
{
    int n = 0;
    struct audit_row **rows =
        audit_agg_flush(&a->audit_agg, clock_now_ms(), a->cfg->audit_window_s, &n);
    for (int i = 0; i < n; i++) {
        if (a->ingest) {
            ingest_audit(a->ingest, rows[i]); /* logged there when dropped */
            continue;
        }
        log_warn("audit_dropped", "kind=%s detail=%s", rows[i]->kind, rows[i]->detail);
        free(rows[i]->detail);
        free(rows[i]);
    }
    free(rows);
}

static void on_audit_window(uv_timer_t *t)
{
    flush_audit(t->data);
}

static void close_signals(struct app *a)
{
    if (a->signals_closed)
        return;
    a->signals_closed = true;
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void close_everything(struct app *a)
{
    if (a->closed)
        return;
    a->closed = true;
    uv_timer_stop(&a->timer);
    uv_close((uv_handle_t *)&a->timer, NULL);
    uv_close((uv_handle_t *)&a->audit_timer, NULL);
    uv_timer_stop(&a->sth_timer);
    uv_close((uv_handle_t *)&a->sth_timer, NULL);
    /* A load's step in the thread pool cannot be cut short: until it comes
     * back (loaded), a second signal must not find libuv's default action
     * restored, which would kill the process half-way. */
    if (!a->target.busy)
        close_signals(a);
    live_tick_stop(a->live_tick); /* and the thread's feed stops */
    live_stop(a->live);
    publisher_close(a->publisher);
    web_stop(a->web);
    photos_stop(a->photos);
    photo_pg_close(a->photo_pg); /* an upload being stored answers 503 */
    /* The writes first: a batch that pg_close finishes (not acknowledged)
     * must not be queued again on the closing connection. */
    if (a->ingest)
        ingest_close(a->ingest);
    if (a->snapshotter)
        snapshot_close(a->snapshotter);
    if (a->fence)
        fence_close(a->fence);
    load_stop(&a->target);
    if (a->pg)
        pg_close(a->pg);
}

static void close_after_grace(uv_timer_t *t)
{
    close_everything(t->data);
}

static void drain_tick(uv_timer_t *t)
{
    struct app *a = t->data;
    int64_t waited = clock_mono_ms() - a->stop_started_ms;
    bool idle = !a->ingest || ingest_idle(a->ingest);
    if (!idle && waited < DRAIN_MAX_MS)
        return;
    uv_timer_stop(t);
    /* Let the last acknowledgements reach their sockets, then close. */
    uv_timer_start(t, close_after_grace, REPLY_GRACE_MS, 0);
}

/* Refuses new writes, writes the last audit window, and lets the writer
 * drain before everything closes. */
static void begin_stop(struct app *a)
{
    flush_audit(a);
    uv_timer_stop(&a->audit_timer);
    a->stopping = true;
    a->api.draining = true;
    a->stop_started_ms = clock_mono_ms();
    load_stop(&a->target); /* a load under way ends at its next step, freeing what it built */
    uv_timer_stop(&a->timer);
    uv_timer_start(&a->timer, drain_tick, 0, DRAIN_POLL_MS);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct app *a = s->data;
    if (a->stopping) {
        close_everything(a);
        return;
    }
    log_info("stopping", "signal=%d", signum);
    begin_stop(a);
}

static void free_state(struct app *a)
{
    /* Loaded but never ready (the stop came while the review requests
     * loaded) holds the same state. */
    if (a->loaded || a->ledger.slots) {
        ledger_free(&a->ledger);
        tallies_free(&a->tallies);
        timeline_free(&a->timeline);
        registry_free(&a->reg);
    }
    auth_free(&a->auth);
    review_desk_free(&a->desk);
    audit_agg_free(&a->audit_agg);
    publog_free(&a->log);
    sign_key_free(&a->log_key);
}

static void audit_query(void *ctx, const char *kind, int64_t after, int limit, struct waiter *w)
{
    struct app *a = ctx;
    audit_read(a->pg, kind, after, limit, w);
}

static int start(struct app *a)
{
    char err[256];
    a->live_tick = live_tick_new(&a->loop, &a->api);
    a->live = live_new(&a->loop, &a->api, a->live_tick);
    a->photos = photos_new(&a->loop, a->cfg, &a->photo_index);
    a->api.photos = a->photos;
    if (!a->photos)
        return -1;
    a->web = web_start(&a->loop, a->cfg, &a->api, a->live, err, sizeof err);
    if (!a->live || !a->web || !web_listening(a->web)) {
        log_error("listen_failed", "error=\"%s\"", a->web ? err : "out of memory");
        return -1;
    }
    log_info("listen", "addr=%s:%d static=\"%s\"", a->cfg->host, a->cfg->port, a->cfg->static_dir);
    if (a->cfg->live_listen) {
        a->live_thread = live_thread_start(&a->api, a->live_tick, err, sizeof err);
        if (!a->live_thread) {
            log_error("listen_failed", "error=\"%s\"", err);
            return -1;
        }
        log_info("live_listen", "addr=%s:%d nice=%d", a->cfg->live_host, a->cfg->live_port,
                 a->cfg->live_nice);
    }
    if (a->cfg->publish_url) {
        struct http_url url;
        http_url_parse(a->cfg->publish_url, &url); /* checked by config_parse */
        a->publisher = publisher_new(&a->loop, &url, a->cfg->publish_connections, a->cfg->tick_ms,
                                     a->cfg->publish_refresh_s);
        if (!a->publisher)
            return -1;
    }
    struct pg_events ev = {db_up, db_down, db_notify, a};
    a->pg = pg_new(&a->loop, a->cfg->db, &ev);
    if (!a->pg)
        return -1;
    a->fence = fence_new(&a->loop, a->pg, a->cfg->fence_ms);
    pg_start(a->pg);
    a->photo_pg = photo_pg_start(&a->loop, a->cfg->db, &a->photo_index, photo_index_loaded, a);
    if (!a->photo_pg)
        return -1;
    struct photo_store store;
    photo_pg_store(a->photo_pg, &store);
    photos_set_store(a->photos, &store);
    photos_on_stored(a->photos, photo_stored, a);
    return 0;
}

int app_run(const struct config *cfg)
{
    struct app *a = xcalloc(1, sizeof *a);
    if (!a)
        return 1;
    a->cfg = cfg;
    a->target = (struct load_target){.election = &a->election,
                                     .reg = &a->reg,
                                     .tallies = &a->tallies,
                                     .ledger = &a->ledger,
                                     .auth = &a->auth,
                                     .timeline = &a->timeline,
                                     .log = &a->log};
    a->api = (struct api){
        .cfg = cfg,
        .ingest = {ingest_form_cb, ingest_decision_cb, ingest_finalize_cb, ingest_resubmit_cb, a},
        .not_ready_reason = "connecting to the database",
        .audit_agg = &a->audit_agg,
        .audit_query = audit_query,
        .audit_ctx = a};
    auth_init(&a->auth);
    photo_index_init(&a->photo_index);
    if (random_bytes(&a->api.epoch, sizeof a->api.epoch) != SU_OK)
        a->api.epoch = (uint32_t)clock_now_ms() ^ (uint32_t)getpid();
    if (audit_agg_init(&a->audit_agg, cfg->audit_sources_max, clock_now_ms()) != SU_OK) {
        free(a);
        return 1;
    }
    if (cfg->log_key) {
        char err[300];
        if (keyfile_load(cfg->log_key, &a->log_key, err, sizeof err) != 0) {
            log_error("log_key_failed", "error=\"%s\"", err);
            audit_agg_free(&a->audit_agg);
            free(a);
            return 1;
        }
    }
    if (publog_init(&a->log, &a->log_key) != 0) {
        sign_key_free(&a->log_key);
        audit_agg_free(&a->audit_agg);
        free(a);
        return 1;
    }
    metrics_init();
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&a->loop);
    uv_timer_init(&a->loop, &a->timer);
    a->timer.data = a;
    uv_timer_init(&a->loop, &a->audit_timer);
    a->audit_timer.data = a;
    uint64_t window_ms = (uint64_t)cfg->audit_window_s * 1000;
    uv_timer_start(&a->audit_timer, on_audit_window, window_ms, window_ms);
    uv_timer_init(&a->loop, &a->sth_timer);
    a->sth_timer.data = a;
    uv_signal_init(&a->loop, &a->sigint);
    uv_signal_init(&a->loop, &a->sigterm);
    a->sigint.data = a->sigterm.data = a;
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);

    if (start(a) != 0) {
        a->exit_code = 1;
        close_everything(a);
    }
    uv_run(&a->loop, UV_RUN_DEFAULT);
    web_free(a->web);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    live_free(a->live);
    if (live_thread_join(a->live_thread) != 0)
        a->exit_code = 1;
    live_tick_free(a->live_tick);
    photos_free(a->photos);
    photo_index_free(&a->photo_index);
    int rc = uv_loop_close(&a->loop);
    if (rc != 0) {
        log_error("loop_not_closed", "error=\"%s\"", uv_strerror(rc));
        a->exit_code = 1;
    }
    free_state(a);
    int code = a->restart && a->exit_code == 0 ? APP_RESTART : a->exit_code;
    log_info("stopped", "exit_code=%d restart=%d", a->exit_code, a->restart);
    free(a);
    return code;
}
