/* Publishing the live tallies to an existing pub/sub engine (--publish-url):
 * an nginx nchan publisher location, whose edges, sharing a Redis, carry the
 * viewers a single server should never hold.
 *
 * Every channel is one (contest, region) for the province, kabupaten/kota and
 * kecamatan nodes. Each tick, a channel whose node moved is queued, and so is
 * every channel not sent for --publish-refresh-s; the message is the node's
 * full state (the JSON of GET /api/v1/tally), encoded when a connection can
 * take it, POSTed to URL/{contest}/{region}. A viewer keeps the message with
 * the highest seq, so a lost, late or repeated message is harmless and a
 * failover that reloads the same seqs changes nothing.
 *
 * Bounded by construction: a channel is queued at most once (a newer change
 * supersedes the one still waiting, counted as a drop), a few keep-alive
 * connections carry one request each, and nothing here ever waits: a slow or
 * absent publisher only makes the queue coalesce, never an acknowledgement
 * wait. */
#ifndef SUARA_NET_PUBLISH_H
#define SUARA_NET_PUBLISH_H

#include "core/http_client.h"
#include "domain/tally.h"

#include <stddef.h>
#include <uv.h>

struct publisher;

struct publisher *publisher_new(uv_loop_t *loop, const struct http_url *url, int connections,
                                int tick_ms, int refresh_s);
/* The tallies are loaded: start publishing them. */
void publisher_start(struct publisher *p, const struct tallies *t);
/* Every published node carries "mode" (a static string, e.g. "test"). */
void publisher_set_mode(struct publisher *p, const char *mode);
/* Closes the timer and the connections; the publisher frees itself once
 * libuv has closed them. NULL is allowed. */
void publisher_close(struct publisher *p);

#endif
