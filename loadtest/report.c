/* See report.h. */
#include "report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static double server_cpu(const struct run_report *r)
{
    return r->server_after.cpu_seconds - r->server_before.cpu_seconds;
}

static double machine_busy_share(const struct run_report *r)
{
    double total = r->server_after.machine_total - r->server_before.machine_total;
    double busy = r->server_after.machine_busy - r->server_before.machine_busy;
    return total > 0 ? busy / total : 0;
}

static double batch_mean(const struct run_report *r)
{
    double n = r->batch_after.count - r->batch_before.count;
    return n > 0 ? (r->batch_after.sum - r->batch_before.sum) / n : 0;
}

void report_print(const struct run_report *r)
{
    const struct driver_stats *d = r->drv;
    double rate = r->seconds > 0 ? (double)d->forms_acked / r->seconds : 0;
    printf("\n== suara-load %s\n", r->o->label ? r->o->label : "");
    printf("stories      %llu (plain %llu, held %llu, held+fixed %llu, corrected %llu, "
           "confirmed %llu, disputed %llu); failed %llu\n",
           (unsigned long long)d->stories, (unsigned long long)d->by_kind[SK_PLAIN],
           (unsigned long long)d->by_kind[SK_HELD], (unsigned long long)d->by_kind[SK_HELD_FIXED],
           (unsigned long long)d->by_kind[SK_CORRECTED],
           (unsigned long long)d->by_kind[SK_CONFIRMED],
           (unsigned long long)d->by_kind[SK_DISPUTED], (unsigned long long)d->stories_failed);
    printf("forms        %llu acknowledged in %.3f s = %.0f forms/s (%llu requests, %llu "
           "duplicates answered 200 with the first body)\n",
           (unsigned long long)d->forms_acked, r->seconds, rate, (unsigned long long)d->sent,
           (unsigned long long)d->duplicates_ok);
    printf("retries      %llu (lost answers injected %llu, timeouts %llu, network errors %llu, "
           "503 %llu, 429 %llu); connections made %llu\n",
           (unsigned long long)d->retries, (unsigned long long)d->lost_injected,
           (unsigned long long)d->timeouts, (unsigned long long)d->net_errors,
           (unsigned long long)d->unavailable_503, (unsigned long long)d->limited_429,
           (unsigned long long)d->reconnects);
    printf("ack latency  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n",
           ms(hist_quantile(&d->ack_us, 0.5)), ms(hist_quantile(&d->ack_us, 0.9)),
           ms(hist_quantile(&d->ack_us, 0.99)), ms(hist_quantile(&d->ack_us, 0.999)),
           ms(d->ack_us.max));
    printf("from intended p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f ms (queueing in the "
           "generator included)\n",
           ms(hist_quantile(&d->intended_us, 0.5)), ms(hist_quantile(&d->intended_us, 0.9)),
           ms(hist_quantile(&d->intended_us, 0.99)), ms(hist_quantile(&d->intended_us, 0.999)));
    if (r->view) {
        const struct viewers_stats *v = r->view;
        printf("viewers      %d (%d subscribed, %llu lost, %llu reconnected); %llu messages, %llu "
               "snapshots, %.1f MB; connect+snapshot %.2f s\n",
               v->n, v->subscribed, (unsigned long long)v->disconnects,
               (unsigned long long)v->reconnects, (unsigned long long)v->messages,
               (unsigned long long)v->snapshots, (double)v->bytes / 1e6,
               (double)v->connect_us / 1e6);
        if (v->edge_messages)
            printf("             of which from the nchan edges %llu messages, %.1f MB\n",
                   (unsigned long long)v->edge_messages, (double)v->edge_bytes / 1e6);
        printf("update delay p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f ms over %llu "
               "(ack, viewer) pairs; %llu never delivered\n",
               ms(hist_quantile(&v->delay_us, 0.5)), ms(hist_quantile(&v->delay_us, 0.9)),
               ms(hist_quantile(&v->delay_us, 0.99)), ms(hist_quantile(&v->delay_us, 0.999)),
               ms(v->delay_us.max), (unsigned long long)v->delay_samples,
               (unsigned long long)v->undelivered);
    }
    if (r->server_after.ok)
        printf("server       CPU %.2f s = %.0f %% of one core; RSS %.1f MiB, peak %.1f MiB\n",
               server_cpu(r), r->seconds > 0 ? 100 * server_cpu(r) / r->seconds : 0,
               (double)r->server_after.rss_kb / 1024, (double)r->server_after.hwm_kb / 1024);
    if (r->db_postmaster) {
        double db = r->db_cpu_after - r->db_cpu_before, sv = server_cpu(r);
        double gen = r->self_after.cpu_seconds - r->self_before.cpu_seconds;
        double n = d->forms_acked ? (double)d->forms_acked : 1;
        printf("PostgreSQL   CPU %.2f s (the whole cluster) = %.0f %% of one core\n", db,
               r->seconds > 0 ? 100 * db / r->seconds : 0);
        printf("CPU per form server %.0f us + PostgreSQL %.0f us + generator %.0f us = %.0f us\n",
               1e6 * sv / n, 1e6 * db / n, 1e6 * gen / n, 1e6 * (sv + db + gen) / n);
    }
    printf("machine      %.0f %% of all CPUs busy during the run; generator CPU %.2f s\n",
           100 * machine_busy_share(r), r->self_after.cpu_seconds - r->self_before.cpu_seconds);
    if (r->o->viewer_procs > 0)
        printf("viewers      CPU %.2f s in %d processes of their own\n",
               r->viewers_cpu_after - r->viewers_cpu_before, r->o->viewer_procs);
    if (r->batch_after.ok)
        printf("batches      %.0f commits, mean %.1f forms per batch\n",
               r->batch_after.count - r->batch_before.count, batch_mean(r));
    if (r->o->verify)
        printf("verify       HTTP %lld nodes, %lld differences, %lld errors (%.2f s); viewers %lld "
               "differences; SQL %lld nodes, %lld differences (%.2f s)\n",
               (long long)r->verify.http_nodes, (long long)r->verify.http_diffs,
               (long long)r->verify.http_errors, r->verify.http_seconds, (long long)r->viewer_diffs,
               (long long)r->verify.sql_nodes, (long long)r->verify.sql_diffs,
               r->verify.sql_seconds);
    printf("result       %s\n", r->passed ? "PASS" : "FAIL");
}

static cJSON *latency_json(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)h->n);
    cJSON_AddNumberToObject(o, "mean_ms", hist_mean(h) / 1000);
    cJSON_AddNumberToObject(o, "p50_ms", ms(hist_quantile(h, 0.5)));
    cJSON_AddNumberToObject(o, "p90_ms", ms(hist_quantile(h, 0.9)));
    cJSON_AddNumberToObject(o, "p99_ms", ms(hist_quantile(h, 0.99)));
    cJSON_AddNumberToObject(o, "p999_ms", ms(hist_quantile(h, 0.999)));
    cJSON_AddNumberToObject(o, "max_ms", ms(h->n ? h->max : 0));
    return o;
}

int report_write_json(const struct run_report *r, const char *path)
{
    const struct driver_stats *d = r->drv;
    const struct lt_options *o = r->o;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "label", o->label ? o->label : "");
    cJSON_AddBoolToObject(root, "passed", r->passed);
    cJSON *opt = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(opt, "connections", o->connections);
    cJSON_AddNumberToObject(opt, "forms", (double)o->forms);
    cJSON_AddNumberToObject(opt, "rate", o->rate);
    cJSON_AddNumberToObject(opt, "duration", o->duration);
    cJSON_AddNumberToObject(opt, "warmup", o->warmup);
    cJSON_AddStringToObject(opt, "curve", o->curve ? o->curve : "flat");
    cJSON_AddNumberToObject(opt, "viewers", o->viewers);
    cJSON_AddStringToObject(opt, "witness_level", o->witness_level);
    cJSON *f = cJSON_AddObjectToObject(root, "forms");
    cJSON_AddNumberToObject(f, "stories", (double)d->stories);
    cJSON_AddNumberToObject(f, "stories_failed", (double)d->stories_failed);
    for (int k = 0; k < SK_COUNT; k++)
        cJSON_AddNumberToObject(f, story_kind_name(k), (double)d->by_kind[k]);
    cJSON_AddNumberToObject(f, "acknowledged", (double)d->forms_acked);
    cJSON_AddNumberToObject(f, "requests", (double)d->sent);
    cJSON_AddNumberToObject(f, "duplicates_ok", (double)d->duplicates_ok);
    cJSON_AddNumberToObject(f, "retries", (double)d->retries);
    cJSON_AddNumberToObject(f, "lost_injected", (double)d->lost_injected);
    cJSON_AddNumberToObject(f, "timeouts", (double)d->timeouts);
    cJSON_AddNumberToObject(f, "status_503", (double)d->unavailable_503);
    cJSON_AddNumberToObject(f, "status_429", (double)d->limited_429);
    cJSON_AddNumberToObject(f, "mismatches", (double)d->mismatches);
    cJSON_AddNumberToObject(f, "seconds", r->seconds);
    cJSON_AddNumberToObject(f, "forms_per_second",
                            r->seconds > 0 ? (double)d->forms_acked / r->seconds : 0);
    cJSON_AddItemToObject(f, "ack_latency", latency_json(&d->ack_us));
    cJSON_AddItemToObject(f, "latency_from_intended", latency_json(&d->intended_us));
    if (r->view) {
        cJSON *v = cJSON_AddObjectToObject(root, "viewers");
        cJSON_AddNumberToObject(v, "count", r->view->n);
        cJSON_AddNumberToObject(v, "subscribed", r->view->subscribed);
        cJSON_AddNumberToObject(v, "disconnects", (double)r->view->disconnects);
        cJSON_AddNumberToObject(v, "reconnects", (double)r->view->reconnects);
        cJSON_AddNumberToObject(v, "messages", (double)r->view->messages);
        cJSON_AddNumberToObject(v, "snapshots", (double)r->view->snapshots);
        cJSON_AddNumberToObject(v, "bytes", (double)r->view->bytes);
        cJSON_AddNumberToObject(v, "edge_messages", (double)r->view->edge_messages);
        cJSON_AddNumberToObject(v, "edge_bytes", (double)r->view->edge_bytes);
        cJSON_AddNumberToObject(v, "undelivered", (double)r->view->undelivered);
        cJSON_AddNumberToObject(v, "connect_seconds", (double)r->view->connect_us / 1e6);
        cJSON_AddItemToObject(v, "update_delay", latency_json(&r->view->delay_us));
    }
    cJSON *s = cJSON_AddObjectToObject(root, "server");
    cJSON_AddNumberToObject(s, "cpu_seconds", server_cpu(r));
    cJSON_AddNumberToObject(s, "postgres_cpu_seconds",
                            r->db_postmaster ? r->db_cpu_after - r->db_cpu_before : -1);
    cJSON_AddNumberToObject(s, "rss_mib", (double)r->server_after.rss_kb / 1024);
    cJSON_AddNumberToObject(s, "peak_rss_mib", (double)r->server_after.hwm_kb / 1024);
    cJSON_AddNumberToObject(s, "machine_busy_share", machine_busy_share(r));
    cJSON_AddNumberToObject(s, "generator_cpu_seconds",
                            r->self_after.cpu_seconds - r->self_before.cpu_seconds);
    cJSON_AddNumberToObject(s, "viewer_procs_cpu_seconds",
                            r->viewers_cpu_after - r->viewers_cpu_before);
    cJSON_AddNumberToObject(s, "batches", r->batch_after.count - r->batch_before.count);
    cJSON_AddNumberToObject(s, "batch_mean", batch_mean(r));
    cJSON *buckets = cJSON_AddArrayToObject(s, "batch_size_buckets");
    for (int i = 0; i < r->batch_after.n_buckets; i++) {
        double before = i < r->batch_before.n_buckets ? r->batch_before.cumulative[i] : 0;
        cJSON *b = cJSON_CreateObject();
        cJSON_AddNumberToObject(b, "le", r->batch_after.le[i] > 1e299 ? -1 : r->batch_after.le[i]);
        cJSON_AddNumberToObject(b, "cumulative", r->batch_after.cumulative[i] - before);
        cJSON_AddItemToArray(buckets, b);
    }
    cJSON *v = cJSON_AddObjectToObject(root, "verify");
    cJSON_AddNumberToObject(v, "http_nodes", (double)r->verify.http_nodes);
    cJSON_AddNumberToObject(v, "http_differences", (double)r->verify.http_diffs);
    cJSON_AddNumberToObject(v, "http_errors", (double)r->verify.http_errors);
    cJSON_AddNumberToObject(v, "viewer_differences", (double)r->viewer_diffs);
    cJSON_AddNumberToObject(v, "sql_nodes", (double)r->verify.sql_nodes);
    cJSON_AddNumberToObject(v, "sql_differences", (double)r->verify.sql_diffs);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *fp = fopen(path, "w");
    int rc = fp && text && fputs(text, fp) >= 0 && fputc('\n', fp) != EOF ? 0 : -1;
    if (fp && fclose(fp) != 0)
        rc = -1;
    free(text);
    if (rc)
        fprintf(stderr, "suara-load: cannot write %s\n", path);
    return rc;
}
