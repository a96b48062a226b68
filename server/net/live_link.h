/* The live feed's two halves and what passes between them. The counting side
 * (live_tick.c, on the loop that owns the tallies) decides what moved and
 * encodes every update and snapshot; the serving side (live.c, on the loop
 * that owns the viewers' sockets) keeps the topics and subscriptions and
 * writes. They may run on one loop (the feed on --listen) or on two threads
 * (--live-listen, live_thread.c): either way they meet only here, through two
 * lock-free FIFOs, each with a wake-up (core/wake_fd.h) that the loop
 * reading it polls.
 * Order is kept: every update of a topic the counting side sent after a
 * snapshot arrives after it, which is what makes "snapshot, then updates
 * newer than it" hold across threads. */
#ifndef SUARA_NET_LIVE_LINK_H
#define SUARA_NET_LIVE_LINK_H

#include "core/lf_list.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* One encoded message, immutable once made: the same bytes are queued on
 * every subscriber, on whichever thread, so its count is atomic. */
struct live_frame {
    atomic_int refs;
    size_t len;
    unsigned char data[]; /* LIVE_FRAME_PRE bytes of headroom (lws's LWS_PRE), then the text */
};

struct live_frame *live_frame_new(const char *text, size_t len);
struct live_frame *live_frame_ref(struct live_frame *f);
void live_frame_unref(struct live_frame *f);
/* The text, after the headroom lws needs in front of what it writes. */
unsigned char *live_frame_text(struct live_frame *f);

enum live_item_kind {
    /* counting side -> serving side */
    LIVE_ITEM_READY,    /* the tallies are loaded: subscriptions may be served */
    LIVE_ITEM_MODE,     /* the election's mode, for the serving side's errors */
    LIVE_ITEM_TICK,     /* a tick ran: the viewers' backlogs age by one */
    LIVE_ITEM_UPDATE,   /* key's update at seq, frame */
    LIVE_ITEM_SNAPSHOT, /* key's snapshot at seq, frame */
    LIVE_ITEM_STOP,     /* the server stops: close everything */
    /* serving side -> counting side */
    LIVE_ITEM_WATCH,         /* key has a subscriber now */
    LIVE_ITEM_UNWATCH,       /* key lost its last subscriber */
    LIVE_ITEM_WANT_SNAPSHOT, /* a subscriber of key needs a snapshot */
};

struct live_item {
    struct lf_node node; /* first: the queue's link */
    enum live_item_kind kind;
    uint64_t key; /* tally_dirty_key(contest, region) */
    int64_t seq;
    struct live_frame *frame; /* the item holds one reference */
    const char *mode;         /* LIVE_ITEM_MODE: a static string */
};

/* The item after it in what the reader was given, or NULL. */
static inline struct live_item *live_item_next(const struct live_item *it)
{
    return (struct live_item *)it->node.next;
}

typedef void live_items_cb(void *ctx, struct live_item *items);

/* One direction: items pushed by one thread, taken by the loop of the other
 * in the order pushed, through a core/lf_list.h list (no mutex: the live
 * thread runs at a lower priority, and would then hold up the counting loop
 * in the mutex, or in uv_async_send's spin). The poll handle belongs to the
 * reading loop. */
struct live_queue {
    struct lf_list items;
    atomic_int closed;
    atomic_int pushers;      /* pushes under way: the handle is closed only after they end */
    int fd;                  /* the wake-up, written by the pushing thread */
    uv_poll_t poll;          /* on fd, on the reading loop */
    live_items_cb *on_items; /* called on the reading loop; frees the items it is given */
    void *ctx;
};

struct live_link {
    struct live_queue down; /* counting -> serving */
    struct live_queue up;   /* serving -> counting */
};

/* Both queues' handles are initialised here, each on its reading loop:
 * call before either loop runs in another thread. */
struct live_link *live_link_new(uv_loop_t *counting, live_items_cb *on_up, void *up_ctx,
                                uv_loop_t *serving, live_items_cb *on_down, void *down_ctx);
/* Pushes one item (taking its frame reference) and wakes the reader; after
 * the queue is closed the item is dropped. Any thread. */
void live_queue_push(struct live_queue *q, enum live_item_kind kind, uint64_t key, int64_t seq,
                     struct live_frame *frame, const char *mode);
/* No more items are taken; the handle closes (after any push under way on
 * the other thread has sent its wake-up). On the reading loop. */
void live_queue_close(struct live_queue *q);
void live_items_free(struct live_item *items);
/* After both loops stopped using it. */
void live_link_free(struct live_link *link);

#endif
