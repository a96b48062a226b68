/* See metrics.h. */
#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct metrics g_metrics;

/* Latencies: fine between 1 and 100 ms, where a form's acknowledgement
 * lives, so that a p99 read from the buckets can tell 9 ms from 18 ms. */
static const double latency_bounds[] = {0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
                                        0.015,  0.02,  0.03,  0.04,  0.05,  0.075, 0.1,    0.15,
                                        0.2,    0.3,   0.5,   1,     2,     5,     10,     60};
static const double size_bounds[] = {1,   2,   4,    8,    16,   32,   64,    128,
                                     256, 512, 1024, 2048, 4096, 8192, 16384, 65536};

#define N_OF(a) ((int)(sizeof(a) / sizeof(a)[0]))
_Static_assert(N_OF(latency_bounds) <= HIST_BUCKETS, "latency bounds fit");
_Static_assert(N_OF(size_bounds) <= HIST_BUCKETS, "size bounds fit");

static void histogram_init(struct histogram *h, const double *bounds, int n)
{
    h->bounds = bounds;
    h->n_bounds = n;
}

void metrics_init(void)
{
    memset(&g_metrics, 0, sizeof g_metrics);
    histogram_init(&g_metrics.ack_seconds, latency_bounds, N_OF(latency_bounds));
    histogram_init(&g_metrics.batch_size, size_bounds, N_OF(size_bounds));
    histogram_init(&g_metrics.tick_seconds, latency_bounds, N_OF(latency_bounds));
    g_metrics.sync_required = g_metrics.sync_standbys = -1;
}

void histogram_observe(struct histogram *h, double value)
{
    int i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->counts[i]++;
    h->sum += value;
    h->n++;
}

void metrics_count_http(int status)
{
    if (status >= 100 && status < 600)
        g_metrics.http_by_status[status / 100][status % 100]++;
}

static void render_histogram(struct buf *out, const char *name, const char *help,
                             const struct histogram *h)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cumulative = 0;
    for (int i = 0; i < h->n_bounds; i++) {
        cumulative += h->counts[i];
        buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
                   (unsigned long long)cumulative);
    }
    cumulative += h->counts[h->n_bounds];
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
               (unsigned long long)cumulative, name, h->sum, name, (unsigned long long)h->n);
}

static void render_counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
               (unsigned long long)v);
}

static void render_gauge(struct buf *out, const char *name, const char *help, int64_t v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
               (long long)v);
}

static void render_ha(struct buf *out, const struct metrics *m)
{
    render_gauge(out, "suara_db_up", "1 while the writing connection to PostgreSQL is up.",
                 m->db_up);
    render_gauge(out, "suara_claim_held", "1 while this server holds the database and writes.",
                 m->claim_held);
    render_counter(out, "suara_claim_lost_total", "Claims lost to another server.", m->claims_lost);
    render_gauge(out, "suara_sync_required",
                 "1 if the primary's commits wait for a synchronous standby.", m->sync_required);
    render_gauge(out, "suara_sync_standbys", "Synchronous standbys streaming from the primary.",
                 m->sync_standbys);
    buf_printf(out,
               "# HELP suara_replication_lag_seconds The slowest standby's replay lag.\n"
               "# TYPE suara_replication_lag_seconds gauge\nsuara_replication_lag_seconds %.3f\n",
               m->replication_lag_s);
}

/* The calling thread's time on a CPU and runnable but waiting for one
 * (/proc/thread-self/schedstat, nanoseconds); false where the kernel does
 * not say. Rendered on the loop's thread, so a loop held without work
 * (a busy machine preempting the server) shows as the second growing. */
static bool thread_schedstat(unsigned long long *run_ns, unsigned long long *wait_ns)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    if (!f)
        return false;
    bool ok = fscanf(f, "%llu %llu", run_ns, wait_ns) == 2;
    fclose(f);
    return ok;
}

static void render_schedstat(struct buf *out)
{
    unsigned long long run_ns, wait_ns;
    if (!thread_schedstat(&run_ns, &wait_ns))
        return;
    buf_printf(out,
               "# HELP suara_loop_cpu_seconds_total Time the event loop's thread ran on a CPU.\n"
               "# TYPE suara_loop_cpu_seconds_total counter\nsuara_loop_cpu_seconds_total %.6f\n"
               "# HELP suara_loop_runqueue_wait_seconds_total Time the event loop's thread was "
               "ready to run but waited for a CPU.\n"
               "# TYPE suara_loop_runqueue_wait_seconds_total counter\n"
               "suara_loop_runqueue_wait_seconds_total %.6f\n",
               (double)run_ns / 1e9, (double)wait_ns / 1e9);
}

int metrics_render(struct buf *out)
{
    static const char *const outcomes[METRIC_OUTCOMES] = {"counted",      "held",       "disputed",
                                                          "confirmation", "duplicate",  "invalid",
                                                          "conflict",     "unavailable"};
    const struct metrics *m = &g_metrics;
    buf_puts(out, "# HELP suara_forms_total Form submissions by outcome.\n"
                  "# TYPE suara_forms_total counter\n");
    for (int i = 0; i < METRIC_OUTCOMES; i++)
        buf_printf(out, "suara_forms_total{outcome=\"%s\"} %llu\n", outcomes[i],
                   (unsigned long long)m->forms_by_outcome[i]);
    buf_puts(out, "# HELP suara_http_requests_total HTTP responses by status code.\n"
                  "# TYPE suara_http_requests_total counter\n");
    for (int c = 1; c < 6; c++) {
        for (int k = 0; k < 100; k++) {
            if (m->http_by_status[c][k])
                buf_printf(out, "suara_http_requests_total{status=\"%d\"} %llu\n", c * 100 + k,
                           (unsigned long long)m->http_by_status[c][k]);
        }
    }
    render_histogram(out, "suara_ack_latency_seconds",
                     "Time from a form's arrival to its acknowledgement after COMMIT.",
                     &m->ack_seconds);
    render_histogram(out, "suara_batch_size", "Operations per group-commit batch.", &m->batch_size);
    render_histogram(out, "suara_live_tick_seconds", "Time spent in one live-update tick.",
                     &m->tick_seconds);
    render_counter(out, "suara_db_commits_total", "Batches committed.", m->db_commits);
    render_counter(out, "suara_db_errors_total", "Database errors.", m->db_errors);
    render_counter(out, "suara_db_reconnects_total", "Database reconnect attempts.",
                   m->db_reconnects);
    render_gauge(out, "suara_writer_batches_in_flight",
                 "Batches sent to PostgreSQL and not yet committed.", m->writer_in_flight);
    render_counter(out, "suara_writer_pipelined_batches_total",
                   "Batches sent while an earlier batch was not yet committed.",
                   m->writer_pipelined);
    render_ha(out, m);
    render_gauge(out, "suara_queue_depth", "Operations waiting for the database.", m->queue_depth);
    render_gauge(out, "suara_ws_connections", "Open WebSocket connections.", m->ws_connections);
    render_gauge(out, "suara_ws_subscriptions", "Live subscriptions.", m->ws_subscriptions);
    render_gauge(out, "suara_ws_topics", "Live topics: (contest, region) pairs with subscribers.",
                 m->ws_topics);
    render_counter(out, "suara_ws_messages_sent_total", "WebSocket messages sent.",
                   m->ws_messages_sent);
    render_counter(out, "suara_ws_bytes_sent_total", "WebSocket payload bytes sent.",
                   m->ws_bytes_sent);
    render_counter(out, "suara_ws_snapshots_sent_total", "Snapshots sent.", m->ws_snapshots_sent);
    render_counter(out, "suara_publish_sent_total",
                   "Messages the publisher (--publish-url) accepted.", m->publish_sent);
    render_counter(out, "suara_publish_dropped_total",
                   "Published messages superseded before a connection could take them.",
                   m->publish_dropped);
    render_counter(out, "suara_publish_errors_total",
                   "Publisher connections that failed, and messages it refused.",
                   m->publish_errors);
    render_gauge(out, "suara_publish_queue", "Channels waiting to be published.", m->publish_queue);
    render_counter(out, "suara_timeline_periods_total",
                   "Snapshot periods (--snapshot-s) the timeline has taken.", m->timeline_periods);
    render_counter(out, "suara_timeline_rows_stored_total",
                   "Timeline points committed to tally_snapshots.", m->timeline_rows_stored);
    render_counter(out, "suara_timeline_write_errors_total",
                   "Timeline writes that failed (retried at the next period).",
                   m->timeline_write_errors);
    render_schedstat(out);
    return buf_printf(out,
                      "# HELP suara_ws_updates_dropped_total Updates dropped for slow "
                      "viewers.\n# TYPE suara_ws_updates_dropped_total counter\n"
                      "suara_ws_updates_dropped_total %llu\n",
                      (unsigned long long)m->ws_updates_dropped);
}
