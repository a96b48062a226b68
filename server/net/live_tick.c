/* See live_tick.h.
 *
 * Everything here runs on the counting loop and reads the tallies, the
 * ledger's final regions and the election's mode, which that loop owns. What
 * leaves is immutable (live_frame) or a copy (keys, seqs, a static mode
 * string). Per feed, a watched node is one the serving side has told us has
 * subscribers (LIVE_ITEM_WATCH, counted); its last snapshot is kept while
 * current (the node's seq, KPU's figures and the final regions, as the
 * ETags), so ten thousand viewers joining the province, or resyncing after
 * a stall, cost one encoding. */
#include "live_tick.h"
#include "api_life.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/u64map.h"
#include "domain/election.h"
#include "domain/view.h"

#include <stdlib.h>
#include <string.h>

/* Snapshots encoded per loop iteration, at most, as the serving side's
 * writes (live.c): ten thousand viewers resyncing at once must not hold the
 * witnesses' loop for the whole encoding. */
#define SNAPSHOT_BUDGET_US 250

struct watched {
    uint64_t key;
    int refs;
    int64_t sent_seq; /* the node's seq at its last update */
    struct live_frame *snap;
    int64_t snap_seq, snap_kpu;
    int snap_finals;
    bool snap_wanted; /* its key is in feed->wanted, to be encoded by snapshot_slice */
};

struct feed {
    struct live_tick *tick;
    struct live_link *link;
    struct u64map watched; /* key -> struct watched */
    const char *mode_sent;
    /* Keys of watched nodes whose snapshot a subscriber waits for, oldest
     * first, from `wanted_pos`; a key unwatched meanwhile is skipped. */
    uint64_t *wanted;
    size_t wanted_pos, wanted_len, wanted_cap;
};

struct live_tick {
    struct api *api;
    uv_timer_t timer;
    uv_check_t snap_check; /* snapshot_slice after each poll while some are wanted */
    uv_idle_t snap_idle;   /* ... without that poll blocking */
    struct feed feeds[LIVE_TICK_FEEDS_MAX];
    int n_feeds;
    bool ready;
    bool stopped;
};

static int key_contest(uint64_t key)
{
    return (int)(key >> 32);
}

static int32_t key_region(uint64_t key)
{
    return (int32_t)(uint32_t)key;
}

static struct live_frame *encode(struct live_tick *t, const char *type, uint64_t key, int64_t since)
{
    cJSON *o = view_tally_node(type, t->api->tallies, key_contest(key), key_region(key), since);
    api_life_tag_live(t->api, o);
    char *json = view_json(o);
    if (!json)
        return NULL;
    struct live_frame *f = live_frame_new(json, strlen(json));
    free(json);
    return f;
}

static int64_t node_seq(const struct live_tick *t, uint64_t key)
{
    return tally_node(t->api->tallies, key_contest(key), key_region(key))->seq;
}

/* ---- requests from the serving side ----------------------------------------- */

static void watch(struct feed *f, uint64_t key)
{
    struct watched *w = u64map_get(&f->watched, key);
    if (!w) {
        w = xcalloc(1, sizeof *w);
        w->key = key;
        w->sent_seq = f->tick->ready ? node_seq(f->tick, key) : 0;
        u64map_put(&f->watched, key, w);
    }
    w->refs++;
}

static void unwatch(struct feed *f, uint64_t key)
{
    struct watched *w = u64map_get(&f->watched, key);
    if (w && --w->refs == 0) {
        u64map_del(&f->watched, key);
        live_frame_unref(w->snap);
        free(w);
    }
}

static void send_snapshot(struct feed *f, uint64_t key)
{
    struct live_tick *t = f->tick;
    struct watched *w = u64map_get(&f->watched, key);
    if (!w || !t->ready || t->stopped)
        return;
    int64_t seq = node_seq(t, key);
    int64_t kpu = t->api->tallies->kpu_generation;
    int finals = t->api->ledger->finals.n;
    if (!w->snap || w->snap_seq != seq || w->snap_kpu != kpu || w->snap_finals != finals) {
        live_frame_unref(w->snap);
        w->snap = encode(t, "snapshot", key, VIEW_ALL_CHILDREN);
        w->snap_seq = seq;
        w->snap_kpu = kpu;
        w->snap_finals = finals;
        if (!w->snap)
            return;
    }
    live_queue_push(&f->link->down, LIVE_ITEM_SNAPSHOT, key, seq, live_frame_ref(w->snap), NULL);
}

static void keep_polling(uv_idle_t *idle)
{
    (void)idle; /* only there so that the loop's poll does not block */
}

/* The next wanted snapshot of the feed, encoded and sent; false when none. */
static bool next_snapshot(struct feed *f)
{
    while (f->wanted_pos < f->wanted_len) {
        uint64_t key = f->wanted[f->wanted_pos++];
        struct watched *w = u64map_get(&f->watched, key);
        if (w && w->snap_wanted) {
            w->snap_wanted = false;
            send_snapshot(f, key);
            return true;
        }
    }
    f->wanted_pos = f->wanted_len = 0;
    return false;
}

static void snapshot_slice(uv_check_t *check)
{
    struct live_tick *t = check->data;
    uint64_t deadline = uv_hrtime() + SNAPSHOT_BUDGET_US * 1000ull;
    bool more = true;
    while (more && uv_hrtime() < deadline) {
        more = false;
        for (int i = 0; i < t->n_feeds; i++)
            more = next_snapshot(&t->feeds[i]) || more;
    }
    if (!more) {
        uv_check_stop(&t->snap_check);
        uv_idle_stop(&t->snap_idle);
    }
}

static void want_snapshot(struct feed *f, uint64_t key)
{
    struct live_tick *t = f->tick;
    struct watched *w = u64map_get(&f->watched, key);
    if (!w || w->snap_wanted || t->stopped)
        return;
    w->snap_wanted = true;
    if (f->wanted_len == f->wanted_cap) {
        f->wanted_cap = f->wanted_cap ? 2 * f->wanted_cap : 64;
        f->wanted = xrealloc(f->wanted, f->wanted_cap * sizeof *f->wanted);
    }
    f->wanted[f->wanted_len++] = key;
    if (!uv_is_active((uv_handle_t *)&t->snap_check)) {
        uv_check_start(&t->snap_check, snapshot_slice);
        uv_idle_start(&t->snap_idle, keep_polling);
    }
}

static void on_up(void *ctx, struct live_item *items)
{
    struct feed *f = ctx;
    for (struct live_item *it = items; it; it = live_item_next(it)) {
        if (it->kind == LIVE_ITEM_WATCH)
            watch(f, it->key);
        else if (it->kind == LIVE_ITEM_UNWATCH)
            unwatch(f, it->key);
        else if (it->kind == LIVE_ITEM_WANT_SNAPSHOT)
            want_snapshot(f, it->key);
    }
    live_items_free(items);
}

/* ---- the tick ------------------------------------------------------------------ */

static void update_if_moved(struct feed *f, uint64_t key, struct watched *w)
{
    int64_t seq = node_seq(f->tick, key);
    if (seq <= w->sent_seq)
        return;
    struct live_frame *m = encode(f->tick, "update", key, w->sent_seq);
    w->sent_seq = seq;
    if (m)
        live_queue_push(&f->link->down, LIVE_ITEM_UPDATE, key, seq, m, NULL);
}

/* Every watched node on the way from a moved TPS to its contest's root. */
static void walk_up(struct feed *f, uint64_t dirty)
{
    const struct tallies *tallies = f->tick->api->tallies;
    int contest = key_contest(dirty);
    int32_t root = tallies->contests[contest].base;
    for (int32_t r = key_region(dirty); r >= root; r = tallies->reg->regions[r].parent) {
        uint64_t key = tally_dirty_key(contest, r);
        struct watched *w = u64map_get(&f->watched, key);
        if (w)
            update_if_moved(f, key, w);
        if (r == root)
            break;
    }
}

static void tell_mode(struct feed *f)
{
    const struct api *api = f->tick->api;
    const char *mode = election_mode_name(api->election ? api->election->mode : MODE_TEST);
    if (mode != f->mode_sent) {
        f->mode_sent = mode;
        live_queue_push(&f->link->down, LIVE_ITEM_MODE, 0, 0, NULL, mode);
    }
}

static void tick_feed(struct feed *f)
{
    struct tallies *tallies = f->tick->api->tallies;
    live_queue_push(&f->link->down, LIVE_ITEM_TICK, 0, 0, NULL, NULL);
    if (tallies->dirty_overflow) { /* more moved than the list holds: look at every node watched */
        size_t pos = 0;
        for (struct watched *w; (w = u64map_next(&f->watched, &pos));)
            update_if_moved(f, w->key, w);
    } else {
        for (int32_t i = 0; i < tallies->n_dirty; i++)
            walk_up(f, tallies->dirty[i]);
    }
}

static void on_tick(uv_timer_t *timer)
{
    struct live_tick *t = timer->data;
    struct tallies *tallies = t->api->tallies;
    for (int i = 0; i < t->n_feeds; i++)
        tell_mode(&t->feeds[i]);
    if (!tallies->n_dirty && !tallies->dirty_overflow)
        return;
    int64_t start = clock_mono_ms();
    for (int i = 0; i < t->n_feeds; i++)
        tick_feed(&t->feeds[i]);
    tally_dirty_clear(tallies);
    histogram_observe(&g_metrics.tick_seconds, (double)(clock_mono_ms() - start) / 1000.0);
}

/* ---- life ------------------------------------------------------------------------ */

struct live_tick *live_tick_new(uv_loop_t *loop, struct api *api)
{
    struct live_tick *t = xcalloc(1, sizeof *t);
    t->api = api;
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    uv_check_init(loop, &t->snap_check);
    t->snap_check.data = t;
    uv_idle_init(loop, &t->snap_idle);
    t->snap_idle.data = t;
    return t;
}

struct live_link *live_tick_add_feed(struct live_tick *t, uv_loop_t *serving,
                                     live_items_cb *on_down, void *down_ctx)
{
    if (t->n_feeds == LIVE_TICK_FEEDS_MAX)
        return NULL;
    struct feed *f = &t->feeds[t->n_feeds++];
    f->tick = t;
    u64map_init(&f->watched);
    f->link = live_link_new(t->timer.loop, on_up, f, serving, on_down, down_ctx);
    return f->link;
}

void live_tick_ready(struct live_tick *t)
{
    t->ready = true;
    for (int i = 0; i < t->n_feeds; i++) {
        struct feed *f = &t->feeds[i];
        /* Nodes watched before the load see no update for what it loaded. */
        size_t pos = 0;
        for (struct watched *w; (w = u64map_next(&f->watched, &pos));)
            w->sent_seq = node_seq(t, w->key);
        tell_mode(f);
        live_queue_push(&f->link->down, LIVE_ITEM_READY, 0, 0, NULL, NULL);
    }
    uv_timer_start(&t->timer, on_tick, (uint64_t)t->api->cfg->tick_ms,
                   (uint64_t)t->api->cfg->tick_ms);
}

void live_tick_stop(struct live_tick *t)
{
    if (!t || t->stopped)
        return;
    t->stopped = true;
    uv_close((uv_handle_t *)&t->timer, NULL);
    uv_close((uv_handle_t *)&t->snap_check, NULL);
    uv_close((uv_handle_t *)&t->snap_idle, NULL);
    for (int i = 0; i < t->n_feeds; i++) {
        live_queue_push(&t->feeds[i].link->down, LIVE_ITEM_STOP, 0, 0, NULL, NULL);
        live_queue_close(&t->feeds[i].link->up);
    }
}

void live_tick_free(struct live_tick *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_feeds; i++) {
        struct feed *f = &t->feeds[i];
        size_t pos = 0;
        for (struct watched *w; (w = u64map_next(&f->watched, &pos));) {
            live_frame_unref(w->snap);
            free(w);
        }
        u64map_free(&f->watched);
        free(f->wanted);
        live_link_free(f->link);
    }
    free(t);
}
