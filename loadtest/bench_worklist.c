/* suara-bench-worklist [FORMS]: the monitoring desk's worklists for a whole
 * province, in the server's own code (no HTTP): a registry of Kalimantan
 * Tengah's size (14 kabupaten/kota, 140 kecamatan, 1,540 desa, 4,620 TPS),
 * FORMS forms (default 1500; a tenth held, a tenth disputed) through the
 * ledger, then every status of the province asked 200 times for a page of
 * 1000 and for one item (which also gives the total), reporting the median
 * (and the best, the cost without the machine's other work) and the worst
 * time. Not a test: run by hand (docs/benchmarks.md). */
#include "domain/desk_view.h"
#include "core/mem.h"
#include "domain/ledger.h"
#include "domain/worklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KAB 14
#define KEC 10
#define DESA 11
#define TPS 3
#define REPS 200

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void build(struct registry *r)
{
    char code[32], err[128];
    registry_init(r);
    registry_add_region(r, "62", "Kalimantan Tengah", 0);
    for (int k = 1; k <= KAB; k++) {
        snprintf(code, sizeof code, "62.%02d", k);
        registry_add_region(r, code, "Kabupaten", 0);
        for (int c = 1; c <= KEC; c++) {
            snprintf(code, sizeof code, "62.%02d.%02d", k, c);
            registry_add_region(r, code, "Kecamatan", 0);
            for (int d = 1; d <= DESA; d++) {
                snprintf(code, sizeof code, "62.%02d.%02d.%04d", k, c, 1000 + d);
                registry_add_region(r, code, "Desa", 0);
                for (int t = 1; t <= TPS; t++) {
                    snprintf(code, sizeof code, "62.%02d.%02d.%04d.%03d", k, c, 1000 + d, t);
                    registry_add_region(r, code, "TPS", 400);
                }
            }
        }
    }
    registry_add_contest(r, "gub-62", "gubernur", "62", "Pilgub");
    for (int n = 1; n <= 4; n++)
        registry_add_candidate(r, "gub-62", n, "Kepala", "Wakil");
    if (registry_finish(r, err, sizeof err) != 0) {
        fprintf(stderr, "registry: %s\n", err);
        exit(1);
    }
}

static void submit(struct ledger *l, const struct registry *reg, int32_t tps, int token, int sid,
                   int shift, uint32_t checks)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "bench-%d", sid);
    in.counts.voted[ROW_DPT][SEX_M] = 200;
    in.counts.valid = in.counts.total = 200;
    struct form_resolved res = {.tps = tps, .contest = &reg->contests[0]};
    res.votes[0] = (uint16_t)(100 + shift);
    res.votes[1] = (uint16_t)(100 - shift);
    struct form *f = form_new(&in, &res, checks, token, 1000 + sid);
    ledger_track(l, f);
    struct op *op = xcalloc(1, sizeof *op);
    op->kind = OP_FORM;
    op->form = f;
    f->pending_op = op;
    ledger_decide_form(l, op);
    ledger_commit(l, op);
    free(op);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n_forms = argc > 1 ? atoi(argv[1]) : 1500;
    struct registry reg;
    struct tallies t;
    struct ledger l;
    build(&reg);
    tallies_init(&t, &reg);
    ledger_init(&l, &reg, &t);
    int32_t n_tps = reg.regions[0].n_tps, sid = 0, done = 0;
    for (int32_t r = 0; r < reg.n_regions && done < n_forms; r++) {
        if (reg.regions[r].level != LEVEL_TPS || (r * 7) % 3 == 0)
            continue; /* about two TPS in three, spread over the province */
        uint32_t held = done % 10 == 1 ? 1u << CHECK_VALID_SUM : 0;
        submit(&l, &reg, r, 1, ++sid, 0, held);
        if (done % 10 == 2)
            submit(&l, &reg, r, 2, ++sid, 5, 0); /* a second witness, other numbers */
        done++;
    }
    printf("%d TPS, %d forms\n", n_tps, sid);
    for (int s = 0; s < WL_COUNT; s++) {
        for (int limit = 1000; limit >= 1; limit = limit == 1000 ? 1 : 0) {
            double times[REPS];
            size_t bytes = 0;
            for (int i = 0; i < REPS; i++) {
                double t0 = now_ms();
                char *body = view_worklist(&l, 0, 0, s, -1, limit);
                times[i] = now_ms() - t0;
                bytes = strlen(body);
                free(body);
            }
            qsort(times, REPS, sizeof times[0], by_value);
            printf("%-12s limit=%-5d %7zu bytes  best %.3f ms  median %.3f ms  worst %.3f ms\n",
                   worklist_status_name(s), limit, bytes, times[0], times[REPS / 2],
                   times[REPS - 1]);
        }
    }
    ledger_free(&l);
    tallies_free(&t);
    registry_free(&reg);
    return 0;
}
