/* The run's results: a human summary on stdout and the same figures as JSON
 * (--out FILE) for docs/benchmarks.md and for comparing runs. */
#ifndef SUARA_LOAD_REPORT_H
#define SUARA_LOAD_REPORT_H

#include "driver.h"
#include "options.h"
#include "sysstat.h"
#include "verify.h"
#include "viewers.h"

struct run_report {
    const struct lt_options *o;
    const struct driver_stats *drv;
    const struct viewers_stats *view; /* NULL without viewers */
    struct proc_sample server_before, server_after;
    struct proc_sample self_before, self_after;
    double viewers_cpu_before, viewers_cpu_after; /* --viewer-procs: the children's, else 0 */
    struct batch_metrics batch_before, batch_after;
    int db_postmaster; /* 0 when PostgreSQL runs elsewhere */
    double db_cpu_before, db_cpu_after;
    double seconds; /* first send -> last acknowledgement */
    struct verify_result verify;
    int64_t viewer_diffs;
    bool passed;
};

void report_print(const struct run_report *r);
/* 0, or -1 when the file cannot be written. */
int report_write_json(const struct run_report *r, const char *path);

#endif
