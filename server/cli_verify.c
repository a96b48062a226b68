/* `suara verify-log`: checks the stored history against the log, in two
 * passes over the database, each through a cursor so that millions of forms
 * never sit in memory at once.
 *
 * 1. The receipt chain (domain/receipt.h): every entry in seq order - forms by
 *    id, each reviewer's decision merged in at its seq - is recomputed from
 *    the election's recorded genesis (64 zeros for the rehearsal) and
 *    compared with its stored receipt; the first that differs is named (the
 *    row altered, or the first after one inserted or deleted behind the
 *    server's back). Decisions made before they joined the chain (seq below
 *    log_format.decisions_from_seq, schema/006) have no receipt and are
 *    skipped; every later one must have one.
 * 2. The outcome rules (domain/replay.h), TPS and contest at a time: every
 *    stored status must be what replaying the forms and decisions gives, so a
 *    status or a decision changed in the database (which would change the
 *    tally after a restart) is found; and no TPS has two counted forms. */
#include "cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "db/form_row.h"
#include "db/sync.h"
#include "domain/receipt.h"
#include "domain/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara verify-log"
#define FETCH 10000

static const char usage[] =
    "Usage: suara verify-log --db CONNINFO\n"
    "\n"
    "Recomputes the receipt chain of every stored form and decision and reports\n"
    "the first entry whose stored receipt does not match; then replays the\n"
    "outcome rules and reports the first stored status that does not follow from\n"
    "the log. Exit status: 0 the history verifies, 1 it does not (or the database\n"
    "failed), 2 usage error.\n";

/* A decision waiting for its place in seq order. */
struct pending_decision {
    struct decision d;
    int64_t form_id;
};

struct chain {
    unsigned char prev[32];
    long long decisions_from_seq; /* a decision from then on must have a receipt */
    long long forms, decisions;
    long long expected_id;         /* ids are dense: a gap is a deleted row */
    struct pending_decision *heap; /* a min-heap by seq */
    size_t n_heap, cap_heap;
};

static void heap_push(struct chain *c, const struct decision *d, int64_t form_id)
{
    if (c->n_heap == c->cap_heap) {
        c->cap_heap = c->cap_heap ? 2 * c->cap_heap : 64;
        c->heap = xrealloc(c->heap, c->cap_heap * sizeof *c->heap);
    }
    size_t i = c->n_heap++;
    c->heap[i] = (struct pending_decision){*d, form_id};
    c->heap[i].d.reason = xstrdup(d->reason);
    while (i > 0 && c->heap[(i - 1) / 2].d.seq > c->heap[i].d.seq) {
        struct pending_decision t = c->heap[i];
        c->heap[i] = c->heap[(i - 1) / 2];
        c->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct pending_decision heap_pop(struct chain *c)
{
    struct pending_decision top = c->heap[0];
    c->heap[0] = c->heap[--c->n_heap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->n_heap && c->heap[l].d.seq < c->heap[m].d.seq)
            m = l;
        if (r < c->n_heap && c->heap[r].d.seq < c->heap[m].d.seq)
            m = r;
        if (m == i)
            break;
        struct pending_decision t = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = t;
        i = m;
    }
    return top;
}

/* 0 intact so far, 1 broken (reported). */
static int check_decision(struct chain *c, struct pending_decision *p)
{
    const struct decision *d = &p->d;
    int rc = 0;
    if (!d->has_receipt) {
        if (d->seq >= c->decisions_from_seq) {
            printf("BROKEN at decision %lld (on form %lld): it has no receipt, but every decision "
                   "since decisions joined the log (seq %lld) must; it was inserted behind the "
                   "server's back\n",
                   (long long)d->id, (long long)p->form_id, c->decisions_from_seq);
            rc = 1;
        }
    } else {
        unsigned char computed[32];
        receipt_decision(c->prev, d, p->form_id, computed);
        if (memcmp(computed, d->receipt, 32) != 0) {
            char want[65], got[65];
            hex_encode(computed, 32, want);
            hex_encode(d->receipt, 32, got);
            printf("BROKEN at decision %lld (on form %lld): stored receipt %s, recomputed %s; "
                   "this decision, or the chain before it, was altered\n",
                   (long long)d->id, (long long)p->form_id, got, want);
            rc = 1;
        }
        memcpy(c->prev, d->receipt, 32);
    }
    c->decisions++;
    free(p->d.reason);
    return rc;
}

/* Decisions that come before seq `before` in the log. */
static int check_decisions_before(struct chain *c, int64_t before)
{
    while (c->n_heap && c->heap[0].d.seq < before) {
        struct pending_decision p = heap_pop(c);
        if (check_decision(c, &p))
            return 1;
    }
    return 0;
}

/* The form's receipt in the format it was stored with (form.h). */
static bool receipt_matches(struct chain *c, const struct form *f, char **fields,
                            const unsigned char stored[32])
{
    unsigned char computed[32];
    receipt_compute(c->prev, f, fields[FORM_ROW_TPS], fields[FORM_ROW_CONTEST], computed);
    return memcmp(computed, stored, 32) == 0;
}

static int check_form(struct chain *c, char **fields)
{
    struct form *f = form_row_parse(fields, FORM_ROW_FIELDS);
    if (!f) {
        fprintf(stderr, WHO ": form %s: the row cannot be read\n", fields[0]);
        return 1;
    }
    int rc = check_decisions_before(c, f->seq);
    unsigned char stored[32];
    if (rc == 0 && f->id != c->expected_id) {
        printf("BROKEN at form %lld: expected form %lld next; a form was deleted or its id "
               "changed\n",
               (long long)f->id, c->expected_id);
        rc = 1;
    } else if (rc == 0) {
        bool has = receipt_parse_hex(fields[FORM_ROW_RECEIPT], stored) == 0;
        if (!has || !receipt_matches(c, f, fields, stored)) {
            char want[65];
            unsigned char computed[32];
            receipt_compute(c->prev, f, fields[FORM_ROW_TPS], fields[FORM_ROW_CONTEST], computed);
            hex_encode(computed, 32, want);
            printf("BROKEN at form %lld (submission_id %s): stored receipt %s, recomputed %s; "
                   "this row, or the chain before it, was altered\n",
                   (long long)f->id, f->submission_id, has ? fields[FORM_ROW_RECEIPT] : "(none)",
                   want);
            rc = 1;
        }
        memcpy(c->prev, stored, 32);
        if (f->decision)
            heap_push(c, f->decision, f->id);
    }
    c->expected_id = f->id + 1;
    c->forms++;
    form_discard(f, NULL);
    return rc;
}

/* The chain starts from the genesis recorded when the election went live
 * (64 zeros for the rehearsal). 0, or 1 after reporting. */
static int chain_start(struct sync_db *db, struct chain *c)
{
    struct pg_result *res = sync_query(db, "SELECT genesis FROM election", 0, NULL);
    int rc = !res || sync_rows(res) != 1 || receipt_parse_hex(sync_value(res, 0, 0), c->prev);
    if (res && rc)
        fprintf(stderr, WHO ": the election row is missing or broken\n");
    sync_clear(res);
    return rc;
}

/* Runs `sql` (a SELECT of FORM_ROW_LIST) through a cursor, row by row. */
static int each_row(struct sync_db *db, const char *sql, int (*row)(void *ctx, char **fields),
                    void *ctx)
{
    if (sync_begin(db) != SU_OK || sync_exec(db, sql, 0, NULL) != SU_OK)
        return 1;
    for (;;) {
        struct pg_result *res = sync_query(db, "FETCH 10000 FROM rows", 0, NULL);
        if (!res)
            return 1;
        int rows = sync_rows(res);
        for (int r = 0; r < rows; r++) {
            char *fields[FORM_ROW_FIELDS];
            for (int k = 0; k < FORM_ROW_FIELDS; k++)
                fields[k] = (char *)sync_value(res, r, k);
            if (row(ctx, fields)) {
                sync_clear(res);
                sync_rollback(db);
                return 1;
            }
        }
        sync_clear(res);
        if (rows < FETCH) {
            sync_rollback(db); /* read only: nothing to keep */
            return 0;
        }
    }
}

static int chain_row(void *ctx, char **fields)
{
    return check_form(ctx, fields);
}

/* ---- pass 2: the outcome rules, one TPS and contest at a time ------------ */

struct replay_pass {
    char tps[64], contest[64];
    struct form **forms;
    int n, cap;
    long long slots;
};

static int replay_group(struct replay_pass *p)
{
    if (!p->n)
        return 0;
    struct replay_form *rf = xcalloc((size_t)p->n, sizeof *rf);
    int counted = 0;
    for (int i = 0; i < p->n; i++) {
        const struct form *f = p->forms[i];
        counted += f->status == FS_COUNTED;
        rf[i] = replay_form_of(f);
    }
    char why[300];
    int rc = 0;
    if (counted > 1) {
        printf("BROKEN at TPS %s, contest %s: %d forms are stored as counted; one may be\n", p->tps,
               p->contest, counted);
        rc = 1;
    } else if (replay_slot(rf, p->n, replay_same_counts, why, sizeof why) != 0) {
        printf("BROKEN at TPS %s, contest %s: %s\n", p->tps, p->contest, why);
        rc = 1;
    }
    free(rf);
    for (int i = 0; i < p->n; i++)
        form_discard(p->forms[i], NULL);
    p->n = 0;
    p->slots++;
    return rc;
}

static int replay_row(void *ctx, char **fields)
{
    struct replay_pass *p = ctx;
    if (strcmp(fields[FORM_ROW_TPS], p->tps) != 0 ||
        strcmp(fields[FORM_ROW_CONTEST], p->contest) != 0) {
        if (replay_group(p))
            return 1;
        snprintf(p->tps, sizeof p->tps, "%s", fields[FORM_ROW_TPS]);
        snprintf(p->contest, sizeof p->contest, "%s", fields[FORM_ROW_CONTEST]);
    }
    struct form *f = form_row_parse(fields, FORM_ROW_FIELDS);
    if (!f) {
        fprintf(stderr, WHO ": form %s: the row cannot be read\n", fields[0]);
        return 1;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 16;
        p->forms = xrealloc(p->forms, (size_t)p->cap * sizeof *p->forms);
    }
    p->forms[p->n++] = f;
    return 0;
}

static int read_boundary(struct sync_db *db, struct chain *c)
{
    struct pg_result *res =
        sync_query(db, "SELECT coalesce(min(decisions_from_seq), 1) FROM log_format", 0, NULL);
    if (!res)
        return 1;
    c->decisions_from_seq = atoll(sync_value(res, 0, 0));
    sync_clear(res);
    return 0;
}

static int verify(struct sync_db *db, struct chain *c, struct replay_pass *p)
{
    if (read_boundary(db, c))
        return 1;
    if (each_row(db, "DECLARE rows NO SCROLL CURSOR FOR SELECT " FORM_ROW_LIST " ORDER BY f.id",
                 chain_row, c) ||
        check_decisions_before(c, INT64_MAX))
        return 1;
    if (each_row(db,
                 "DECLARE rows NO SCROLL CURSOR FOR SELECT " FORM_ROW_LIST
                 " ORDER BY f.tps, f.contest, f.id",
                 replay_row, p) ||
        replay_group(p))
        return 1;
    return 0;
}

int cli_verify_log(int argc, char **argv)
{
    const char *db_flag = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db_flag = argv[++i];
            continue;
        }
        fprintf(stderr, WHO ": unknown argument '%s'\n\n%s", argv[i], usage);
        return 2;
    }
    const char *conninfo = sync_conninfo(db_flag);
    if (!conninfo) {
        fprintf(stderr, WHO ": no database given: use --db CONNINFO or set SUARA_DB\n");
        return 2;
    }
    struct sync_db db;
    if (sync_connect(&db, WHO, conninfo) != SU_OK)
        return 1;
    struct chain c = {.expected_id = 1};
    struct replay_pass p = {0};
    int rc = chain_start(&db, &c) ? 1 : verify(&db, &c, &p);
    sync_close(&db);
    while (c.n_heap) {
        struct pending_decision left = heap_pop(&c);
        free(left.d.reason);
    }
    free(c.heap);
    for (int i = 0; i < p.n; i++)
        form_discard(p.forms[i], NULL);
    free(p.forms);
    if (rc == 0) {
        char head[65];
        hex_encode(c.prev, 32, head);
        printf("intact: %lld forms", c.forms);
        if (c.decisions)
            printf(" and %lld decisions", c.decisions);
        printf("; head receipt %s\n", c.forms ? head : "(none)");
        printf("statuses: every stored status follows from the log (%lld TPS and contests "
               "replayed)\n",
               p.slots);
    }
    return rc;
}
