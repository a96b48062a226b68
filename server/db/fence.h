/* Fencing of the writing server: its claim on the database (load.h) must not
 * outlive the server's ability to act on it. Every session of the claiming
 * connection runs with idle_session_timeout = fence_ms, and a heartbeat query
 * is queued every third of that (it also reads the primary's replication
 * state for /metrics): a live server never idles out, while one that hangs (SIGSTOP, a
 * stalled machine) loses its session - and with it the advisory lock - after
 * at most fence_ms of silence, so a standby server can take over. The old
 * server, should it wake up, finds the claim's generation changed and stops
 * (see app.c); the database refuses its batches anyway (suara_batch). */
#ifndef SUARA_DB_FENCE_H
#define SUARA_DB_FENCE_H

#include "pg.h"

struct fence;

/* fence_ms 0 disables both the timeout and the heartbeat. */
struct fence *fence_new(uv_loop_t *loop, struct pg *pg, int fence_ms);
/* A new session is up: sets its idle_session_timeout (queued like any job). */
void fence_session_up(struct fence *f);
/* Stops the heartbeat; frees f once its timer is closed. */
void fence_close(struct fence *f);

#endif
