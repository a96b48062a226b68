/* A log-linear latency histogram (after HdrHistogram): values in
 * microseconds, 64 sub-buckets per power of two, so every recorded value is
 * known to within 1.6 % up to about 4,000 seconds. Fixed size, no
 * allocation; recording is one shift and one increment. */
#ifndef SUARA_LOAD_HIST_H
#define SUARA_LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_MAGS 32

struct hist {
    uint64_t n;
    uint64_t max, min;
    double sum;
    uint64_t counts[HIST_MAGS * HIST_SUB];
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t value);
/* Adds `count` samples of the same value. */
void hist_record_n(struct hist *h, uint64_t value, uint64_t count);
/* The value at quantile q in [0, 1] (an upper bound of its bucket), 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

#endif
