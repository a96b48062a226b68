/* What the generator measures outside its own traffic: a process's CPU time
 * and memory from /proc, the machine's busy time, and the server's
 * group-commit batch sizes from its Prometheus /metrics text. */
#ifndef SUARA_LOAD_SYSSTAT_H
#define SUARA_LOAD_SYSSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_sample {
    bool ok;
    double cpu_seconds; /* user + system */
    int64_t rss_kb, hwm_kb;
    double machine_busy, machine_total; /* seconds of all CPUs, from /proc/stat */
};

void proc_sample(int pid, struct proc_sample *out);
/* CPU seconds (user + system) of every live child of `ppid` - the whole
 * PostgreSQL cluster when ppid is its postmaster. */
double proc_children_cpu(int ppid);
/* The parent of pid, or 0. */
int proc_parent(int pid);

#define BATCH_BUCKETS 17
struct batch_metrics {
    bool ok;
    double sum, count;
    double le[BATCH_BUCKETS];
    double cumulative[BATCH_BUCKETS];
    int n_buckets;
    double ack_sum, ack_count;
};

/* Parses suara_batch_size and suara_ack_latency_seconds from /metrics text. */
void batch_metrics_parse(const char *text, size_t len, struct batch_metrics *out);

#endif
