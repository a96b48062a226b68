/* See photo_check.h.
 *
 * Two lists: `todo` (pushed by the loop, taken by the thread) and `done`
 * (pushed by the thread, taken by the loop), each with a core/wake_fd.h
 * wake-up. The thread blocks in read() on its fd; the loop watches its own
 * with a uv_poll_t. */
#include "photo_check.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/thread.h"
#include "core/wake_fd.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct photo_checker {
    int nice_by;
    photo_job_cb *run, *done;
    struct lf_list todo, done_jobs;
    int todo_fd, done_fd;
    uv_poll_t poll; /* done_fd, on the loop */
    uv_thread_t thread;
    atomic_int stopping;  /* set by the loop */
    atomic_int ended;     /* set by the thread as it returns */
    bool stopped, joined; /* the loop's */
};

/* `stopping` is read before the take: once the loop has set it, nothing is
 * submitted any more, so a take after seeing it set gets every last job. */
static void run(void *arg)
{
    struct photo_checker *pc = arg;
    thread_name("photo-check");
    int err = thread_lower_priority(pc->nice_by);
    if (err)
        log_warn("photo_check_nice_failed", "error=\"%s\"", strerror(err));
    for (;;) {
        int stop = atomic_load(&pc->stopping);
        struct lf_node *n = lf_list_take(&pc->todo);
        if (!n && stop)
            break;
        if (!n)
            wake_fd_reset(pc->todo_fd);
        while (n) {
            struct lf_node *next = n->next;
            struct photo_job *job = (struct photo_job *)n;
            job->status = atomic_load(&pc->stopping) ? UV_ECANCELED : 0;
            if (job->status == 0)
                pc->run(job);
            lf_list_push(&pc->done_jobs, n);
            wake_fd_signal(pc->done_fd);
            n = next;
        }
    }
    atomic_store(&pc->ended, 1);
    wake_fd_signal(pc->done_fd);
}

static void on_done(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    struct photo_checker *pc = poll->data;
    /* Reset, then `ended`, then the take: a thread that ends after the reset
     * wakes the loop once more; one that ended before it is seen as ended,
     * its last jobs in the take. */
    wake_fd_reset(pc->done_fd);
    int ended = atomic_load(&pc->ended);
    for (struct lf_node *n = lf_list_take(&pc->done_jobs), *next; n; n = next) {
        next = n->next;
        pc->done((struct photo_job *)n);
    }
    if (ended && !pc->joined) {
        uv_thread_join(&pc->thread);
        pc->joined = true;
        uv_close((uv_handle_t *)&pc->poll, NULL);
    }
}

static void close_fds(struct photo_checker *pc)
{
    if (pc->todo_fd >= 0)
        close(pc->todo_fd);
    if (pc->done_fd >= 0)
        close(pc->done_fd);
}

/* The thread ends at once: nothing was submitted. */
static void end_thread(struct photo_checker *pc)
{
    atomic_store(&pc->stopping, 1);
    wake_fd_signal(pc->todo_fd);
    uv_thread_join(&pc->thread);
    pc->joined = true;
}

struct photo_checker *photo_checker_start(uv_loop_t *loop, int nice_by, photo_job_cb *run_job,
                                          photo_job_cb *done)
{
    struct photo_checker *pc = xcalloc(1, sizeof *pc);
    pc->nice_by = nice_by;
    pc->run = run_job;
    pc->done = done;
    lf_list_init(&pc->todo);
    lf_list_init(&pc->done_jobs);
    atomic_init(&pc->stopping, 0);
    atomic_init(&pc->ended, 0);
    pc->todo_fd = wake_fd_open(false);
    pc->done_fd = wake_fd_open(true);
    bool ok = pc->todo_fd >= 0 && pc->done_fd >= 0 && uv_thread_create(&pc->thread, run, pc) == 0;
    if (ok && uv_poll_init(loop, &pc->poll, pc->done_fd) != 0) {
        end_thread(pc);
        ok = false;
    }
    if (!ok) {
        close_fds(pc);
        free(pc);
        return NULL;
    }
    pc->poll.data = pc;
    uv_poll_start(&pc->poll, UV_READABLE, on_done);
    return pc;
}

int photo_checker_submit(struct photo_checker *pc, struct photo_job *job)
{
    if (pc->stopped)
        return -1;
    lf_list_push(&pc->todo, &job->node);
    wake_fd_signal(pc->todo_fd);
    return 0;
}

void photo_checker_stop(struct photo_checker *pc)
{
    if (!pc || pc->stopped)
        return;
    pc->stopped = true;
    atomic_store(&pc->stopping, 1);
    wake_fd_signal(pc->todo_fd);
}

/* The poll handle was closed in on_done, once the thread had ended, which
 * kept the loop running until then. */
void photo_checker_free(struct photo_checker *pc)
{
    if (!pc)
        return;
    if (!pc->joined) /* stopped without the loop running again: cannot be, but never leak a thread
                      */
        end_thread(pc);
    close_fds(pc);
    free(pc);
}
