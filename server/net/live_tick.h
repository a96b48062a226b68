/* The counting side of the live feed (live_link.h): on the loop that owns
 * the tallies, it keeps, for each feed, which (contest, region) nodes have
 * subscribers and the seq each last broadcast, runs the tick, and encodes
 * every update and snapshot. It never touches a viewer's connection: the
 * feeds' serving sides (live.c) do, on their own loops. */
#ifndef SUARA_NET_LIVE_TICK_H
#define SUARA_NET_LIVE_TICK_H

#include "api.h"
#include "live_link.h"

#include <uv.h>

#define LIVE_TICK_FEEDS_MAX 2 /* the feed on --listen, and the one on --live-listen */

struct live_tick;

struct live_tick *live_tick_new(uv_loop_t *loop, struct api *api);
/* A feed whose serving side is on `serving` (the same loop, or a thread's):
 * the link it talks through, owned by the tick. NULL when there are
 * LIVE_TICK_FEEDS_MAX already. */
struct live_link *live_tick_add_feed(struct live_tick *t, uv_loop_t *serving,
                                     live_items_cb *on_down, void *down_ctx);
/* The tallies are loaded: the ticks start and every feed is told. */
void live_tick_ready(struct live_tick *t);
/* Stops the tick and tells every feed to stop; nothing is sent afterwards. */
void live_tick_stop(struct live_tick *t);
/* After every feed's serving side has stopped (and its thread joined). */
void live_tick_free(struct live_tick *t);

#endif
