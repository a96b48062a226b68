/* See hist.h. Bucket index: values below HIST_SUB map to themselves; above,
 * the position of the top bit selects a magnitude and the next
 * HIST_SUB_BITS bits the sub-bucket. */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

static int bucket_of(uint64_t v)
{
    if (v < HIST_SUB)
        return (int)v;
    int top = 63 - __builtin_clzll(v); /* >= HIST_SUB_BITS */
    int mag = top - HIST_SUB_BITS + 1; /* 1.. */
    if (mag >= HIST_MAGS)
        return HIST_MAGS * HIST_SUB - 1;
    int sub = (int)((v >> (top - HIST_SUB_BITS)) - HIST_SUB);
    return mag * HIST_SUB + sub;
}

/* The largest value that falls into bucket b. */
static uint64_t bucket_top(int b)
{
    int mag = b / HIST_SUB, sub = b % HIST_SUB;
    if (mag == 0)
        return (uint64_t)sub;
    int shift = mag - 1;
    uint64_t base = ((uint64_t)HIST_SUB + (uint64_t)sub) << shift;
    return base + ((1ull << shift) - 1);
}

void hist_record_n(struct hist *h, uint64_t value, uint64_t count)
{
    if (!count)
        return;
    h->counts[bucket_of(value)] += count;
    h->n += count;
    h->sum += (double)value * (double)count;
    if (value > h->max)
        h->max = value;
    if (value < h->min)
        h->min = value;
}

void hist_record(struct hist *h, uint64_t value)
{
    hist_record_n(h, value, 1);
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if (rank >= h->n)
        rank = h->n - 1;
    uint64_t seen = 0;
    for (int b = 0; b < HIST_MAGS * HIST_SUB; b++) {
        seen += h->counts[b];
        if (seen > rank) {
            uint64_t top = bucket_top(b);
            return top > h->max ? h->max : top;
        }
    }
    return h->max;
}

double hist_mean(const struct hist *h)
{
    return h->n ? h->sum / (double)h->n : 0.0;
}
