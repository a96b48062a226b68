/* suara-bench-log-slot [FORMS...]: what an inclusion proof costs on the event
 * loop when the blocks it needs hold status leaves of one big TPS and contest
 * (a slot). Each status leaf a proof needs is given back by replaying its
 * slot (log_status.h), so a slot of FORMS forms (witnesses of 50 forms each,
 * the default --forms-per-tps, every one replacing its witness's previous)
 * is the worst case: its log is a form and a status leaf in turn. For each
 * FORMS (default 50 500 2000 10000) the ledger takes the forms one by one,
 * then inclusion proofs of spread leaves run with no block recomputed before
 * (the cache of two emptied), and one GET proof/status's worth of work
 * (log_status_of). Not a test: run by hand (docs/benchmarks.md). */
#include "domain/ledger.h"
#include "domain/log_entry.h"
#include "domain/log_status.h"

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

/* One province, one TPS, a governor's contest of two candidates. */
static int registry_of_one_tps(struct registry *r)
{
    char err[128];
    registry_init(r);
    if (registry_add_region(r, "62", "Kalimantan Tengah", 0) != 0 ||
        registry_add_region(r, "62.01", "Kotawaringin Barat", 0) != 0 ||
        registry_add_region(r, "62.01.01", "Kumai", 0) != 0 ||
        registry_add_region(r, "62.01.01.1011", "Candi", 0) != 0 ||
        registry_add_region(r, "62.01.01.1011.001", "TPS 001", 501) != 0 ||
        registry_add_contest(r, "gub-62", "gubernur", "62", "Pilgub") != 0 ||
        registry_add_candidate(r, "gub-62", 1, "A", "a") != 0 ||
        registry_add_candidate(r, "gub-62", 2, "B", "b") != 0)
        return -1;
    return registry_finish(r, err, sizeof err);
}

static int run(int n_forms)
{
    struct registry reg;
    struct tallies t;
    struct ledger l;
    struct publog log;
    if (registry_of_one_tps(&reg) != 0 || tallies_init(&t, &reg) != 0 ||
        ledger_init(&l, &reg, &t) != 0 || publog_init(&log, NULL) != 0)
        return -1;
    log_entry_attach(&l, &log);
    const struct contest *gub = registry_contest(&reg, "gub-62", 6);
    int32_t tps = registry_find(&reg, "62.01.01.1011.001", 17);
    for (int i = 0; i < n_forms; i++) {
        struct form_input in;
        memset(&in, 0, sizeof in);
        snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", i);
        in.counts.valid = in.counts.total = (uint16_t)(i % 1000 + 1);
        struct form_resolved res = {.tps = tps, .contest = gub};
        res.votes[0] = in.counts.valid;
        struct form *f = form_new(&in, &res, 0, 1 + i / 50, 1000 + i);
        ledger_track(&l, f);
        struct op op = {.kind = OP_FORM, .form = f};
        f->pending_op = &op;
        ledger_decide_form(&l, &op);
        ledger_commit(&l, &op);
    }
    int64_t n = publog_size(&log);
    int rounds = 20;
    double sum = 0, worst = 0;
    for (int r = 0; r < rounds; r++) {
        merkle_hash path[MERKLE_PROOF_MAX];
        log.tree.cached_block[0] = log.tree.cached_block[1] = -1;
        double t0 = now_s();
        /* a leaf in one complete block, the size's edge in another */
        if (merkle_inclusion(&log.tree, (n / 3 + 17 * r) % (n - 16), n - 3, path) < 0)
            return -1;
        double dt = now_s() - t0;
        sum += dt;
        worst = dt > worst ? dt : worst;
    }
    struct log_status st[LOG_STATUS_MAX];
    log.tree.cached_block[0] = log.tree.cached_block[1] = -1;
    double t0 = now_s();
    if (log_status_of(&l, ledger_by_id(&l, n_forms / 2), n, st) < 0)
        return -1;
    double status_ms = (now_s() - t0) * 1e3;
    printf("slot_forms=%d leaves=%lld inclusion_ms avg=%.3f worst=%.3f status_of_ms=%.3f\n",
           n_forms, (long long)n, sum / rounds * 1e3, worst * 1e3, status_ms);
    ledger_free(&l);
    publog_free(&log);
    tallies_free(&t);
    registry_free(&reg);
    return 0;
}

int main(int argc, char **argv)
{
    static const int defaults[] = {50, 500, 2000, 10000};
    int n = argc > 1 ? argc - 1 : 4;
    for (int i = 0; i < n; i++) {
        int forms = argc > 1 ? atoi(argv[i + 1]) : defaults[i];
        if (forms < 20 || run(forms) != 0) {
            fprintf(stderr, "usage: suara-bench-log-slot [FORMS >= 20 ...]\n");
            return 2;
        }
    }
    return 0;
}
