/* Process-wide counters and histograms for GET /metrics (Prometheus text).
 * One global, like Redis's server.stat_*: every module bumps its own fields,
 * and metrics_render writes them all. Single-threaded: no atomics needed. */
#ifndef SUARA_CORE_METRICS_H
#define SUARA_CORE_METRICS_H

#include "buf.h"

#include <stdint.h>

#define HIST_BUCKETS 24 /* at most */

struct histogram {
    const double *bounds;              /* n_bounds upper bounds, ascending */
    int n_bounds;                      /* <= HIST_BUCKETS */
    uint64_t counts[HIST_BUCKETS + 1]; /* [n_bounds] = +Inf */
    double sum;
    uint64_t n;
};

enum {
    METRIC_OUTCOME_COUNTED,
    METRIC_OUTCOME_HELD,
    METRIC_OUTCOME_DISPUTED,
    METRIC_OUTCOME_CONFIRMATION,
    METRIC_OUTCOME_DUPLICATE,
    METRIC_OUTCOME_REJECTED_422,
    METRIC_OUTCOME_CONFLICT_409,
    METRIC_OUTCOME_UNAVAILABLE_503,
    METRIC_OUTCOMES
};

struct metrics {
    uint64_t http_by_status[6][100]; /* [class 1..5][last two digits] */
    uint64_t forms_by_outcome[METRIC_OUTCOMES];
    struct histogram ack_seconds;
    struct histogram batch_size;
    struct histogram tick_seconds;
    uint64_t db_commits, db_errors, db_reconnects;
    /* The pipelined writer (db/writer.c): batches not yet committed, and how
     * many were sent while an earlier one was not yet committed. */
    int64_t writer_in_flight;
    uint64_t writer_pipelined;
    /* High availability (app.c, db/fence.c): the writing connection, this
     * server's claim on the database, and the primary's replication as the
     * heartbeat last saw it (-1: not known yet). */
    int64_t db_up, claim_held, sync_required, sync_standbys;
    uint64_t claims_lost;
    double replication_lag_s;
    int64_t queue_depth;
    /* Written by the live feeds, on the counting loop and on the live thread
     * (--live-listen), read at /metrics: atomic. */
    _Atomic int64_t ws_connections, ws_subscriptions, ws_topics;
    _Atomic uint64_t ws_messages_sent, ws_bytes_sent, ws_updates_dropped, ws_snapshots_sent;
    uint64_t publish_sent, publish_dropped, publish_errors; /* --publish-url */
    int64_t publish_queue;
    /* The timeline (db/snapshot.c): periods taken, rows stored, failed writes. */
    uint64_t timeline_periods, timeline_rows_stored, timeline_write_errors;
};

extern struct metrics g_metrics;

void metrics_init(void);
void histogram_observe(struct histogram *h, double value);
void metrics_count_http(int status);
/* Appends the whole exposition; extra gauges are appended by the caller. */
int metrics_render(struct buf *out);

#endif
