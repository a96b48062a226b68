/* net/live_link: what one thread pushes another loop reads in the order
 * pushed, whatever the interleaving of pushes and wake-ups; a shared frame
 * is freed once, by whichever thread lets go last; a closed queue drops what
 * is pushed afterwards; and the reading loop still closes cleanly. */
#include "net/live_link.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define ITEMS 200000

struct reader {
    struct live_link *link;
    int64_t seen, last_seq;
    int out_of_order;
};

static void on_down(void *ctx, struct live_item *items)
{
    struct reader *r = ctx;
    for (struct live_item *it = items; it; it = live_item_next(it)) {
        if (it->seq != r->last_seq + 1)
            r->out_of_order++;
        r->last_seq = it->seq;
        r->seen++;
    }
    live_items_free(items);
    if (r->seen == ITEMS) {
        live_queue_close(&r->link->down);
        live_queue_close(&r->link->up);
    }
}

static void on_up(void *ctx, struct live_item *items)
{
    (void)ctx;
    live_items_free(items);
}

struct pusher {
    struct live_link *link;
    struct live_frame *frame;
};

/* Every item carries a reference to the same frame, dropped by the reader. */
static void push_all(void *arg)
{
    struct pusher *p = arg;
    for (int64_t i = 1; i <= ITEMS; i++)
        live_queue_push(&p->link->down, LIVE_ITEM_UPDATE, 7, i, live_frame_ref(p->frame), NULL);
    live_frame_unref(p->frame);
}

static void test_another_threads_pushes_arrive_in_order(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct reader r = {0};
    /* One loop reads both directions here; the pushes come from a thread. */
    r.link = live_link_new(&loop, on_up, NULL, &loop, on_down, &r);
    struct pusher p = {r.link, live_frame_new("{\"type\":\"update\"}", 17)};
    assert_int_equal(memcmp(live_frame_text(p.frame), "{\"type\":\"update\"}", 17), 0);
    uv_thread_t thread;
    assert_int_equal(uv_thread_create(&thread, push_all, &p), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_thread_join(&thread), 0);
    assert_int_equal(r.seen, ITEMS);
    assert_int_equal(r.out_of_order, 0);
    /* Closed: dropped (and its frame freed: ASan and valgrind would say). */
    live_queue_push(&r.link->down, LIVE_ITEM_UPDATE, 7, ITEMS + 1, live_frame_new("x", 1), NULL);
    assert_null(atomic_load(&r.link->down.items.head));
    live_link_free(r.link);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_another_threads_pushes_arrive_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
