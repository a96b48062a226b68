/* The dashboard viewers: N WebSocket connections, each subscribed to one tally
 * node (a province, kabupaten/kota or desa of a contest the run fills). Each
 * keeps the node's totals and its children's as the server's snapshot and
 * updates describe them, and measures the update delay: for every
 * acknowledged form below its node, the time from the acknowledgement to the
 * first message whose node seq is at least the form's seq (0 when the update
 * came first). */
#ifndef SUARA_LOAD_VIEWERS_H
#define SUARA_LOAD_VIEWERS_H

#include "hist.h"
#include "model.h"
#include "options.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct viewers_stats {
    int n, connected, subscribed;
    uint64_t messages, snapshots, updates, errors, bytes, disconnects;
    uint64_t reconnects;                /* --nchan: to another edge after losing one */
    uint64_t edge_messages, edge_bytes; /* --nchan: what the edges delivered (of messages, bytes) */
    uint64_t delay_samples, undelivered;
    struct hist delay_us;
    uint64_t connect_us; /* time to connect and get every snapshot */
};

struct viewers;

/* topics are picked among the stories' slots (pick(ctx, i) -> slot index). */
struct viewers *viewers_new(uv_loop_t *loop, struct model *m, const struct lt_options *o,
                            const struct sockaddr_in *addr, const char *host,
                            int64_t (*pick)(void *ctx, uint64_t i), void *pick_ctx);
/* Connects and subscribes everyone; ready(ctx) once each has its snapshot
 * (or after a timeout, with failures counted). */
void viewers_start(struct viewers *v, void (*ready)(void *ctx), void *ctx);
/* An acknowledged form: remember it for the delay of every viewer above it. */
void viewers_on_ack(void *v, int contest, int32_t tps, int64_t seq, uint64_t now_us);
/* Waits until every viewer shows its node's newest seq (or settle_ms); then
 * done(ctx). */
void viewers_settle(struct viewers *v, void (*done)(void *ctx), void *ctx);
/* Compares every viewer's last state with the model's expected totals;
 * prints each difference (up to a limit) and returns how many there were. */
int64_t viewers_verify(struct viewers *v);
const struct viewers_stats *viewers_stats(struct viewers *v);
void viewers_free(struct viewers *v);

#endif
