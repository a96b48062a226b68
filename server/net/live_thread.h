/* The live feed on a thread of its own (--live-listen): its own libuv loop
 * and libwebsockets context, listening on its own port (lws contexts cannot
 * share one), serving the same WebSocket protocol as /api/v1/live on
 * --listen. The counting loop keeps the tick and encodes every message
 * (live_tick.c); this thread owns the topics, the subscriptions and the
 * viewers' sockets, and runs at a lower scheduling priority (--live-nice),
 * so that when the CPU is short the kernel runs the witnesses' loop and
 * PostgreSQL first and the viewers get what is left. */
#ifndef SUARA_NET_LIVE_THREAD_H
#define SUARA_NET_LIVE_THREAD_H

#include "api.h"

#include <stddef.h>

struct live_thread;
struct live_tick;

/* Starts the thread and waits until it listens. NULL with a message in err
 * when it cannot (the port in use); nothing is left running then. */
struct live_thread *live_thread_start(struct api *api, struct live_tick *tick, char *err,
                                      size_t err_size);
/* Once the counting side has said stop (live_tick_stop): waits for the
 * thread to close every connection and its loop, and frees it. 0, or -1 when
 * its loop did not close cleanly. */
int live_thread_join(struct live_thread *lt);

#endif
