/* See copybench.h. Row j (from 0) fills slot j mod S (S = TPS x contest
 * pairs) in round j div S: revision round + 1, outcome counted, status
 * counted for a slot's last row and superseded before it - the table the
 * server would hold after that many corrections, one counted form per slot.
 * Receipts are chained exactly as the server chains them (domain/receipt),
 * so `suara verify-log` accepts the result. */
#include "copybench.h"
#include "core/mem.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "domain/ledger.h"
#include "domain/receipt.h"
#include "formgen.h"
#include "model.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

static int put_row(struct buf *out, const struct model *m, int64_t j, int64_t n_forms,
                   int32_t token_id, int64_t received_ms, unsigned char chain[32], uint64_t seed)
{
    int64_t S = m->n_slots;
    const struct lt_slot *slot = &m->slots[j % S];
    const struct lt_contest *c = &m->contests[slot->contest];
    int64_t round = j / S;
    bool last = j + S >= n_forms;
    struct lt_counts k;
    formgen_counts(&k, lt_mix(seed ^ ((uint64_t)(j % S) * 0x9e3779b97f4a7c15ull)),
                   m->regions[slot->tps].dpt, c->n_cand, round % 2 ? FV_GOOD1 : FV_GOOD0);
    struct form *f = xcalloc(1, sizeof *f + (size_t)c->n_cand * sizeof f->votes[0]);
    f->id = j + 1;
    f->seq = j + 1;
    f->received_ms = received_ms;
    f->token_id = token_id;
    f->revision = (uint32_t)(round + 1);
    f->outcome = FS_COUNTED;
    f->status = last ? FS_COUNTED : FS_SUPERSEDED;
    memcpy(&f->counts.registered, k.registered, sizeof k.registered);
    memcpy(&f->counts.voted, k.voted, sizeof k.voted);
    memcpy(&f->counts.ballots, k.ballots, sizeof k.ballots);
    memcpy(&f->counts.disability, k.disability, sizeof k.disability);
    f->counts.valid = k.valid;
    f->counts.invalid = k.invalid;
    f->counts.total = k.total;
    f->n_votes = (uint8_t)c->n_cand;
    for (int i = 0; i < c->n_cand; i++)
        f->votes[i] = k.votes[i];
    snprintf(f->submission_id, sizeof f->submission_id, "cp-%" PRId64, j + 1);
    receipt_compute(chain, f, m->regions[slot->tps].code, c->id, f->receipt);
    memcpy(chain, f->receipt, 32);
    char receipt[65], ts[40];
    hex_encode(f->receipt, 32, receipt);
    time_t secs = (time_t)(received_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    buf_printf(
        out, "%" PRId64 "\t%s\t%s\t%s\t%u\t%s\tcounted\t\\N\t%d\t%" PRId64 "\t%s.%03d+00\t{}\t\\N",
        f->id, f->submission_id, m->regions[slot->tps].code, c->id, f->revision,
        last ? "counted" : "superseded", token_id, f->seq, ts, (int)(received_ms % 1000));
    for (int r = 0; r < 3; r++)
        buf_printf(out, "\t%u\t%u", k.registered[r][0], k.registered[r][1]);
    for (int r = 0; r < 3; r++)
        buf_printf(out, "\t%u\t%u", k.voted[r][0], k.voted[r][1]);
    buf_printf(out, "\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t{", k.ballots[0], k.ballots[1],
               k.ballots[2], k.ballots[3], k.disability[0], k.disability[1], k.valid, k.invalid,
               k.total);
    for (int i = 0; i < c->n_cand; i++)
        buf_printf(out, "%s%u", i ? "," : "", k.votes[i]);
    int rc = buf_printf(out, "}\t%s\n", receipt);
    free(f);
    return rc;
}

static const char copy_sql[] =
    "COPY forms (id, submission_id, tps, contest, revision, status, outcome, confirms, token_id,"
    " seq, received_at, checks, photo_sha256, reg_dpt_m, reg_dpt_f, reg_dpph_m, reg_dpph_f,"
    " reg_dptb_m, reg_dptb_f, voted_dpt_m, voted_dpt_f, voted_dpph_m, voted_dpph_f,"
    " voted_dptb_m, voted_dptb_f, ballots_received, ballots_returned, ballots_unused,"
    " ballots_used, disability_registered, disability_voted, valid, invalid, total, votes,"
    " receipt) FROM STDIN";

static int copy_batch(PGconn *db, const struct buf *rows)
{
    if (lt_db_exec(db, "BEGIN") != 0)
        return -1;
    PGresult *r = PQexec(db, copy_sql);
    bool copying = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!copying || PQputCopyData(db, rows->data, (int)rows->len) != 1 ||
        PQputCopyEnd(db, NULL) != 1) {
        fprintf(stderr, "suara-load copy: %s", PQerrorMessage(db));
        return -1;
    }
    bool ok = true;
    for (r = PQgetResult(db); r; r = PQgetResult(db)) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "suara-load copy: %s", PQerrorMessage(db));
            ok = false;
        }
        PQclear(r);
    }
    return ok ? lt_db_exec(db, "COMMIT") : -1;
}

int copybench_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"forms", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'}, {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *conninfo = getenv("SUARA_DB");
    int64_t n_forms = 0, batch = 1000;
    uint64_t seed = 1;
    optind = 1;
    for (int c = getopt_long(argc, argv, "", opts, NULL); c != -1;
         c = getopt_long(argc, argv, "", opts, NULL)) {
        switch (c) {
        case 'd':
            conninfo = optarg;
            break;
        case 'n':
            n_forms = atoll(optarg);
            break;
        case 'b':
            batch = atoll(optarg);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'h':
            printf("Usage: suara-load copy --db CONNINFO [--forms N (default: one per TPS and "
                   "contest)] [--batch N (rows per COPY transaction, 1000)]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!conninfo || batch < 1) {
        fprintf(stderr, "Usage: suara-load copy --db CONNINFO [--forms N] [--batch N]\n");
        return 2;
    }
    PGconn *db = lt_db_connect(conninfo);
    if (!db)
        return 1;
    struct model m;
    int status = 1;
    if (model_load(&m, db) != 0)
        goto out;
    if (n_forms <= 0)
        n_forms = m.n_slots;
    PGresult *r = lt_db_query(db, "SELECT count(*) FROM forms");
    bool empty = r && strcmp(PQgetvalue(r, 0, 0), "0") == 0;
    PQclear(r);
    if (!empty) {
        fprintf(stderr, "suara-load copy: the forms table must be empty\n");
        goto out_model;
    }
    char tok[64], hash[65], sql[512];
    snprintf(tok, sizeof tok, "copy-%llu", (unsigned long long)uv_hrtime());
    sha256_hex(tok, strlen(tok), hash);
    snprintf(sql, sizeof sql,
             "INSERT INTO tokens (hash, role, scope, name) VALUES ('%s', 'admin', '%s', "
             "'suara-load copy') RETURNING id",
             hash, m.regions[0].code);
    if (!(r = lt_db_query(db, sql)))
        goto out_model;
    int32_t token_id = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    struct buf rows;
    buf_init(&rows, (size_t)1 << 30);
    unsigned char chain[32] = {0};
    int64_t received_ms = (int64_t)time(NULL) * 1000;
    uint64_t gen_ns = 0, copy_ns = 0, start = uv_hrtime();
    for (int64_t j = 0; j < n_forms;) {
        uint64_t t0 = uv_hrtime();
        buf_reset(&rows);
        int64_t end = j + batch < n_forms ? j + batch : n_forms;
        for (; j < end; j++) {
            if (put_row(&rows, &m, j, n_forms, token_id, received_ms, chain, seed) != 0) {
                fprintf(stderr, "suara-load copy: out of memory\n");
                buf_free(&rows);
                goto out_model;
            }
        }
        uint64_t t1 = uv_hrtime();
        if (copy_batch(db, &rows) != 0) {
            buf_free(&rows);
            goto out_model;
        }
        gen_ns += t1 - t0;
        copy_ns += uv_hrtime() - t1;
    }
    buf_free(&rows);
    double copy_s = (double)copy_ns / 1e9;
    printf("copied %" PRId64 " forms in batches of %" PRId64 " (one transaction each): COPY %.2f s "
           "= %.0f forms/s; generating the rows %.2f s; wall %.2f s\n",
           n_forms, batch, copy_s, copy_s > 0 ? (double)n_forms / copy_s : 0, (double)gen_ns / 1e9,
           (double)(uv_hrtime() - start) / 1e9);
    status = 0;
out_model:
    model_free(&m);
out:
    PQfinish(db);
    return status;
}
