/* A reply someone is waiting for. The transport hands one out for a request
 * it cannot answer at once (net/http.h: http_defer); whoever finishes the
 * work completes it exactly once, with an HTTP status and a JSON body, and
 * must not touch it afterwards (done frees it). The holder may chain waiters
 * through `next` and keeps its own deadline in `deadline_ms`. */
#ifndef SUARA_CORE_WAITER_H
#define SUARA_CORE_WAITER_H

#include <stddef.h>
#include <stdint.h>

struct waiter {
    struct waiter *next;
    int64_t deadline_ms; /* on the monotonic clock (clock_mono_ms) */
    int ok_status;       /* the holder's: what success answers (201 first, 200 for retries) */
    void (*done)(struct waiter *w, int status, const char *body, size_t len);
};

#endif
