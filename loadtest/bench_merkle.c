/* suara-bench-merkle [N]: the cost of the public log's tree at start-up and
 * per proof. Appends N receipts (default 4,000,000, the national scale), then
 * times inclusion and consistency proofs and reports the memory the tree
 * holds. Not a test: run by hand (docs/benchmarks.md). */
#include "domain/merkle.h"

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

static size_t tree_bytes(const struct merkle *t)
{
    size_t bytes = (size_t)t->leaves.cap * MERKLE_HASH;
    for (int k = 0; k < MERKLE_LEVELS; k++)
        bytes += (size_t)t->levels[k].cap * MERKLE_HASH;
    return bytes;
}

int main(int argc, char **argv)
{
    long long n = argc > 1 ? atoll(argv[1]) : 4000000;
    if (n < 2) {
        fprintf(stderr, "usage: suara-bench-merkle [N >= 2]\n");
        return 2;
    }
    struct merkle t;
    if (merkle_init(&t) != 0 || merkle_reserve(&t, n) != 0)
        return 1;
    unsigned char entry[MERKLE_HASH] = {0};
    double t0 = now_s();
    for (long long i = 0; i < n; i++) {
        memcpy(entry, &i, sizeof i);
        if (merkle_append(&t, entry) != 0)
            return 1;
    }
    double t1 = now_s();
    merkle_hash root, path[MERKLE_PROOF_MAX];
    merkle_root(&t, n, root);
    int rounds = 100000, len = 0;
    double t2 = now_s();
    for (int r = 0; r < rounds; r++)
        len += merkle_inclusion(&t, (long long)r * 7919 % n, n, path);
    double t3 = now_s();
    for (int r = 0; r < rounds; r++)
        len += merkle_consistency(&t, 1 + (long long)r * 7919 % (n - 1), n, path);
    double t4 = now_s();
    printf("leaves=%lld append_s=%.3f ns_per_leaf=%.0f bytes=%zu bytes_per_leaf=%.1f\n", n, t1 - t0,
           (t1 - t0) / (double)n * 1e9, tree_bytes(&t), (double)tree_bytes(&t) / (double)n);
    printf("inclusion_us=%.2f consistency_us=%.2f (hashes %d)\n", (t3 - t2) / rounds * 1e6,
           (t4 - t3) / rounds * 1e6, len);
    merkle_free(&t);
    return 0;
}
