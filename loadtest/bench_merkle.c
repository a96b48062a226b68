/* suara-bench-merkle [FORMS [STATUS]]: what the public log costs in memory,
 * at start-up and per proof, at the synthetic nation's shape: FORMS form
 * leaves (default 4,000,000) and STATUS status-change leaves spread evenly
 * among them (default 2,354,780, the nation's 59 % corrections: 6,354,780
 * leaves). The log is reserved for FORMS forms as the start-up does (it knows
 * the forms, not the status changes), then filled with publog_add_form and
 * publog_add_status; the bytes reported are publog_bytes (the tree, the
 * per-leaf locators and the form index), per form and per leaf. Proofs then
 * run at spread positions: each asks for the 8 entries of a block or two,
 * which here are a counter's bytes (the server's are its forms' receipts and
 * the replay of a slot for a status leaf, not timed here). Not a test: run by
 * hand (docs/benchmarks.md). */
#include "domain/publog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Leaf i's entry: its index's bytes (what the bench appended). */
static void entry_at(int64_t leaf, unsigned char entry[32])
{
    memset(entry, 0, 32);
    memcpy(entry, &leaf, sizeof leaf);
}

static bool bench_entry(void *ctx, struct publog *p, int64_t leaf, unsigned char entry[32])
{
    (void)ctx;
    (void)p;
    entry_at(leaf, entry);
    return true;
}

int main(int argc, char **argv)
{
    long long forms = argc > 1 ? atoll(argv[1]) : 4000000;
    long long statuses = argc > 2 ? atoll(argv[2]) : 2354780;
    if (forms < 2 || statuses < 0) {
        fprintf(stderr, "usage: suara-bench-merkle [FORMS >= 2 [STATUS >= 0]]\n");
        return 2;
    }
    struct publog log;
    if (publog_init(&log, NULL) != 0 || publog_reserve(&log, forms) != 0)
        return 1;
    publog_set_entries(&log, bench_entry, NULL);
    unsigned char entry[32];
    double t0 = now_s();
    for (long long i = 0, s = 0; i < forms; i++) {
        entry_at(publog_size(&log), entry);
        publog_add_form(&log, i + 1, entry);
        for (long long due = (i + 1) * statuses / forms; s < due; s++) {
            entry_at(publog_size(&log), entry);
            publog_add_status(&log, i + 1, entry);
        }
    }
    double t1 = now_s();
    long long n = publog_size(&log);
    merkle_hash path[MERKLE_PROOF_MAX];
    int rounds = 100000, len = 0;
    double t2 = now_s();
    for (int r = 0; r < rounds; r++)
        len += merkle_inclusion(&log.tree, (long long)r * 7919 % n, n, path);
    double t3 = now_s();
    for (int r = 0; r < rounds; r++)
        len += merkle_consistency(&log.tree, 1 + (long long)r * 7919 % (n - 1), n, path);
    double t4 = now_s();
    size_t bytes = publog_bytes(&log);
    printf("block=%d forms=%lld leaves=%lld append_s=%.3f ns_per_leaf=%.0f bytes=%zu "
           "bytes_per_form=%.1f bytes_per_leaf=%.1f\n",
           MERKLE_BLOCK, forms, n, t1 - t0, (t1 - t0) / (double)n * 1e9, bytes,
           (double)bytes / (double)forms, (double)bytes / (double)n);
    printf("inclusion_us=%.2f consistency_us=%.2f (hashes %d)\n", (t3 - t2) / rounds * 1e6,
           (t4 - t3) / rounds * 1e6, len);
    publog_free(&log);
    return 0;
}
