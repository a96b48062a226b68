/* The viewers in child processes (`run --viewer-procs N`). In one process
 * the same loop that sends the forms and reads their answers also parses
 * every viewer's frames, so the generator's own work delays the
 * acknowledgements it measures; and one process holds a socket per viewer,
 * so the open-file limit caps the viewers. Here N forked children each hold
 * a share of the viewers on a loop of their own; the witnesses' process
 * forwards every acknowledgement to them (contest, TPS, seq and its time on
 * the monotonic clock, which fork shares) so the update delay is measured as
 * in one process, and at the end sends them the expected totals to verify
 * against. The children report their counters and delays back, merged here.
 *
 * Hand-off: acknowledgements go down a pipe per child written from the
 * parent's loop (queued, never blocking the loop); reports come back on a
 * second pipe, read while the parent has nothing else to do (ready, settled,
 * verified). */
#ifndef SUARA_LOAD_VIEWER_PROCS_H
#define SUARA_LOAD_VIEWER_PROCS_H

#include "model.h"
#include "options.h"
#include "viewers.h"

#include <uv.h>

struct vprocs;

/* Forks o->viewer_procs children, each connecting and subscribing its share
 * of o->viewers (as viewers_new and viewers_start would), and returns once
 * every child is ready; NULL (message on stderr) on failure. */
struct vprocs *vprocs_new(uv_loop_t *loop, struct model *m, const struct lt_options *o,
                          const struct sockaddr_in *addr, const char *host,
                          int64_t (*pick)(void *ctx, uint64_t i), void *pick_ctx);
/* A driver_ack_cb: queues the acknowledgement for every child. */
void vprocs_on_ack(void *p, int contest, int32_t tps, int64_t seq, uint64_t now_us);
/* Sends what is queued and the model's expected totals, then waits until
 * every child's viewers have settled (viewers_settle). 0, or -1 when a child
 * failed. */
int vprocs_settle(struct vprocs *p);
/* Every child's viewers_verify, summed (a child that failed counts its
 * viewers). */
int64_t vprocs_verify(struct vprocs *p);
/* The children's counters and delays, merged; valid until vprocs_free. */
const struct viewers_stats *vprocs_stats(struct vprocs *p);
/* CPU seconds the children used so far (from /proc). */
double vprocs_cpu(struct vprocs *p);
void vprocs_free(struct vprocs *p);

#endif
