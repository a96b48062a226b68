/* See live_link.h. */
#include "live_link.h"
#include "core/mem.h"
#include "core/wake_fd.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct live_frame *live_frame_new(const char *text, size_t len)
{
    struct live_frame *f = xmalloc(sizeof *f + LWS_PRE + len);
    atomic_init(&f->refs, 1);
    f->len = len;
    memcpy(f->data + LWS_PRE, text, len);
    return f;
}

struct live_frame *live_frame_ref(struct live_frame *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

/* The last reference may be dropped on either thread: acq_rel so that the
 * thread freeing it sees every write made before the others let go. */
void live_frame_unref(struct live_frame *f)
{
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
        free(f);
}

unsigned char *live_frame_text(struct live_frame *f)
{
    return f->data + LWS_PRE;
}

void live_items_free(struct live_item *items)
{
    while (items) {
        struct live_item *next = live_item_next(items);
        live_frame_unref(items->frame);
        free(items);
        items = next;
    }
}

/* Takes everything pushed so far, oldest first, and hands it to the reader
 * (the reset first: see core/wake_fd.h). */
static void on_wake(uv_poll_t *poll, int status, int events)
{
    (void)status;
    (void)events;
    struct live_queue *q = poll->data;
    wake_fd_reset(q->fd);
    struct live_item *items = (struct live_item *)lf_list_take(&q->items);
    if (items)
        q->on_items(q->ctx, items);
}

static void queue_init(struct live_queue *q, uv_loop_t *loop, live_items_cb *cb, void *ctx)
{
    lf_list_init(&q->items);
    atomic_init(&q->closed, 0);
    atomic_init(&q->pushers, 0);
    q->on_items = cb;
    q->ctx = ctx;
    /* At start-up, before any viewer: out of descriptors here is out of
     * memory for the process, and ends it as xcalloc does. */
    q->fd = wake_fd_open(true);
    SU_ASSERT(q->fd >= 0 && uv_poll_init(loop, &q->poll, q->fd) == 0);
    q->poll.data = q;
    uv_poll_start(&q->poll, UV_READABLE, on_wake);
}

struct live_link *live_link_new(uv_loop_t *counting, live_items_cb *on_up, void *up_ctx,
                                uv_loop_t *serving, live_items_cb *on_down, void *down_ctx)
{
    struct live_link *link = xcalloc(1, sizeof *link);
    queue_init(&link->up, counting, on_up, up_ctx);
    queue_init(&link->down, serving, on_down, down_ctx);
    return link;
}

/* `pushers` is raised before `closed` is read, and live_queue_close sets
 * `closed` before it reads `pushers` (both sequentially consistent): either
 * the push sees the queue closed and drops its item, or the close waits for
 * the push's wake-up to return before closing the handle. */
void live_queue_push(struct live_queue *q, enum live_item_kind kind, uint64_t key, int64_t seq,
                     struct live_frame *frame, const char *mode)
{
    struct live_item *it = xcalloc(1, sizeof *it);
    *it = (struct live_item){{NULL}, kind, key, seq, frame, mode};
    atomic_fetch_add(&q->pushers, 1);
    if (atomic_load(&q->closed)) {
        atomic_fetch_sub(&q->pushers, 1);
        live_items_free(it);
        return;
    }
    lf_list_push(&q->items, &it->node);
    wake_fd_signal(q->fd);
    atomic_fetch_sub(&q->pushers, 1);
}

void live_queue_close(struct live_queue *q)
{
    if (atomic_exchange(&q->closed, 1))
        return;
    while (atomic_load(&q->pushers)) /* a push between its check and its wake-up: microseconds */
        uv_sleep(1);
    uv_close((uv_handle_t *)&q->poll, NULL);
}

void live_link_free(struct live_link *link)
{
    if (!link)
        return;
    live_items_free((struct live_item *)lf_list_take(&link->up.items));
    live_items_free((struct live_item *)lf_list_take(&link->down.items));
    close(link->up.fd);
    close(link->down.fd);
    free(link);
}
