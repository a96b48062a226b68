/* The thread that checks uploaded photos (hash and decode: about 3 ms of
 * CPU for a 300 KB JPEG), one at a time, at a lower scheduling priority
 * (--photo-check-nice), so that when the CPU is short the loop and
 * PostgreSQL run first and the photos wait.
 *
 * Why not libuv's thread pool: a pool thread hands a finished job back with
 * uv_async_send, which in libuv 1.44 marks the handle busy, writes the
 * loop's eventfd, then marks it done; the loop, woken in between, spins and
 * yields until that thread runs again, which at nice 10 took up to 14 ms.
 * Here nothing the loop does can wait for the thread: jobs go both ways
 * through lock-free lists (core/lf_list.h), and each side is woken by one
 * write() to an eventfd of its own, which leaves nothing half done. */
#ifndef SUARA_NET_PHOTO_CHECK_H
#define SUARA_NET_PHOTO_CHECK_H

#include "core/lf_list.h"

#include <uv.h>

/* The first member of the caller's job. */
struct photo_job {
    struct lf_node node;
    int status; /* for done: 0 once run, UV_ECANCELED when the checker stopped first */
};

typedef void photo_job_cb(struct photo_job *job);

struct photo_checker;

/* Starts the thread; run is called on it for each job in the order
 * submitted, then done on the loop. NULL when the thread cannot start. */
struct photo_checker *photo_checker_start(uv_loop_t *loop, int nice_by, photo_job_cb *run,
                                          photo_job_cb *done);
/* On the loop: 0, or -1 once stopped (done will not be called). */
int photo_checker_submit(struct photo_checker *pc, struct photo_job *job);
/* On the loop: jobs not yet begun come back cancelled, the thread ends after
 * the one it is running, and the checker's handle closes once it has. */
void photo_checker_stop(struct photo_checker *pc);
/* After the loop has run dry. */
void photo_checker_free(struct photo_checker *pc);

#endif
