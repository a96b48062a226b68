/* The witnesses: plays every planned story (a TPS's forms for one contest)
 * against the server over a pool of keep-alive connections, checks every
 * answer against the outcome rules, and, when a story has finished, adds its
 * final state to the model's expected tallies.
 *
 * Stories:
 *   plain        A sends a passing form                        -> counted
 *   held         A sends a failing form                        -> held
 *   held_fixed   A: failing form, then a passing one           -> held, counted rev 2
 *   corrected    A: passing form, then other passing numbers   -> counted, counted rev 2
 *   confirmed    A passing, then B the same numbers            -> counted, counted (confirms)
 *   disputed     A passing, then B other numbers               -> counted, disputed
 * Any form may be resent as an exact duplicate (200, same body) or have its
 * connection cut right after sending (a lost answer: retried with the same
 * submission_id). Timeouts, 503 and 429 are retried the same way. */
#ifndef SUARA_LOAD_DRIVER_H
#define SUARA_LOAD_DRIVER_H

#include "hist.h"
#include "model.h"
#include "options.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

enum story_kind {
    SK_PLAIN,
    SK_HELD,
    SK_HELD_FIXED,
    SK_CORRECTED,
    SK_CONFIRMED,
    SK_DISPUTED,
    SK_COUNT
};

struct driver_stats {
    uint64_t sent, acked, forms_acked, first_acked;
    uint64_t by_status[6]; /* 2xx..5xx by hundreds; [0] network errors */
    uint64_t retries, timeouts, dropped, net_errors, unavailable_503, limited_429;
    uint64_t duplicates_ok, lost_injected;
    uint64_t mismatches; /* answers that broke the rules: each is reported */
    uint64_t stories, stories_done, stories_failed;
    uint64_t by_kind[SK_COUNT];
    uint64_t reconnects;
    struct hist ack_us;      /* send -> answer, every form and retry */
    struct hist intended_us; /* intended time -> answer (open loop, no coordinated omission) */
    uint64_t start_us, first_send_us, last_ack_us;
};

/* Called for every acknowledged form that moved a tally (201 and a seq). */
typedef void (*driver_ack_cb)(void *ctx, int contest, int32_t tps, int64_t seq, uint64_t now_us);

struct driver;

/* Plans the stories (slots chosen and shuffled, kinds by the shares in opts)
 * and the witness tokens. NULL on failure (message on stderr). */
struct driver *driver_new(uv_loop_t *loop, struct model *m, const struct lt_options *opts,
                          const struct sockaddr_in *addr, const char *host_header);
/* Creates the witness tokens in the database (COPY + NOTIFY suara_tokens). */
int driver_create_tokens(struct driver *d, void *pgconn);
/* A token that exists (for probing that the server has loaded them). */
const char *driver_probe_token(struct driver *d, char *buf, size_t size);
void driver_set_ack_cb(struct driver *d, driver_ack_cb cb, void *ctx);
/* Starts sending; done(ctx) runs once every story has finished or failed. */
void driver_start(struct driver *d, void (*done)(void *ctx), void *ctx);
const struct driver_stats *driver_stats(const struct driver *d);
/* Frees connections and memory (the loop must still run to release handles). */
void driver_free(struct driver *d);
const char *story_kind_name(int kind);
/* The slot (index in model.slots) of story i. */
int64_t driver_story_slot(const struct driver *d, int64_t i);

#endif
