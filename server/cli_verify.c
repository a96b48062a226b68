/* `suara verify-log`: recomputes the receipt chain (see domain/receipt.h)
 * from the database, in id order, and names the first stored form whose
 * receipt no longer matches - the row that was altered, or the first one
 * after a row that was inserted or deleted behind the server's back.
 * Reads through a cursor so millions of forms never sit in memory at once. */
#include "cli.h"
#include "core/err.h"
#include "core/sha256.h"
#include "db/form_row.h"
#include "db/sync.h"
#include "domain/receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara verify-log"
#define FETCH 10000

static const char usage[] =
    "Usage: suara verify-log --db CONNINFO\n"
    "\n"
    "Recomputes the receipt chain of every stored form and reports the first\n"
    "form whose stored receipt does not match. Exit status: 0 the chain is\n"
    "intact, 1 it is broken (or the database failed), 2 usage error.\n";

struct chain {
    unsigned char prev[32];
    long long checked;
    long long expected_id; /* ids are dense: a gap is a deleted row */
};

/* 0 intact so far, 1 broken (reported). */
static int check_row(struct chain *c, char **fields)
{
    struct form *f = form_row_parse(fields, FORM_ROW_FIELDS);
    if (!f) {
        fprintf(stderr, WHO ": form %s: the row cannot be read\n", fields[0]);
        return 1;
    }
    unsigned char computed[32], stored[32];
    int rc = 0;
    if (f->id != c->expected_id) {
        printf("BROKEN at form %lld: expected form %lld next; a form was deleted or its id "
               "changed\n",
               (long long)f->id, c->expected_id);
        rc = 1;
    } else {
        receipt_compute(c->prev, f, fields[FORM_ROW_TPS], fields[FORM_ROW_CONTEST], computed);
        bool has = receipt_parse_hex(fields[FORM_ROW_RECEIPT], stored) == 0;
        if (!has || memcmp(computed, stored, 32) != 0) {
            char want[65];
            hex_encode(computed, 32, want);
            printf("BROKEN at form %lld (submission_id %s): stored receipt %s, recomputed %s; "
                   "this row, or the chain before it, was altered\n",
                   (long long)f->id, f->submission_id, has ? fields[FORM_ROW_RECEIPT] : "(none)",
                   want);
            rc = 1;
        }
        memcpy(c->prev, stored, 32);
    }
    c->expected_id = f->id + 1;
    c->checked++;
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

static int verify(struct sync_db *db, struct chain *c)
{
    if (sync_begin(db) != SU_OK ||
        sync_exec(db, "DECLARE chain NO SCROLL CURSOR FOR SELECT " FORM_ROW_COLUMNS, 0, NULL) !=
            SU_OK)
        return 1;
    for (;;) {
        struct pg_result *res = sync_query(db, "FETCH 10000 FROM chain", 0, NULL);
        if (!res)
            return 1;
        int rows = sync_rows(res);
        for (int r = 0; r < rows; r++) {
            char *fields[FORM_ROW_FIELDS];
            for (int k = 0; k < FORM_ROW_FIELDS; k++)
                fields[k] = (char *)sync_value(res, r, k);
            if (check_row(c, fields)) {
                sync_clear(res);
                return 1;
            }
        }
        sync_clear(res);
        if (rows < FETCH)
            return 0;
    }
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
    int rc = chain_start(&db, &c) ? 1 : verify(&db, &c);
    sync_close(&db);
    if (rc == 0) {
        char head[65];
        hex_encode(c.prev, 32, head);
        printf("intact: %lld forms; head receipt %s\n", c.checked, c.checked ? head : "(none)");
    }
    return rc;
}
