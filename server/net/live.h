/* The live feed, WebSocket GET /api/v1/live: subscriptions per (contest,
 * region), a snapshot on subscribe, then coalesced updates once per tick.
 * Each update is encoded once per (contest, region) and the same bytes go to
 * every subscriber; a viewer that cannot keep up loses its backlog and gets a
 * fresh snapshot when it can read again. */
#ifndef SUARA_NET_LIVE_H
#define SUARA_NET_LIVE_H

#include "api.h"

#include <uv.h>

#include <stdbool.h>

struct live;
struct live_conn;
struct live_tick;

/* The serving side of a feed, on `loop`, fed by the counting side `tick`
 * (live_tick.h; the same loop or another thread's). */
struct live *live_new(uv_loop_t *loop, struct api *api, struct live_tick *tick);
/* For a feed on a thread of its own: cb runs on that thread when the
 * counting side says stop (after live_stop). */
void live_on_stop(struct live *l, void (*cb)(void *ctx), void *ctx);
/* Closes its handles; connections are closed by lws's teardown. */
void live_stop(struct live *l);
/* After the loop ran dry, before live_tick_free. */
void live_free(struct live *l);
/* The tokens were reloaded: connections whose token is gone (revoked) are
 * closed, under --private-reads, where the token is what let them in. */
void live_tokens_reloaded(struct live *l, const struct auth *auth);

#endif
