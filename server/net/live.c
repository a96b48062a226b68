/* See live.h. The serving side of a feed (live_link.h): it runs on one loop,
 * the counting loop's for the feed on --listen or the live thread's for
 * --live-listen, and reads nothing the counting loop writes; what moved
 * arrives as encoded updates and snapshots (live_tick.c).
 *
 * Topics are (contest, region) pairs with at least one subscriber, keyed by
 * integers and freed with their last subscriber (the counting side is told,
 * WATCH/UNWATCH, and encodes only for watched nodes), so what a client can
 * make the server hold is bounded by its subscriptions. Each update arrives
 * once per topic, and its same bytes are queued on every subscriber's
 * connection (by the flush slices: bcast_step). A connection's backlog may
 * be at most ws_queue_max ticks old (and hold at most one message per
 * subscription per tick): a viewer that falls further behind loses the
 * backlog, and each subscription that lost an update is marked for a fresh
 * snapshot, asked for when the socket can take it and shared by every
 * subscriber waiting when it arrives. A prompt viewer with many
 * subscriptions is therefore never mistaken for a slow one, while a stalled
 * viewer costs a bounded amount of memory and never delays anyone else.
 * Order holds across the link: a snapshot at seq S is followed only by
 * updates the counting side made after it, and a subscriber takes an update
 * only when it is newer than what it has.
 *
 * Writing (why it is not lws's usual "ask for WRITEABLE, write one"): that
 * costs two epoll_ctl calls per frame (POLLOUT on, then off) besides the
 * send, and a tick that makes ten thousand sockets writable at once is then
 * served in one loop iteration, ahead of every witness's request. Instead a
 * connection with something to send joins the flush list, and a check
 * handler writes straight to the sockets of that list for at most
 * FLUSH_BUDGET_US per loop iteration, then lets the loop poll again (the
 * forms' requests and PostgreSQL's answers go first) and continues in the
 * next one. A write that the kernel takes only in part is kept by lws
 * (lws_partial_buffered); that connection then waits for a real WRITEABLE.
 *
 * Idle and dead peers: lws's validity timer re-sorts a per-thread list on
 * every read and write (O(connections) each); it is off (web.c), and one
 * sweep a second here pings a connection silent for half of --idle-timeout
 * and closes one silent for all of it. */
#include "live_lws.h"
#include "live_link.h"
#include "live_tick.h"
#include "api_life.h"
#include "wire_hook.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sha256.h"
#include "core/u64map.h"
#include "domain/election.h"
#include "domain/live_msg.h"
#include "domain/view.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RX_MAX 4096
/* Fan-out writes per loop iteration, at most. Every loop iteration a form
 * needs (read, sealed, COMMIT read, answered) may wait this long behind the
 * viewers; 250 us rather than 1 ms took the acknowledgement p99 with 10,000
 * viewers from 8.2 to 3.4 times the p99 without, side by side in one session
 * (docs/benchmarks.md), for one more epoll_wait per 250 us of writing. */
#ifndef FLUSH_BUDGET_US
#define FLUSH_BUDGET_US 250
#endif
#define SWEEP_MS 1000

struct topic {
    uint64_t key;     /* tally_dirty_key(contest, region) */
    struct sub *subs; /* doubly linked through sub->prev/next */
    /* The last snapshot the counting side sent, until an update newer than
     * it arrives; snap_epoch counts arrivals, so that a subscriber takes
     * only one that arrived after it asked (live_tick.c encodes it then,
     * current as to KPU's figures and the final regions too). */
    struct live_frame *snap;
    int64_t snap_seq;
    uint32_t snap_epoch;
    bool snap_asked; /* a LIVE_ITEM_WANT_SNAPSHOT is on its way */
    /* A broadcast being queued on the subscribers, a slice per loop iteration
     * (bcast_step): its message, its seq, the next subscriber to get it. */
    struct live_frame *bc_msg;
    int64_t bc_seq;
    struct sub *bc_next;
    struct topic *bc_prev, *bc_link; /* in live->bc_head, oldest first */
    bool bc_listed;
};

struct sub {
    struct topic *topic;
    struct live_conn *conn;
    struct sub *prev, *next; /* in topic->subs */
    struct sub *conn_next;   /* in conn->subs */
    int64_t last_seq;
    bool need_snapshot;
    uint32_t need_epoch; /* topic->snap_epoch when it last asked for one */
};

struct queued {
    struct live_frame *msg;
    struct topic *topic; /* NULL for errors and stale updates */
    uint32_t tick;       /* when it was queued */
    bool stale;          /* its subscription ended: skipped */
};

struct live_conn {
    struct live *live;
    struct lws *wsi;
    struct sub *subs;
    int n_subs;
    struct queued *queue; /* ring of q_cap, grown on demand up to queue_limit() */
    int q_head, q_len, q_cap;
    struct buf rx;
    bool rx_overflow;
    bool has_token;
    bool revoked; /* closed at the next writeable callback */
    bool closing; /* lws was told to close it: nothing more is written */
    bool ping_owed, ping_sent;
    int64_t last_rx_ms; /* the peer's last frame (a pong counts) */
    char token_hash[65];
    struct live_conn *prev, *next;   /* all connections */
    bool flushing;                   /* on the flush list */
    struct live_conn *fprev, *fnext; /* the flush list */
};

/* Owned by the loop it runs on (the counting loop's for the feed on
 * --listen, the live thread's for --live-listen): nothing here is read by
 * another thread. What it needs from the tallies comes through the link;
 * live_msg_parse reads only the registry and the contests' ranges, fixed
 * once loaded. */
struct live {
    struct api *api;
    struct live_link *link;
    const char *mode; /* the election's, as the counting side last said */
    void (*on_stop)(void *ctx);
    void *on_stop_ctx;
    uv_timer_t sweep;
    uv_check_t flush_check; /* runs the flush list after each poll */
    uv_idle_t flush_idle;   /* keeps that poll from blocking while the list is not empty */
    struct live_conn *flush_head, *flush_tail;
    struct topic *bc_head, *bc_tail; /* topics whose broadcast is not queued on everyone yet */
    struct u64map topics;
    struct live_conn *conns;
    uint32_t tick_no;
    bool ready;
    bool stopped; /* its handles are closing: nothing may start them again */
};

/* ---- messages ------------------------------------------------------------ */

static struct live_frame *msg_from_tree(cJSON *tree)
{
    char *json = view_json(tree);
    if (!json)
        return NULL;
    struct live_frame *m = live_frame_new(json, strlen(json));
    free(json);
    return m;
}

/* ---- per-connection queue ----------------------------------------------- */

static int queue_limit(const struct live *l)
{
    const struct config *cfg = l->api->cfg;
    return (cfg->max_ws_subscriptions + 1) * cfg->ws_queue_max;
}

static struct queued *queue_at(struct live_conn *c, int i)
{
    return &c->queue[(c->q_head + i) % c->q_cap];
}

static struct sub *find_sub(struct live_conn *c, const struct topic *t);
static void flush_schedule(struct live_conn *c);

/* Drops the whole backlog; every subscription that loses an update (or whose
 * update could not be queued, `t`) gets a fresh snapshot instead. */
static void queue_drop(struct live_conn *c, struct topic *t)
{
    g_metrics.ws_updates_dropped += (uint64_t)c->q_len + 1;
    for (int i = 0; i < c->q_len; i++) {
        struct queued *q = queue_at(c, i);
        struct sub *s = q->topic ? find_sub(c, q->topic) : NULL;
        if (s)
            s->need_snapshot = true;
        live_frame_unref(q->msg);
    }
    c->q_head = c->q_len = 0;
    struct sub *s = t ? find_sub(c, t) : NULL;
    if (s)
        s->need_snapshot = true;
}

static void queue_clear(struct live_conn *c)
{
    for (int i = 0; i < c->q_len; i++)
        live_frame_unref(queue_at(c, i)->msg);
    c->q_head = c->q_len = 0;
}

static int queue_grow(struct live_conn *c)
{
    int cap = c->q_cap ? c->q_cap * 2 : 8;
    struct queued *q = xmalloc((size_t)cap * sizeof *q);
    if (!q)
        return -1;
    for (int i = 0; i < c->q_len; i++)
        q[i] = *queue_at(c, i);
    free(c->queue);
    c->queue = q;
    c->q_cap = cap;
    c->q_head = 0;
    return 0;
}

static bool backlog_too_old(struct live_conn *c)
{
    const struct live *l = c->live;
    return c->q_len && l->tick_no - queue_at(c, 0)->tick >= (uint32_t)l->api->cfg->ws_queue_max;
}

/* Queues a shared message; a viewer too far behind loses its backlog. */
static void queue_push(struct live_conn *c, struct live_frame *m, struct topic *t)
{
    if (backlog_too_old(c) || c->q_len >= queue_limit(c->live) ||
        (c->q_len == c->q_cap && queue_grow(c) != 0)) {
        queue_drop(c, t);
    } else {
        live_frame_ref(m);
        *queue_at(c, c->q_len++) = (struct queued){m, t, c->live->tick_no, false};
    }
    flush_schedule(c);
}

static struct sub *find_sub(struct live_conn *c, const struct topic *t)
{
    for (struct sub *s = c->subs; s; s = s->conn_next) {
        if (s->topic == t)
            return s;
    }
    return NULL;
}

static int write_text(struct live_conn *c, struct live_frame *m)
{
    int n = lws_write(c->wsi, live_frame_text(m), m->len, LWS_WRITE_TEXT);
    if (n < (int)m->len)
        return -1;
    g_metrics.ws_messages_sent++;
    g_metrics.ws_bytes_sent += m->len;
    return 0;
}

/* Asks the counting side for the topic's snapshot, once while one is on
 * its way: every subscriber waiting by the time it arrives takes the same. */
static void ask_snapshot(struct live *l, struct topic *t)
{
    if (!t->snap_asked) {
        t->snap_asked = true;
        live_queue_push(&l->link->up, LIVE_ITEM_WANT_SNAPSHOT, t->key, 0, NULL, NULL);
    }
}

/* Writes the snapshot the subscription needs if one arrived since it asked
 * (1), or asks for one and waits (0); -1 on a write error. */
static int write_snapshot(struct live_conn *c, struct sub *s)
{
    struct topic *t = s->topic;
    if (!t->snap || t->snap_epoch == s->need_epoch) {
        s->need_epoch = t->snap_epoch;
        ask_snapshot(c->live, t);
        return 0;
    }
    s->need_snapshot = false;
    s->last_seq = t->snap_seq;
    g_metrics.ws_snapshots_sent++;
    return write_text(c, t->snap) ? -1 : 1;
}

/* Moves a subscription to the end of its connection's list, so owed
 * snapshots are written round-robin rather than always from the same end. */
static void move_to_tail(struct live_conn *c, struct sub *s)
{
    struct sub **pp = &c->subs;
    while (*pp != s)
        pp = &(*pp)->conn_next;
    *pp = s->conn_next;
    s->conn_next = NULL;
    while (*pp)
        pp = &(*pp)->conn_next;
    *pp = s;
}

static int write_ping(struct live_conn *c)
{
    /* A payload, not an empty ping: lws 4.1 hands an empty pong to no
     * callback, and the pong is how the peer proves it is alive. */
    unsigned char frame[LWS_PRE + 5];
    memcpy(frame + LWS_PRE, "suara", 5);
    c->ping_owed = false;
    c->ping_sent = true;
    return lws_write(c->wsi, frame + LWS_PRE, 5, LWS_WRITE_PING) < 5 ? -1 : 0;
}

/* Writes the next thing the connection owes: an owed ping, then queued
 * updates, then owed snapshots. 1 when something was written, 0 when
 * nothing is owed, -1 on a write error. */
static int write_next(struct live_conn *c)
{
    if (c->ping_owed)
        return write_ping(c) ? -1 : 1;
    while (c->q_len) {
        struct queued q = *queue_at(c, 0);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
        /* Updates only matter while still subscribed (forget_queued). */
        bool wanted = !q.stale;
        int rc = wanted ? write_text(c, q.msg) : 0;
        live_frame_unref(q.msg);
        if (rc)
            return -1;
        if (wanted)
            return 1;
    }
    for (struct sub *s = c->subs; s; s = s->conn_next) {
        if (!s->need_snapshot)
            continue;
        int rc = write_snapshot(c, s);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            move_to_tail(c, s);
            return 1;
        }
    }
    return 0; /* nothing owed, or waiting for snapshots (snapshot_arrived schedules it) */
}

/* Writes what is owed while the socket takes it whole. When the kernel took
 * a write only in part, lws holds the rest and the connection waits for
 * WRITEABLE (lws asks for it; asking again costs nothing). */
static int conn_flush(struct live_conn *c)
{
    for (;;) {
        if (lws_partial_buffered(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
        int rc = write_next(c);
        if (rc <= 0)
            return rc;
    }
}

/* ---- the flush list ------------------------------------------------------ */

static void flush_unlink(struct live_conn *c)
{
    struct live *l = c->live;
    if (!c->flushing)
        return;
    if (c->fprev)
        c->fprev->fnext = c->fnext;
    else
        l->flush_head = c->fnext;
    if (c->fnext)
        c->fnext->fprev = c->fprev;
    else
        l->flush_tail = c->fprev;
    c->fprev = c->fnext = NULL;
    c->flushing = false;
}

/* Closes a dead or failed connection from outside lws's callbacks. Not
 * lws_set_timeout(LWS_TO_KILL_ASYNC): in 4.1.6 a timeout set from outside
 * lws's own service does not re-arm its libuv timer, so the close would wait
 * for unrelated traffic. Shutting the socket down makes lws read the end of
 * the stream on its next poll and close the connection its usual way
 * (LWS_CALLBACK_CLOSED frees ours), whether or not the peer reads. */
static void conn_close_async(struct live_conn *c)
{
    c->closing = true;
    flush_unlink(c);
    shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
}

static void flush_idle_cb(uv_idle_t *idle)
{
    (void)idle; /* only there so that the loop's poll does not block */
}

/* Queues the topic's broadcast on its subscribers in order until the
 * deadline (uv_hrtime; 0: all of them). True when everyone has it. */
static bool bcast_step(struct topic *t, uint64_t deadline)
{
    for (int n = 1; t->bc_next; n++) {
        struct sub *s = t->bc_next;
        t->bc_next = s->next;
        /* A snapshot written since is at least as new (the node's seq then). */
        if (!s->need_snapshot && s->last_seq < t->bc_seq) {
            s->last_seq = t->bc_seq;
            queue_push(s->conn, t->bc_msg, t);
        }
        if (deadline && n % 64 == 0 && uv_hrtime() >= deadline)
            return t->bc_next == NULL;
    }
    return true;
}

/* Ends the topic's broadcast, taking it off the list wherever it is: O(1),
 * since a tick may end the unfinished broadcasts of thousands of topics. */
static void bcast_end(struct live *l, struct topic *t)
{
    if (t->bc_listed) {
        if (t->bc_prev)
            t->bc_prev->bc_link = t->bc_link;
        else
            l->bc_head = t->bc_link;
        if (t->bc_link)
            t->bc_link->bc_prev = t->bc_prev;
        else
            l->bc_tail = t->bc_prev;
    }
    t->bc_listed = false;
    t->bc_prev = t->bc_link = NULL;
    t->bc_next = NULL;
    live_frame_unref(t->bc_msg);
    t->bc_msg = NULL;
}

static void flush_run(uv_check_t *check)
{
    struct live *l = check->data;
    uint64_t deadline = uv_hrtime() + FLUSH_BUDGET_US * 1000ull;
    /* First what the ticks left to queue (cheap per subscriber), then writes. */
    while (l->bc_head && uv_hrtime() < deadline) {
        if (!bcast_step(l->bc_head, deadline))
            break;
        bcast_end(l, l->bc_head);
    }
    while (l->flush_head && uv_hrtime() < deadline) {
        struct live_conn *c = l->flush_head;
        flush_unlink(c);
        if (conn_flush(c) != 0)
            conn_close_async(c);
    }
    if (!l->flush_head && !l->bc_head) {
        uv_check_stop(&l->flush_check);
        uv_idle_stop(&l->flush_idle);
    }
}

/* Runs flush_run after every poll, without the poll blocking, until both
 * of its lists are empty. */
static void work_start(struct live *l)
{
    if (!l->stopped && !uv_is_active((uv_handle_t *)&l->flush_check)) {
        uv_check_start(&l->flush_check, flush_run);
        uv_idle_start(&l->flush_idle, flush_idle_cb);
    }
}

/* The connection has something to send: written by flush_run, in order of
 * arrival, unless it is waiting for lws (a write in part, a revocation). */
static void flush_schedule(struct live_conn *c)
{
    struct live *l = c->live;
    if (c->flushing || c->closing || c->revoked || l->stopped)
        return;
    c->flushing = true;
    c->fprev = l->flush_tail;
    c->fnext = NULL;
    if (l->flush_tail)
        l->flush_tail->fnext = c;
    else
        l->flush_head = c;
    l->flush_tail = c;
    work_start(l);
}

/* ---- idle and dead peers --------------------------------------------------- */

static void on_sweep(uv_timer_t *timer)
{
    struct live *l = timer->data;
    int64_t now = clock_mono_ms(), idle_ms = (int64_t)l->api->cfg->idle_timeout_s * 1000;
    for (struct live_conn *c = l->conns; c; c = c->next) {
        int64_t silent = now - c->last_rx_ms;
        if (c->closing)
            continue;
        if (silent >= idle_ms) {
            conn_close_async(c);
        } else if (silent >= idle_ms / 2 && !c->ping_sent && !c->ping_owed) {
            c->ping_owed = true;
            flush_schedule(c);
        }
    }
}

/* ---- client messages ------------------------------------------------------ */

static void send_error(struct live_conn *c, const char *code, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "error");
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "mode", c->live->mode);
    struct live_frame *m = msg_from_tree(o);
    if (m) {
        queue_push(c, m, NULL);
        live_frame_unref(m);
    }
}

static struct topic *topic_get(struct live *l, int contest, int32_t region)
{
    uint64_t key = tally_dirty_key(contest, region);
    struct topic *t = u64map_get(&l->topics, key);
    if (t)
        return t;
    if (!(t = xcalloc(1, sizeof *t)))
        return NULL;
    t->key = key;
    if (u64map_put(&l->topics, key, t) != 0) {
        free(t);
        return NULL;
    }
    live_queue_push(&l->link->up, LIVE_ITEM_WATCH, key, 0, NULL, NULL);
    g_metrics.ws_topics++;
    return t;
}

static void topic_free(struct live *l, struct topic *t)
{
    if (t->bc_msg)
        bcast_end(l, t);
    u64map_del(&l->topics, t->key);
    live_queue_push(&l->link->up, LIVE_ITEM_UNWATCH, t->key, 0, NULL, NULL);
    g_metrics.ws_topics--;
    live_frame_unref(t->snap);
    free(t);
}

/* Updates of `t` still queued on the connection must never reach it now, nor
 * be taken for another topic that later gets the same address. */
static void forget_queued(struct live_conn *c, const struct topic *t)
{
    for (int i = 0; i < c->q_len; i++) {
        struct queued *q = queue_at(c, i);
        if (q->topic == t)
            q->topic = NULL, q->stale = true;
    }
}

static void unlink_sub(struct live_conn *c, struct sub *s)
{
    struct topic *t = s->topic;
    if (t->bc_next == s) /* the broadcast in progress goes on with the next one */
        t->bc_next = s->next;
    if (s->prev)
        s->prev->next = s->next;
    else
        t->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    for (struct sub **pp = &c->subs; *pp; pp = &(*pp)->conn_next) {
        if (*pp == s) {
            *pp = s->conn_next;
            break;
        }
    }
    forget_queued(c, t);
    c->n_subs--;
    g_metrics.ws_subscriptions--;
    free(s);
    if (!t->subs)
        topic_free(c->live, t);
}

static void subscribe(struct live_conn *c, struct topic *t)
{
    struct sub *s = find_sub(c, t);
    if (!s) {
        if (c->n_subs >= c->live->api->cfg->max_ws_subscriptions) {
            send_error(c, "too_many_subscriptions", "unsubscribe from something first");
            return;
        }
        if (!(s = xcalloc(1, sizeof *s)))
            return;
        s->topic = t;
        s->conn = c;
        s->next = t->subs;
        if (t->subs)
            t->subs->prev = s;
        t->subs = s;
        s->conn_next = c->subs;
        c->subs = s;
        c->n_subs++;
        g_metrics.ws_subscriptions++;
    }
    s->need_snapshot = true; /* also when subscribing again: the client asked afresh */
    flush_schedule(c);
}

static void on_message(struct live_conn *c, const char *text, size_t len)
{
    struct live *l = c->live;
    if (!l->ready) {
        send_error(c, "not_ready", "the server is still loading; subscribe again shortly");
        return;
    }
    struct live_msg m;
    live_msg_parse(l->api->reg, l->api->tallies, text, len, &m);
    if (m.kind == LIVE_MSG_ERROR) {
        send_error(c, m.error_code, m.error_message);
        return;
    }
    if (m.kind == LIVE_MSG_SUBSCRIBE) {
        struct topic *t = topic_get(l, m.contest, m.region);
        if (!t)
            return;
        subscribe(c, t);
        if (!t->subs) /* refused (too many subscriptions): a topic lives only with subscribers */
            topic_free(l, t);
        return;
    }
    struct topic *t = u64map_get(&l->topics, tally_dirty_key(m.contest, m.region));
    struct sub *s = t ? find_sub(c, t) : NULL;
    if (s)
        unlink_sub(c, s);
    else
        send_error(c, "not_subscribed", "there is no such subscription");
}

static void heard_from(struct live_conn *c)
{
    c->last_rx_ms = clock_mono_ms();
    c->ping_sent = false;
}

static void on_receive(struct live_conn *c, struct lws *wsi, const void *in, size_t len)
{
    heard_from(c);
    if (!c->rx_overflow && buf_append(&c->rx, in, len) != 0)
        c->rx_overflow = true;
    if (!lws_is_final_fragment(wsi))
        return;
    if (c->rx_overflow)
        send_error(c, "message_too_large", "client messages are limited to 4096 bytes");
    else
        on_message(c, c->rx.data ? c->rx.data : "", c->rx.len);
    buf_reset(&c->rx);
    c->rx_overflow = false;
}

/* ---- connections ---------------------------------------------------------- */

static struct live_conn *conn_new(struct live *l, struct lws *wsi)
{
    struct live_conn *c = xcalloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->live = l;
    c->wsi = wsi;
    c->last_rx_ms = clock_mono_ms();
    buf_init(&c->rx, RX_MAX);
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    g_metrics.ws_connections++;
    return c;
}

static void conn_free(struct live_conn *c)
{
    struct live *l = c->live;
    flush_unlink(c);
    while (c->subs)
        unlink_sub(c, c->subs);
    queue_clear(c);
    free(c->queue);
    buf_free(&c->rx);
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g_metrics.ws_connections--;
    free(c);
}

/* A close frame (1002, 1008) is written here: lws 4.1 drops
 * the one lws_close_reason prepares when the callback returns -1 from a
 * writeable callback. Opcode 4 is lws's own LWS_WRITE_CLOSE, which its
 * public header leaves to lws_close_reason. */
#define WRITE_CLOSE ((enum lws_write_protocol)4)

/* Sends a close frame with status and why, and has lws close the connection. */
static int close_with(struct lws *wsi, enum lws_close_status status, const char *why)
{
    size_t n = strlen(why);
    unsigned char frame[LWS_PRE + 2 + 64];
    unsigned char *p = frame + LWS_PRE;
    n = n < 64 ? n : 64;
    p[0] = (unsigned char)(status >> 8);
    p[1] = (unsigned char)(status & 0xff);
    memcpy(p + 2, why, n);
    lws_write(wsi, p, 2 + n, WRITE_CLOSE);
    return -1;
}

void live_conn_set_token(struct live_conn *c, const char *bearer)
{
    sha256_hex(bearer, strlen(bearer), c->token_hash);
    c->has_token = true;
}

void live_tokens_reloaded(struct live *l, const struct auth *auth)
{
    if (!l->api->cfg->private_reads)
        return; /* the feed is public: a token changes nothing */
    for (struct live_conn *c = l->conns; c; c = c->next) {
        if (c->revoked || (c->has_token && strmap_get(&auth->by_hash, c->token_hash)))
            continue;
        c->revoked = true;
        flush_unlink(c);
        lws_callback_on_writable(c->wsi);
    }
}

int live_callback(struct live *l, struct lws *wsi, enum lws_callback_reasons reason,
                  struct live_conn **conn, void *in, size_t len)
{
    if (!conn)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        *conn = conn_new(l, wsi);
        return *conn ? 0 : -1;
    case LWS_CALLBACK_RECEIVE:
        if (*conn)
            on_receive(*conn, wsi, in, len);
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (*conn)
            heard_from(*conn);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (wire_unmasked(wsi)) /* RFC 6455 5.1: a client frame must be masked */
            return close_with(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, "frame not masked");
        if (*conn && (*conn)->revoked)
            return close_with(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, "token revoked");
        if (!*conn || (*conn)->closing)
            return 0;
        flush_unlink(*conn); /* written now, in full or until the socket is full again */
        return conn_flush(*conn);
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (*conn) {
            conn_free(*conn);
            *conn = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- what the counting side sends ------------------------------------------ */

/* Starts queueing the topic's update on its subscribers; flush_run does it a
 * slice at a time, so that a tick of ten thousand viewers does not hold the
 * loop either. A broadcast of the last tick still under way is finished
 * first: each connection gets a topic's updates in order. */
static void broadcast(struct live *l, struct topic *t, int64_t seq, struct live_frame *m)
{
    if (t->bc_msg) {
        bcast_step(t, 0);
        bcast_end(l, t);
    }
    if (t->snap && seq > t->snap_seq) { /* the node moved past it */
        live_frame_unref(t->snap);
        t->snap = NULL;
    }
    t->bc_msg = live_frame_ref(m);
    t->bc_seq = seq;
    t->bc_next = t->subs;
    t->bc_prev = l->bc_tail;
    t->bc_link = NULL;
    t->bc_listed = true;
    if (l->bc_tail)
        l->bc_tail->bc_link = t;
    else
        l->bc_head = t;
    l->bc_tail = t;
    work_start(l);
}

/* Every subscriber that was waiting for it can write it now. */
static void snapshot_arrived(struct topic *t, int64_t seq, struct live_frame *m)
{
    live_frame_unref(t->snap);
    t->snap = live_frame_ref(m);
    t->snap_seq = seq;
    t->snap_epoch++;
    t->snap_asked = false;
    for (struct sub *s = t->subs; s; s = s->next) {
        if (s->need_snapshot)
            flush_schedule(s->conn);
    }
}

static void on_item(struct live *l, const struct live_item *it)
{
    struct topic *t = it->frame ? u64map_get(&l->topics, it->key) : NULL;
    switch (it->kind) {
    case LIVE_ITEM_READY:
        l->ready = true;
        break;
    case LIVE_ITEM_MODE:
        l->mode = it->mode;
        break;
    case LIVE_ITEM_TICK:
        l->tick_no++;
        break;
    case LIVE_ITEM_UPDATE:
        if (t) /* else unsubscribed since: nobody to tell */
            broadcast(l, t, it->seq, it->frame);
        break;
    case LIVE_ITEM_SNAPSHOT:
        if (t)
            snapshot_arrived(t, it->seq, it->frame);
        break;
    case LIVE_ITEM_STOP:
        live_stop(l);
        if (l->on_stop)
            l->on_stop(l->on_stop_ctx);
        break;
    default:
        break;
    }
}

static void on_down(void *ctx, struct live_item *items)
{
    struct live *l = ctx;
    for (struct live_item *it = items; it; it = live_item_next(it)) {
        if (!l->stopped || it->kind == LIVE_ITEM_STOP)
            on_item(l, it);
    }
    live_items_free(items);
}

struct live *live_new(uv_loop_t *loop, struct api *api, struct live_tick *tick)
{
    struct live *l = xcalloc(1, sizeof *l);
    l->api = api;
    l->mode = election_mode_name(MODE_TEST);
    u64map_init(&l->topics);
    l->link = live_tick_add_feed(tick, loop, on_down, l);
    SU_ASSERT(l->link);
    uv_timer_init(loop, &l->sweep);
    l->sweep.data = l;
    uv_check_init(loop, &l->flush_check);
    l->flush_check.data = l;
    uv_idle_init(loop, &l->flush_idle);
    l->flush_idle.data = l;
    uv_timer_start(&l->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    return l;
}

void live_on_stop(struct live *l, void (*cb)(void *ctx), void *ctx)
{
    l->on_stop = cb;
    l->on_stop_ctx = ctx;
}

void live_stop(struct live *l)
{
    if (!l || l->stopped)
        return;
    l->stopped = true;
    uv_close((uv_handle_t *)&l->sweep, NULL);
    uv_close((uv_handle_t *)&l->flush_check, NULL);
    uv_close((uv_handle_t *)&l->flush_idle, NULL);
    live_queue_close(&l->link->down);
}

void live_free(struct live *l)
{
    if (!l)
        return;
    while (l->conns)
        conn_free(l->conns); /* frees every topic with its last subscriber */
    u64map_free(&l->topics);
    free(l);
}
