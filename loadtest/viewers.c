/* See viewers.h. A topic is one (contest, node) pair with its viewers and the
 * list of acknowledgements below it, in arrival order; each viewer has a
 * cursor in that list and a short history of the (seq, time) of its
 * messages, so an acknowledgement that arrives after the update that already
 * carried it is measured as delay 0, not as the wait until the next one. */
#include "viewers.h"
#include "core/mem.h"
#include "formgen.h"
#include "wsc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY 64
#define CONNECT_BATCH 100
#define CONNECT_TICK_MS 5
#define READY_TIMEOUT_MS 180000 /* tens of thousands on a busy machine */
#define REPORT_MAX 20

#define MAX_EDGES 8
#define RECONNECT_TICK_MS 200

struct ack {
    int64_t seq;
    uint64_t at_us;
};

struct topic {
    int contest;
    int32_t region;
    int32_t *children; /* region indices, ascending */
    int n_children;
    struct ack *acks;
    int64_t n_acks, cap_acks;
    int64_t max_seq; /* newest acknowledged seq below the node */
};

/* One node as a viewer last saw it. */
struct seen {
    bool present;
    int64_t seq;
    int64_t tps[5]; /* total, counted, held, disputed, confirmed */
    int64_t registered, voted, valid, invalid;
    int64_t *votes;
};

struct viewer {
    struct viewers *vs;
    struct wsc *ws;
    int topic;
    int edge;    /* --nchan: which edge it is connected to */
    bool direct; /* --nchan-compare: this one watches at the server */
    bool lost;   /* --nchan: its edge went away; reconnect on the next tick */
    bool connected, subscribed, dead;
    int64_t last_seq;
    int64_t cursor;
    struct ack history[HISTORY];
    int hist_head, hist_len;
    struct seen node;
    struct seen *children;
};

struct viewers {
    uv_loop_t *loop;
    struct model *m;
    const struct lt_options *o;
    struct sockaddr_in addr;
    char host[64];
    struct sockaddr_in edges[MAX_EDGES]; /* --nchan */
    char edge_host[MAX_EDGES][80];
    int n_edges;
    struct topic *topics;
    int n_topics;
    int32_t *topic_of_node; /* by model node index, -1 */
    struct viewer *list;
    int n, next_connect;
    uv_timer_t timer;
    uint64_t started_us, deadline_us;
    void (*cb)(void *ctx);
    void *cb_ctx;
    bool waiting_ready, waiting_settle;
    int reported;
    struct viewers_stats st;
};

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

/* The viewer reads an nchan edge (the node's full state per message). */
static bool via_edge(const struct viewer *w)
{
    return w->vs->n_edges && !w->direct;
}

/* ---- topics ----------------------------------------------------------- */

static int64_t node_index(const struct model *m, int c, int32_t r)
{
    return m->contests[c].node_base + (r - m->contests[c].root);
}

static int topic_get(struct viewers *v, int c, int32_t r)
{
    int64_t ni = node_index(v->m, c, r);
    if (v->topic_of_node[ni] >= 0)
        return v->topic_of_node[ni];
    struct topic *t = &v->topics[v->n_topics];
    t->contest = c;
    t->region = r;
    const struct region *regions = v->m->regions;
    t->n_children = regions[r].n_children;
    t->children = xcalloc((size_t)t->n_children + 1, sizeof *t->children);
    int k = 0;
    for (int32_t i = regions[r].first_child; i >= 0 && t->children; i = regions[i].next_sibling)
        t->children[k++] = i;
    v->topic_of_node[ni] = v->n_topics;
    return v->n_topics++;
}

static int child_pos(const struct topic *t, int32_t region)
{
    int lo = 0, hi = t->n_children - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (t->children[mid] == region)
            return mid;
        if (t->children[mid] < region)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int32_t ancestor_at(const struct model *m, int32_t r, int level, int32_t root)
{
    while (r != root && m->regions[r].level > level && m->regions[r].parent >= 0)
        r = m->regions[r].parent;
    return r;
}

void viewers_on_ack(void *ctx, int contest, int32_t tps, int64_t seq, uint64_t now)
{
    struct viewers *v = ctx;
    const struct model *m = v->m;
    int32_t root = m->contests[contest].root;
    for (int32_t r = tps;; r = m->regions[r].parent) {
        int32_t ti = v->topic_of_node[node_index(m, contest, r)];
        if (ti >= 0) {
            struct topic *t = &v->topics[ti];
            if (t->n_acks == t->cap_acks) {
                int64_t cap = t->cap_acks ? t->cap_acks * 2 : 256;
                struct ack *p = xrealloc(t->acks, (size_t)cap * sizeof *p);
                t->acks = p;
                t->cap_acks = cap;
            }
            t->acks[t->n_acks++] = (struct ack){seq, now};
            if (seq > t->max_seq)
                t->max_seq = seq;
        }
        if (r == root || m->regions[r].parent < 0)
            break;
    }
}

/* Measures every acknowledgement the viewer's state now covers. */
static void consume(struct viewer *w, bool final)
{
    struct topic *t = &w->vs->topics[w->topic];
    while (w->cursor < t->n_acks) {
        struct ack *a = &t->acks[w->cursor];
        if (a->seq > w->last_seq) {
            if (!final)
                break;
            w->vs->st.undelivered++;
            w->cursor++;
            continue;
        }
        uint64_t delivered = 0;
        for (int i = 0; i < w->hist_len; i++) {
            const struct ack *h = &w->history[(w->hist_head + HISTORY - w->hist_len + i) % HISTORY];
            if (h->seq >= a->seq) {
                delivered = h->at_us;
                break;
            }
        }
        if (!delivered) /* older than the history: the first message we know of */
            delivered = w->history[(w->hist_head + HISTORY - w->hist_len) % HISTORY].at_us;
        hist_record(&w->vs->st.delay_us, delivered > a->at_us ? delivered - a->at_us : 0);
        w->vs->st.delay_samples++;
        w->cursor++;
    }
}

/* ---- messages --------------------------------------------------------- */

/* A small pull parser for the server's tally messages: a cJSON tree costs
 * an allocation per number, and ten thousand viewers receive a lot of
 * numbers. It accepts any well-formed JSON; unknown keys are skipped. */
struct scan {
    const char *p, *end;
    bool bad;
};

static void ws_skip(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static bool expect(struct scan *s, char c)
{
    ws_skip(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* A string without its quotes (escapes left as they are); s->p after it. */
static bool read_string(struct scan *s, const char **str, size_t *len)
{
    if (!expect(s, '"'))
        return false;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"')
        s->p += *s->p == '\\' ? 2 : 1;
    if (s->p >= s->end)
        return false;
    *str = start;
    *len = (size_t)(s->p - start);
    s->p++;
    return true;
}

static int64_t read_int(struct scan *s)
{
    ws_skip(s);
    int64_t v = 0;
    bool neg = s->p < s->end && *s->p == '-';
    if (neg)
        s->p++;
    if (s->p >= s->end || *s->p < '0' || *s->p > '9') {
        s->bad = true;
        return -1;
    }
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        if (v > INT64_MAX / 10 - 10) {
            s->bad = true; /* no count the server sends is this large */
            return -1;
        }
        v = v * 10 + (*s->p++ - '0');
    }
    while (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E' || *s->p == '+' ||
                             *s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
        s->p++; /* cJSON prints integers as integers; anything else is not ours */
    return neg ? -v : v;
}

static void skip_value(struct scan *s)
{
    ws_skip(s);
    if (s->p >= s->end) {
        s->bad = true;
        return;
    }
    const char *str;
    size_t len;
    switch (*s->p) {
    case '"':
        if (!read_string(s, &str, &len))
            s->bad = true;
        return;
    case '{':
    case '[': {
        char close = *s->p == '{' ? '}' : ']';
        s->p++;
        if (expect(s, close))
            return;
        do {
            if (close == '}' && (!read_string(s, &str, &len) || !expect(s, ':'))) {
                s->bad = true;
                return;
            }
            skip_value(s);
        } while (!s->bad && expect(s, ','));
        if (!expect(s, close))
            s->bad = true;
        return;
    }
    default:
        while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']')
            s->p++;
    }
}

static bool key_is(const char *k, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(k, want, len) == 0;
}

/* Calls each(ctx, key) for every member; the callback consumes the value. */
static void each_member(struct scan *s, void (*each)(struct scan *, void *, const char *, size_t),
                        void *ctx)
{
    if (!expect(s, '{')) {
        s->bad = true;
        return;
    }
    if (expect(s, '}'))
        return;
    do {
        const char *k;
        size_t klen;
        if (!read_string(s, &k, &klen) || !expect(s, ':')) {
            s->bad = true;
            return;
        }
        each(s, ctx, k, klen);
    } while (!s->bad && expect(s, ','));
    if (!expect(s, '}'))
        s->bad = true;
}

struct node_ctx {
    const struct lt_contest *c;
    struct seen *seen;
    const char *region;
    size_t region_len;
    const char *type;
    size_t type_len;
    const char *children; /* where the children array starts */
};

static void tps_member(struct scan *s, void *ctx, const char *k, size_t len)
{
    static const char *const keys[5] = {"total", "counted", "held", "disputed", "confirmed"};
    struct seen *seen = ctx;
    for (int i = 0; i < 5; i++) {
        if (key_is(k, len, keys[i])) {
            seen->tps[i] = read_int(s);
            return;
        }
    }
    skip_value(s);
}

static void votes_member(struct scan *s, void *ctx, const char *k, size_t len)
{
    struct node_ctx *n = ctx;
    int number = 0;
    for (size_t i = 0; i < len && i < 3; i++)
        number = number * 10 + (k[i] - '0');
    for (int i = 0; i < n->c->n_cand; i++) {
        if (n->c->numbers[i] == number) {
            n->seen->votes[i] = read_int(s);
            return;
        }
    }
    skip_value(s);
}

static void node_member(struct scan *s, void *ctx, const char *k, size_t len)
{
    struct node_ctx *n = ctx;
    struct seen *seen = n->seen;
    const char *str;
    size_t slen;
    if (key_is(k, len, "seq"))
        seen->seq = read_int(s);
    else if (key_is(k, len, "registered"))
        seen->registered = read_int(s);
    else if (key_is(k, len, "voted"))
        seen->voted = read_int(s);
    else if (key_is(k, len, "valid"))
        seen->valid = read_int(s);
    else if (key_is(k, len, "invalid"))
        seen->invalid = read_int(s);
    else if (key_is(k, len, "tps"))
        each_member(s, tps_member, seen);
    else if (key_is(k, len, "votes"))
        each_member(s, votes_member, n);
    else if (key_is(k, len, "region") && read_string(s, &str, &slen)) {
        n->region = str;
        n->region_len = slen;
    } else if (key_is(k, len, "type") && read_string(s, &str, &slen)) {
        n->type = str;
        n->type_len = slen;
    } else if (key_is(k, len, "children")) {
        ws_skip(s);
        n->children = s->p;
        skip_value(s);
    } else {
        skip_value(s);
    }
}

/* Reads one node object into `into` (a scratch record when the node is not
 * known yet: the region code comes with the object). */
static void read_node(struct scan *s, struct node_ctx *n)
{
    each_member(s, node_member, n);
    n->seen->present = !s->bad;
}

static void on_message(struct wsc *ws, void *ctx, const char *text, size_t len)
{
    struct viewer *w = ctx;
    struct viewers *vs = w->vs;
    uint64_t now = now_us();
    vs->st.messages++;
    vs->st.bytes += len;
    if (via_edge(w)) {
        vs->st.edge_messages++;
        vs->st.edge_bytes += len;
    }
    struct topic *t = &vs->topics[w->topic];
    const struct lt_contest *c = &vs->m->contests[t->contest];
    struct seen node = w->node; /* shares the votes storage: fine, errors are counted */
    struct scan s = {text, text + len, false};
    struct node_ctx n = {.c = c, .seen = &node};
    read_node(&s, &n);
    /* An nchan edge relays what the server published: the node's full state, no type. */
    bool snapshot = via_edge(w) ? !n.type : n.type && key_is(n.type, n.type_len, "snapshot");
    if (s.bad || (!snapshot && (!n.type || !key_is(n.type, n.type_len, "update")))) {
        vs->st.errors++;
        if (vs->reported++ < REPORT_MAX)
            fprintf(stderr, "viewer: unexpected message %.*s\n", (int)(len > 200 ? 200 : len),
                    text);
        return;
    }
    w->node = node;
    if (n.children) {
        struct scan cs = {n.children, text + len, false};
        int64_t scratch_votes[LT_MAX_CAND];
        if (expect(&cs, '[') && !expect(&cs, ']')) {
            do {
                /* Parse into scratch first: the region code comes inside. */
                struct seen child = {0};
                child.votes = scratch_votes;
                struct node_ctx cn = {.c = c, .seen = &child};
                read_node(&cs, &cn);
                char code[REGION_CODE_MAX + 1];
                int32_t r = -1;
                if (!cs.bad && cn.region && cn.region_len <= REGION_CODE_MAX) {
                    memcpy(code, cn.region, cn.region_len);
                    code[cn.region_len] = '\0';
                    r = model_find(vs->m, code);
                }
                int pos = r >= 0 ? child_pos(t, r) : -1;
                if (pos < 0) {
                    vs->st.errors++;
                    continue;
                }
                struct seen *dst = &w->children[pos];
                int64_t *keep = dst->votes;
                *dst = child;
                dst->votes = keep;
                memcpy(keep, scratch_votes, (size_t)c->n_cand * sizeof *keep);
            } while (!cs.bad && expect(&cs, ','));
        }
        if (cs.bad)
            vs->st.errors++;
    }
    if (snapshot) {
        vs->st.snapshots++;
        if (!w->subscribed) {
            w->subscribed = true;
            vs->st.subscribed++;
        }
    } else {
        vs->st.updates++;
    }
    if (w->node.seq > w->last_seq) {
        w->last_seq = w->node.seq;
        w->history[w->hist_head] = (struct ack){w->last_seq, now};
        w->hist_head = (w->hist_head + 1) % HISTORY;
        if (w->hist_len < HISTORY)
            w->hist_len++;
    }
    if (w->hist_len)
        consume(w, false);
}

static void on_state(struct wsc *ws, void *ctx, int err)
{
    struct viewer *w = ctx;
    struct viewers *vs = w->vs;
    if (err == 0) {
        if (!w->connected)
            vs->st.connected++;
        w->connected = true;
        if (via_edge(w))
            return; /* the path names the channel */
        struct topic *t = &vs->topics[w->topic];
        char sub[160];
        int n = snprintf(sub, sizeof sub,
                         "{\"type\":\"subscribe\",\"contest\":\"%s\",\"region\":\"%s\"}",
                         vs->m->contests[t->contest].id, vs->m->regions[t->region].code);
        wsc_send_text(ws, sub, (size_t)n);
        return;
    }
    if (via_edge(w) && !w->lost) {
        w->lost = true; /* freed and reconnected on the next tick, outside its callback */
        if (vs->reported++ < REPORT_MAX)
            fprintf(stderr, "viewer %d: edge %s lost (%s), trying the next\n",
                    vs->o->viewer_first + (int)(w - vs->list), vs->edge_host[w->edge],
                    err < -20000 ? "websocket protocol" : uv_strerror(err));
        return;
    }
    if (!w->dead) {
        w->dead = true;
        vs->st.disconnects++;
        if (vs->reported++ < REPORT_MAX)
            fprintf(stderr, "viewer %d: connection lost (%s)\n",
                    vs->o->viewer_first + (int)(w - vs->list),
                    err < -20000 ? "websocket protocol" : uv_strerror(err));
    }
}

/* ---- life cycle ------------------------------------------------------- */

static int parse_edges(struct viewers *v, const char *list)
{
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (v->n_edges == MAX_EDGES || len == 0 || len >= sizeof item)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        char *colon = strrchr(item, ':');
        int port = colon ? atoi(colon + 1) : 0;
        if (!colon || port <= 0 || port > 65535)
            return -1;
        *colon = '\0';
        if (uv_ip4_addr(item, port, &v->edges[v->n_edges]) != 0)
            return -1;
        snprintf(v->edge_host[v->n_edges], sizeof v->edge_host[0], "%s:%d", item, port);
        v->n_edges++;
        p = comma ? comma + 1 : p + len;
    }
    return v->n_edges ? 0 : -1;
}

static struct seen seen_make(int64_t *storage)
{
    struct seen s = {0};
    s.votes = storage;
    return s;
}

struct viewers *viewers_new(uv_loop_t *loop, struct model *m, const struct lt_options *o,
                            const struct sockaddr_in *addr, const char *host,
                            int64_t (*pick)(void *ctx, uint64_t i), void *pick_ctx)
{
    struct viewers *v = xcalloc(1, sizeof *v);
    v->loop = loop;
    v->m = m;
    v->o = o;
    v->addr = *addr;
    if (o->live_port) /* the feed on a port of its own: same host */
        v->addr.sin_port = htons((uint16_t)o->live_port);
    snprintf(v->host, sizeof v->host, "%s", host);
    v->n = o->viewers;
    if (o->nchan && parse_edges(v, o->nchan) != 0) {
        fprintf(stderr, "suara-load: --nchan takes HOST:PORT[,HOST:PORT...] (IPv4, at most %d)\n",
                MAX_EDGES);
        free(v);
        return NULL;
    }
    v->list = xcalloc((size_t)v->n + 1, sizeof *v->list);
    v->topics = xcalloc((size_t)v->n + 1, sizeof *v->topics);
    v->topic_of_node = xmalloc(((size_t)m->n_nodes + 1) * sizeof *v->topic_of_node);
    if (!v->list || !v->topics || !v->topic_of_node)
        goto fail;
    memset(v->topic_of_node, 0xff, ((size_t)m->n_nodes + 1) * sizeof *v->topic_of_node);
    hist_init(&v->st.delay_us);
    v->st.n = v->n;
    for (int i = 0; i < v->n; i++) {
        struct viewer *w = &v->list[i];
        /* --nchan-compare: viewers 2k and 2k+1 watch the same node. Numbered
         * among all viewers, so N processes pick what one would. */
        int g = o->viewer_first + i;
        int twin = v->n_edges && o->nchan_compare ? g / 2 : g;
        w->direct = v->n_edges && o->nchan_compare && g % 2;
        uint64_t h = lt_mix(o->seed * 31u + (uint64_t)twin);
        int64_t slot = pick(pick_ctx, h);
        if (slot < 0)
            goto fail;
        const struct lt_slot *s = &m->slots[slot];
        double u = (double)(h >> 11) / 9007199254740992.0;
        int level = u < o->viewers_province                          ? LEVEL_PROVINCE
                    : u < o->viewers_province + o->viewers_kabupaten ? LEVEL_KABUPATEN
                    : v->n_edges                                     ? LEVEL_KECAMATAN
                                                                     : LEVEL_DESA;
        w->edge = twin % (v->n_edges ? v->n_edges : 1);
        int32_t r = ancestor_at(m, s->tps, level, m->contests[s->contest].root);
        w->vs = v;
        w->topic = topic_get(v, s->contest, r);
        const struct topic *t = &v->topics[w->topic];
        int n_cand = m->contests[t->contest].n_cand;
        int64_t *votes = xcalloc((size_t)(t->n_children + 1) * (size_t)n_cand + 1, sizeof *votes);
        w->children = xcalloc((size_t)t->n_children + 1, sizeof *w->children);
        if (!votes || !w->children || !t->children) {
            free(votes);
            goto fail;
        }
        w->node = seen_make(votes);
        for (int k = 0; k < t->n_children; k++)
            w->children[k] = seen_make(votes + (size_t)(k + 1) * (size_t)n_cand);
    }
    uv_timer_init(loop, &v->timer);
    v->timer.data = v;
    return v;
fail:
    fprintf(stderr, "suara-load: could not set up the viewers\n");
    viewers_free(v);
    return NULL;
}

static void connect_viewer(struct viewers *v, struct viewer *w)
{
    if (!via_edge(w)) {
        w->ws = wsc_new(v->loop, &v->addr, v->host, "/api/v1/live", on_message, on_state, w);
    } else {
        const struct topic *t = &v->topics[w->topic];
        char path[128];
        snprintf(path, sizeof path, "/live/%s/%s", v->m->contests[t->contest].id,
                 v->m->regions[t->region].code);
        w->ws = wsc_new(v->loop, &v->edges[w->edge], v->edge_host[w->edge], path, on_message,
                        on_state, w);
    }
    if (!w->ws || wsc_connect(w->ws) < 0) {
        w->dead = true;
        v->st.disconnects++;
    }
}

/* --nchan: a viewer whose edge went away tries the next one, as a browser
 * behind DNS round robin or a load balancer would. */
static void reconnect_lost(struct viewers *v)
{
    for (int i = 0; i < v->next_connect; i++) {
        struct viewer *w = &v->list[i];
        if (!w->lost || w->dead || w->direct)
            continue;
        wsc_free(w->ws);
        w->ws = NULL;
        w->lost = false;
        w->edge = (w->edge + 1) % v->n_edges;
        v->st.reconnects++;
        connect_viewer(v, w);
    }
}

static void on_tick(uv_timer_t *timer)
{
    struct viewers *v = timer->data;
    uint64_t now = now_us();
    if (v->n_edges)
        reconnect_lost(v);
    if (v->waiting_ready) {
        for (int k = 0; k < CONNECT_BATCH && v->next_connect < v->n; k++)
            connect_viewer(v, &v->list[v->next_connect++]);
        int settled = 0;
        for (int i = 0; i < v->next_connect; i++)
            settled += v->list[i].subscribed || v->list[i].dead;
        if ((settled == v->n && v->next_connect == v->n) || now > v->deadline_us) {
            v->waiting_ready = false;
            v->st.connect_us = now - v->started_us;
            uv_timer_stop(&v->timer);
            if (v->n_edges) /* keep reconnecting lost viewers during the night */
                uv_timer_start(&v->timer, on_tick, RECONNECT_TICK_MS, RECONNECT_TICK_MS);
            v->cb(v->cb_ctx);
        }
        return;
    }
    if (v->waiting_settle) {
        bool all = true;
        for (int i = 0; i < v->n && all; i++) {
            const struct viewer *w = &v->list[i];
            all = w->dead || w->last_seq >= v->topics[w->topic].max_seq;
        }
        if (all || now > v->deadline_us) {
            v->waiting_settle = false;
            uv_timer_stop(&v->timer);
            for (int i = 0; i < v->n; i++) {
                if (v->list[i].hist_len)
                    consume(&v->list[i], true);
            }
            v->cb(v->cb_ctx);
        }
    }
}

void viewers_start(struct viewers *v, void (*ready)(void *ctx), void *ctx)
{
    v->cb = ready;
    v->cb_ctx = ctx;
    v->started_us = now_us();
    v->deadline_us = v->started_us + READY_TIMEOUT_MS * 1000ull;
    v->waiting_ready = true;
    uv_timer_start(&v->timer, on_tick, 0, CONNECT_TICK_MS);
}

void viewers_settle(struct viewers *v, void (*done)(void *ctx), void *ctx)
{
    v->cb = done;
    v->cb_ctx = ctx;
    v->deadline_us = now_us() + (uint64_t)v->o->settle_ms * 1000;
    v->waiting_settle = true;
    uv_timer_start(&v->timer, on_tick, 0, 10);
}

static int64_t compare(struct viewers *v, const struct viewer *w, int c, int32_t r,
                       const struct seen *s)
{
    const struct model *m = v->m;
    const struct lt_node *e = model_node(m, c, r);
    const int64_t *ev = model_votes(m, c, r);
    const struct lt_contest *ct = &m->contests[c];
    int64_t want[9] = {m->regions[r].n_tps, e->counted, e->held,  e->disputed, e->confirmed,
                       e->registered,       e->voted,   e->valid, e->invalid};
    int64_t got[9] = {s->tps[0],     s->tps[1], s->tps[2], s->tps[3], s->tps[4],
                      s->registered, s->voted,  s->valid,  s->invalid};
    static const char *const names[9] = {"tps.total",    "tps.counted",   "tps.held",
                                         "tps.disputed", "tps.confirmed", "registered",
                                         "voted",        "valid",         "invalid"};
    int64_t bad = 0;
    for (int i = 0; i < 9; i++) {
        if (!s->present || want[i] != got[i]) {
            bad++;
            if (v->reported++ < REPORT_MAX)
                fprintf(stderr, "VIEWER %d %s/%s: %s is %" PRId64 ", expected %" PRId64 "%s\n",
                        v->o->viewer_first + (int)(w - v->list), ct->id, m->regions[r].code,
                        names[i], got[i], want[i], s->present ? "" : " (never received)");
            if (!s->present)
                return bad;
        }
    }
    for (int k = 0; k < ct->n_cand; k++) {
        if (s->votes[k] != ev[k]) {
            bad++;
            if (v->reported++ < REPORT_MAX)
                fprintf(stderr, "VIEWER %d %s/%s: votes.%d is %" PRId64 ", expected %" PRId64 "\n",
                        v->o->viewer_first + (int)(w - v->list), ct->id, m->regions[r].code,
                        ct->numbers[k], s->votes[k], ev[k]);
        }
    }
    return bad;
}

int64_t viewers_verify(struct viewers *v)
{
    int64_t bad = 0;
    for (int i = 0; i < v->n; i++) {
        const struct viewer *w = &v->list[i];
        const struct topic *t = &v->topics[w->topic];
        if (w->dead) {
            bad++;
            continue;
        }
        bad += compare(v, w, t->contest, t->region, &w->node);
        for (int k = 0; k < t->n_children; k++)
            bad += compare(v, w, t->contest, t->children[k], &w->children[k]);
    }
    return bad;
}

const struct viewers_stats *viewers_stats(struct viewers *v)
{
    return &v->st;
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void viewers_free(struct viewers *v)
{
    if (!v)
        return;
    for (int i = 0; v->list && i < v->n; i++) {
        wsc_free(v->list[i].ws);
        free(v->list[i].node.votes);
        free(v->list[i].children);
    }
    for (int i = 0; v->topics && i < v->n_topics; i++) {
        free(v->topics[i].children);
        free(v->topics[i].acks);
    }
    free(v->list);
    free(v->topics);
    free(v->topic_of_node);
    if (v->timer.type == UV_TIMER)
        uv_close((uv_handle_t *)&v->timer, timer_closed);
    else
        free(v);
}
