/* See fence.h. */
#include "fence.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>

struct fence {
    struct pg *pg;
    uv_timer_t timer;
    int fence_ms;
    char set_timeout[64]; /* pg_exec keeps the pointer */
};

static void beat(uv_timer_t *t)
{
    struct fence *f = t->data;
    /* Only when nothing is queued: any job keeps the session busy anyway,
     * and heartbeats must not pile up while the connection is down. */
    if (pg_idle(f->pg))
        pg_exec(f->pg, "SELECT 1");
}

struct fence *fence_new(uv_loop_t *loop, struct pg *pg, int fence_ms)
{
    struct fence *f = xcalloc(1, sizeof *f);
    f->pg = pg;
    f->fence_ms = fence_ms;
    snprintf(f->set_timeout, sizeof f->set_timeout, "SET idle_session_timeout = %d", fence_ms);
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    if (fence_ms > 0) {
        uint64_t every = (uint64_t)(fence_ms / 3 > 0 ? fence_ms / 3 : 1);
        uv_timer_start(&f->timer, beat, every, every);
    }
    return f;
}

void fence_session_up(struct fence *f)
{
    if (f->fence_ms > 0)
        pg_exec(f->pg, f->set_timeout);
}

static void free_fence(uv_handle_t *h)
{
    free(h->data);
}

void fence_close(struct fence *f)
{
    uv_timer_stop(&f->timer);
    uv_close((uv_handle_t *)&f->timer, free_fence);
}
