/* The audit trail's events as the server writes them: the detail object of
 * each kind, and the aggregation of the events that a stranger could repeat
 * at will (auth_failed, export), so a flood costs one row per source and
 * window instead of one per request. Pure logic, no I/O: the writer stores
 * the rows (in the same statement as what they record). */
#ifndef SUARA_DOMAIN_AUDIT_H
#define SUARA_DOMAIN_AUDIT_H

#include "core/strmap.h"
#include "ledger.h"
#include "registry.h"

#include <stdbool.h>
#include <stdint.h>

/* JSON object text (malloc'd, NULL on no memory). */
char *audit_detail_decision(const struct registry *reg, const struct form *f);
char *audit_detail_amendment(const struct registry *reg, const struct form *f);

#define AUDIT_SOURCE_MAX 48 /* an IPv6 address in text fits */
#define AUDIT_WHAT_MAX 48

struct audit_bucket {
    char key[AUDIT_SOURCE_MAX + AUDIT_WHAT_MAX + 24];
    const char *kind; /* static string */
    char source[AUDIT_SOURCE_MAX];
    char what[AUDIT_WHAT_MAX]; /* e.g. the exported contest and level */
    uint32_t count;
};

/* Counts per (kind, source, what) in the current window. At most `cap`
 * distinct buckets: once full, further sources count into one bucket per
 * kind whose source is "*" (so memory and rows stay bounded whatever a
 * flood of addresses does). */
struct audit_agg {
    struct audit_bucket *buckets;
    int n, cap;
    struct strmap index;
    int64_t window_start_ms;
    uint64_t overflowed; /* events counted into "*" buckets, ever */
};

int audit_agg_init(struct audit_agg *a, int cap, int64_t now_ms);
void audit_agg_free(struct audit_agg *a);
/* Counts one event. */
void audit_agg_count(struct audit_agg *a, const char *kind, const char *source, const char *what);
/* Ends the window: one audit_row per bucket (caller owns them, linked as
 * a NULL-terminated array of *n_rows), then starts a new window at now_ms.
 * Rows are NULL when the window was empty. */
struct audit_row **audit_agg_flush(struct audit_agg *a, int64_t now_ms, int window_s, int *n_rows);

#endif
