/* See publish.h. A small HTTP/1.1 client on the libuv loop: each connection
 * resolves, connects, then carries one POST at a time and reads its answer
 * (core/http_head frames it); any trouble closes it and a timer reconnects
 * with a growing delay. The publisher frees itself when the last of its
 * handles and requests has come back from libuv. */
#include "publish.h"
#include "core/mem.h"
#include "core/http_client.h"
#include "core/log.h"
#include "core/metrics.h"
#include "domain/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MIN_MS 200
#define RETRY_MAX_MS 5000
#define RX_MAX (HTTP_HEAD_MAX + 4096) /* an nchan answer is a few hundred bytes */
#define REFUSED_HOLD_MS 1000          /* a refused message is offered again after this */
#define ANSWER_MS 5000                /* a connect or a POST left unanswered this long fails */

struct channel {
    int contest;
    int32_t region;
    int64_t sent_seq;    /* in the last message the publisher accepted */
    int64_t pending_seq; /* the newest seq queued or in flight */
    uint64_t sent_ms;    /* loop time of that message, 0 = never */
    uint64_t hold_ms;    /* refused: not queued again before this loop time */
    bool queued, in_flight;
};

enum conn_state { CONN_DOWN, CONN_RESOLVING, CONN_CONNECTING, CONN_IDLE, CONN_BUSY, CONN_CLOSING };

struct pconn {
    struct publisher *p;
    enum conn_state state;
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
    uv_write_t write;
    uv_tcp_t tcp;
    bool tcp_open;
    uv_timer_t retry;
    int retry_ms;
    int channel;       /* in flight, -1 when none */
    int64_t sent_seq;  /* the seq of the message in flight */
    bool had_response; /* on this connection: an EOF before any is a failure */
    struct buf req;
    size_t rx_len;
    char rx[RX_MAX];
};

struct publisher {
    uv_loop_t *loop;
    struct http_url url;
    char port_text[8];
    const struct tallies *t;
    const char *mode; /* the election's mode, said by every message like the live feed's */
    uv_timer_t tick;
    int tick_ms;
    uint64_t refresh_ms;
    struct channel *channels;
    int n_channels;
    int *queue; /* ring of n_channels: each channel is queued at most once */
    int q_head, q_len;
    struct pconn *conns;
    int n_conns;
    int refs; /* open handles and pending requests */
    bool closing;
};

static void conn_connect(struct pconn *c);
static void pump(struct publisher *p);

/* --- lifetime ------------------------------------------------------------ */

static void publisher_free(struct publisher *p)
{
    for (int i = 0; i < p->n_conns; i++)
        buf_free(&p->conns[i].req);
    free(p->conns);
    free(p->queue);
    free(p->channels);
    free(p);
}

static void unref(struct publisher *p)
{
    if (--p->refs == 0 && p->closing)
        publisher_free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
    unref(h->data);
}

static void on_retry_closed(uv_handle_t *h)
{
    unref(((struct pconn *)h->data)->p);
}

/* --- the queue ------------------------------------------------------------- */

static void queue_push(struct publisher *p, int ch, bool front)
{
    if (front) {
        p->q_head = (p->q_head + p->n_channels - 1) % p->n_channels;
        p->queue[p->q_head] = ch;
    } else {
        p->queue[(p->q_head + p->q_len) % p->n_channels] = ch;
    }
    p->q_len++;
    p->channels[ch].queued = true;
    g_metrics.publish_queue = p->q_len;
}

static int queue_pop(struct publisher *p)
{
    int ch = p->queue[p->q_head];
    p->q_head = (p->q_head + 1) % p->n_channels;
    p->q_len--;
    p->channels[ch].queued = false;
    g_metrics.publish_queue = p->q_len;
    return ch;
}

/* A channel has news (or is due for its refresh). A message still waiting
 * for a connection is superseded by the newer state: that one is dropped. */
static void channel_mark(struct publisher *p, int ch, int64_t seq)
{
    struct channel *c = &p->channels[ch];
    c->pending_seq = seq;
    if (c->queued)
        g_metrics.publish_dropped++;
    else
        queue_push(p, ch, false);
}

static void on_tick(uv_timer_t *timer)
{
    struct publisher *p = timer->data;
    uint64_t now = uv_now(p->loop);
    for (int i = 0; i < p->n_channels; i++) {
        struct channel *c = &p->channels[i];
        if (now < c->hold_ms)
            continue;
        int64_t seq = tally_node(p->t, c->contest, c->region)->seq;
        bool moved = seq > c->pending_seq;
        bool due =
            !c->queued && !c->in_flight && (c->sent_ms == 0 || now - c->sent_ms >= p->refresh_ms);
        if (moved || due)
            channel_mark(p, i, seq);
    }
    pump(p);
}

/* --- one connection -------------------------------------------------------- */

static void on_retry(uv_timer_t *t)
{
    conn_connect(t->data);
}

static void conn_drop(struct pconn *c, const char *why);

/* nchan 1.3.6 can leave a POST unanswered for good (seen after its Redis
 * went away and came back), and a connect to a host that vanished waits for
 * the kernel's SYN retries: either would hold a connection forever. */
static void on_stuck(uv_timer_t *t)
{
    struct pconn *c = t->data;
    if (c->state == CONN_BUSY || c->state == CONN_CONNECTING)
        conn_drop(c, "no answer in time");
}

/* The connection's timer, idle while it waits for an answer, bounds that wait. */
static void await_answer(struct pconn *c)
{
    uv_timer_start(&c->retry, on_stuck, ANSWER_MS, 0);
}

static void retry_later(struct pconn *c)
{
    c->state = CONN_DOWN;
    if (c->p->closing)
        return;
    uv_timer_start(&c->retry, on_retry, (uint64_t)c->retry_ms, 0);
    c->retry_ms = c->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->retry_ms * 2;
}

static void conn_closed(uv_handle_t *h)
{
    struct pconn *c = h->data;
    c->tcp_open = false;
    retry_later(c);
    unref(c->p);
}

/* Closes the connection; the message in flight goes back to the front of the
 * queue unless a newer one for its channel is queued already. */
static void conn_drop(struct pconn *c, const char *why)
{
    struct publisher *p = c->p;
    if (why) {
        g_metrics.publish_errors++;
        log_warn("publish_failed", "host=%s port=%d reason=\"%s\"", p->url.host, p->url.port, why);
    }
    if (c->channel >= 0) {
        p->channels[c->channel].in_flight = false;
        if (!p->channels[c->channel].queued)
            queue_push(p, c->channel, true);
    }
    c->channel = -1;
    c->rx_len = 0;
    c->had_response = false;
    if (c->tcp_open && c->state != CONN_CLOSING) {
        c->state = CONN_CLOSING;
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
    } else if (!c->tcp_open) {
        retry_later(c);
    }
}

static void on_answer(struct pconn *c, const struct http_head *h)
{
    struct publisher *p = c->p;
    struct channel *ch = &p->channels[c->channel];
    uv_timer_stop(&c->retry);
    ch->in_flight = false;
    c->channel = -1;
    c->had_response = true;
    c->retry_ms = RETRY_MIN_MS;
    if (h->status >= 200 && h->status < 300) {
        ch->sent_seq = c->sent_seq;
        ch->sent_ms = uv_now(p->loop);
        g_metrics.publish_sent++;
    } else {
        /* Not taken (nchan answers 503 until its Redis is connected, just
         * after a restart): offered again a little later, as if it had not
         * been sent, rather than at the next refresh a minute away. */
        ch->pending_seq = ch->sent_seq;
        ch->hold_ms = uv_now(p->loop) + REFUSED_HOLD_MS;
        g_metrics.publish_errors++;
        log_warn("publish_refused", "status=%d contest=%s region=%s", h->status,
                 p->t->contests[ch->contest].contest->id, p->t->reg->regions[ch->region].code);
    }
    if (!h->keep_alive) {
        conn_drop(c, NULL);
        return;
    }
    c->state = CONN_IDLE;
    pump(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)suggested;
    struct pconn *c = h->data;
    *b = uv_buf_init(c->rx + c->rx_len, (unsigned)(RX_MAX - c->rx_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct pconn *c = s->data;
    if (n == 0)
        return;
    if (n < 0) {
        /* nginx closes idle keep-alive connections: not a failure. */
        bool idle_close = n == UV_EOF && c->state == CONN_IDLE && c->had_response;
        conn_drop(c, idle_close ? NULL : uv_strerror((int)n));
        return;
    }
    c->rx_len += (size_t)n;
    if (c->state != CONN_BUSY) {
        conn_drop(c, "bytes without a request");
        return;
    }
    struct http_head h;
    enum http_head_result r = http_head_parse(c->rx, c->rx_len, &h);
    if (r == HTTP_HEAD_PARTIAL)
        return;
    if (r == HTTP_HEAD_INVALID || h.head_len + h.body_len > RX_MAX) {
        conn_drop(c, "an answer that cannot be framed");
        return;
    }
    size_t whole = h.head_len + h.body_len;
    if (c->rx_len < whole)
        return;
    if (c->rx_len > whole) {
        conn_drop(c, "bytes after the answer");
        return;
    }
    c->rx_len = 0;
    on_answer(c, &h);
}

static void on_written(uv_write_t *w, int status)
{
    struct pconn *c = w->data;
    if (status < 0 && status != UV_ECANCELED && c->state == CONN_BUSY)
        conn_drop(c, uv_strerror(status));
}

static void on_connected(uv_connect_t *req, int status)
{
    struct pconn *c = req->data;
    if (status == UV_ECANCELED || c->p->closing)
        return;
    if (status < 0) {
        conn_drop(c, uv_strerror(status));
        return;
    }
    uv_timer_stop(&c->retry);
    c->state = CONN_IDLE;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    pump(c->p);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct pconn *c = req->data;
    struct publisher *p = c->p;
    if (p->closing || status < 0) {
        if (!p->closing)
            conn_drop(c, uv_strerror(status));
        uv_freeaddrinfo(res);
        unref(p);
        return;
    }
    uv_tcp_init(p->loop, &c->tcp);
    c->tcp.data = c;
    c->tcp_open = true;
    p->refs++;
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = CONN_CONNECTING;
    int rc = uv_tcp_connect(&c->connect, &c->tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    unref(p);
    if (rc != 0)
        conn_drop(c, uv_strerror(rc));
    else
        await_answer(c);
}

static void conn_connect(struct pconn *c)
{
    struct publisher *p = c->p;
    if (p->closing)
        return;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->state = CONN_RESOLVING;
    p->refs++;
    int rc = uv_getaddrinfo(p->loop, &c->resolve, on_resolved, p->url.host, p->port_text, &hints);
    if (rc != 0) {
        p->refs--;
        conn_drop(c, uv_strerror(rc));
    }
}

/* --- sending ---------------------------------------------------------------- */

/* Encodes the channel's node as it is now and writes its POST. */
static void send_channel(struct pconn *c, int ch)
{
    struct publisher *p = c->p;
    struct channel *chan = &p->channels[ch];
    const char *contest = p->t->contests[chan->contest].contest->id;
    const char *region = p->t->reg->regions[chan->region].code;
    cJSON *node = view_tally_node(NULL, p->t, chan->contest, chan->region, VIEW_ALL_CHILDREN);
    if (node && p->mode)
        cJSON_AddStringToObject(node, "mode", p->mode);
    char *body = view_json(node);
    if (!body) {
        g_metrics.publish_dropped++;
        return;
    }
    size_t len = strlen(body);
    buf_reset(&c->req);
    buf_printf(&c->req,
               "POST %s/%s/%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %zu\r\n\r\n",
               p->url.path, contest, region, p->url.host, len);
    int rc = buf_append(&c->req, body, len);
    free(body);
    if (rc != 0) {
        g_metrics.publish_dropped++;
        return;
    }
    c->channel = ch;
    chan->in_flight = true;
    c->sent_seq = tally_node(p->t, chan->contest, chan->region)->seq;
    c->state = CONN_BUSY;
    uv_buf_t b = uv_buf_init(c->req.data, (unsigned)c->req.len);
    c->write.data = c;
    rc = uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc != 0)
        conn_drop(c, uv_strerror(rc));
    else
        await_answer(c);
}

static void pump(struct publisher *p)
{
    for (int i = 0; i < p->n_conns && p->q_len > 0; i++) {
        struct pconn *c = &p->conns[i];
        if (c->state == CONN_IDLE)
            send_channel(c, queue_pop(p));
    }
}

/* --- public ------------------------------------------------------------------ */

/* Every province, kabupaten/kota and kecamatan node of every contest. */
static int make_channels(struct publisher *p)
{
    const struct registry *reg = p->t->reg;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int c = 0; c < p->t->n_contests; c++) {
            int32_t root = p->t->contests[c].base;
            for (int32_t r = root; r < reg->regions[root].end; r++) {
                if (reg->regions[r].level > LEVEL_KECAMATAN)
                    continue;
                if (pass == 1)
                    p->channels[n] = (struct channel){.contest = c, .region = r, .pending_seq = -1};
                n++;
            }
        }
        if (pass == 0) {
            p->channels = xcalloc((size_t)n, sizeof *p->channels);
            p->queue = xcalloc((size_t)n, sizeof *p->queue);
            n = 0;
        }
    }
    p->n_channels = n;
    return 0;
}

struct publisher *publisher_new(uv_loop_t *loop, const struct http_url *url, int connections,
                                int tick_ms, int refresh_s)
{
    struct publisher *p = xcalloc(1, sizeof *p);
    p->conns = xcalloc((size_t)connections, sizeof *p->conns);
    p->loop = loop;
    p->url = *url;
    snprintf(p->port_text, sizeof p->port_text, "%d", url->port);
    p->tick_ms = tick_ms;
    p->refresh_ms = (uint64_t)refresh_s * 1000;
    p->n_conns = connections;
    uv_timer_init(loop, &p->tick);
    p->tick.data = p;
    p->refs = 1;
    for (int i = 0; i < connections; i++) {
        struct pconn *c = &p->conns[i];
        c->p = p;
        c->channel = -1;
        c->retry_ms = RETRY_MIN_MS;
        c->resolve.data = c->connect.data = c;
        buf_init(&c->req, 1u << 24);
        uv_timer_init(loop, &c->retry);
        c->retry.data = c;
        p->refs++;
    }
    return p;
}

void publisher_start(struct publisher *p, const struct tallies *t)
{
    p->t = t;
    if (make_channels(p) != 0) {
        log_error("publish_disabled", "error=\"out of memory\"");
        return;
    }
    log_info("publishing", "host=%s port=%d path=\"%s\" channels=%d", p->url.host, p->url.port,
             p->url.path, p->n_channels);
    for (int i = 0; i < p->n_conns; i++)
        conn_connect(&p->conns[i]);
    uv_timer_start(&p->tick, on_tick, (uint64_t)p->tick_ms, (uint64_t)p->tick_ms);
}

void publisher_close(struct publisher *p)
{
    if (!p || p->closing)
        return;
    p->closing = true;
    uv_close((uv_handle_t *)&p->tick, on_handle_closed);
    for (int i = 0; i < p->n_conns; i++) {
        struct pconn *c = &p->conns[i];
        if (c->state == CONN_RESOLVING)
            uv_cancel((uv_req_t *)&c->resolve);
        uv_close((uv_handle_t *)&c->retry, on_retry_closed);
        if (c->tcp_open && c->state != CONN_CLOSING) {
            c->state = CONN_CLOSING;
            uv_close((uv_handle_t *)&c->tcp, conn_closed);
        }
    }
}

void publisher_set_mode(struct publisher *p, const char *mode)
{
    p->mode = mode;
}
