/* `suara import kpu`: loads KPU's published results (Sirekap's per-TPS JSON,
 * Sirekap's candidate lists, kabupaten/kota recap CSVs) into kpu_results,
 * a source kept apart from the witnesses' forms. Every file is read and
 * checked first (domain/kpu_import.c); only when all are good are the rows
 * written, in one transaction that ends with NOTIFY suara_kpu, so a running
 * server reloads them and nothing is ever half-imported. */
#include "cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "db/sync.h"
#include "domain/kpu_import.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara import kpu"
#define FILE_MAX ((size_t)64 << 20)

static const char usage[] =
    "Usage: suara import kpu [--db CONNINFO] [--contest ID] FILE...\n"
    "\n"
    "Loads KPU's published results as a source separate from the witnesses:\n"
    "  TPS.json        Sirekap's result of one TPS, named by its code (13 digits,\n"
    "                  e.g. 6201011001001.json, or dotted); chart, administrasi, ts\n"
    "  PASLON.json     Sirekap's candidate list {id: {\"nomor_urut\": N, ...}}, which\n"
    "                  maps the candidate ids of the charts to nomor urut\n"
    "  RECAP.csv       a kabupaten/kota recapitulation: region_code, nomor_urut, votes\n"
    "Without --contest, a TPS file counts for the governor's contest of its province\n"
    "(for the bupati/walikota's when its path contains Sirekap's 'pkwkk'), and a\n"
    "recap row for the governor's contest of its region's province.\n"
    "Every file is checked before anything is written; any problem is reported as\n"
    "FILE:LINE and nothing is imported. A region imported again is replaced.\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --contest ID    the contest of every file given\n"
    "  --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

struct importer {
    struct sync_db db;
    struct kpu_ref ref;
    char (*codes)[REGION_CODE_MAX + 1]; /* keys of ref.regions */
    struct kpu_rows rows;
    int files, skipped;
};

static int load_contests(struct importer *im)
{
    struct pg_result *res =
        sync_query(&im->db, "SELECT id, region FROM contests ORDER BY id", 0, NULL);
    if (!res)
        return SU_ERR;
    im->ref.n_contests = sync_rows(res);
    im->ref.contests = xcalloc((size_t)(im->ref.n_contests + 1), sizeof *im->ref.contests);
    for (int i = 0; im->ref.contests && i < im->ref.n_contests; i++) {
        snprintf(im->ref.contests[i].id, sizeof im->ref.contests[i].id, "%s",
                 sync_value(res, i, 0));
        snprintf(im->ref.contests[i].region, sizeof im->ref.contests[i].region, "%s",
                 sync_value(res, i, 1));
    }
    sync_clear(res);
    if (!im->ref.contests)
        return SU_NOMEM;
    res = sync_query(&im->db, "SELECT contest, number FROM candidates ORDER BY contest, number", 0,
                     NULL);
    if (!res)
        return SU_ERR;
    for (int r = 0; r < sync_rows(res); r++) {
        for (int i = 0; i < im->ref.n_contests; i++) {
            struct kpu_ref_contest *c = &im->ref.contests[i];
            if (strcmp(c->id, sync_value(res, r, 0)) == 0 &&
                c->n_candidates < CONTEST_MAX_CANDIDATES)
                c->numbers[c->n_candidates++] = atoi(sync_value(res, r, 1));
        }
    }
    sync_clear(res);
    return SU_OK;
}

static int load_regions(struct importer *im)
{
    struct pg_result *res =
        sync_query(&im->db,
                   "SELECT code, CASE level WHEN 'province' THEN 1 ELSE 2 END FROM regions"
                   " WHERE level IN ('province', 'kabupaten') UNION ALL SELECT code, 5 FROM tps",
                   0, NULL);
    if (!res)
        return SU_ERR;
    int n = sync_rows(res);
    im->codes = xcalloc((size_t)(n + 1), sizeof *im->codes);
    int rc = im->codes && strmap_reserve(&im->ref.regions, (size_t)n) == SU_OK ? SU_OK : SU_NOMEM;
    for (int i = 0; rc == SU_OK && i < n; i++) {
        snprintf(im->codes[i], sizeof im->codes[i], "%s", sync_value(res, i, 0));
        rc = strmap_put(&im->ref.regions, im->codes[i],
                        (void *)(intptr_t)atoi(sync_value(res, i, 1)));
    }
    sync_clear(res);
    return rc;
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, WHO ": %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b, FILE_MAX);
    char chunk[65536];
    size_t n;
    int rc = SU_OK;
    while (rc == SU_OK && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        rc = buf_append(&b, chunk, n);
    bool bad = ferror(fp) || rc != SU_OK;
    fclose(fp);
    if (bad) {
        fprintf(stderr, WHO ": %s: %s\n", path, rc == SU_OK ? "cannot be read" : "too large");
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, len);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Reads one file of the second pass (a TPS file or a recap). */
static int read_one(struct importer *im, const char *file, bool csv, const char *contest, char *err,
                    size_t err_size)
{
    size_t len;
    char *text = read_whole(file, &len);
    if (!text)
        return SU_ERR;
    int rc = csv ? kpu_read_recap(&im->ref, file, text, len, contest, &im->rows, err, err_size)
                 : kpu_read_sirekap(&im->ref, file, text, len, contest, &im->rows, err, err_size);
    free(text);
    if (rc < 0) {
        fprintf(stderr, WHO ": %s\n", err);
        return SU_ERR;
    }
    im->skipped += !csv && rc == 0;
    return SU_OK;
}

/* Candidate lists first, so that every chart can be read with them. */
static int read_files(struct importer *im, char **files, int n, const char *contest)
{
    char err[512];
    bool *is_list = xcalloc((size_t)n, sizeof *is_list);
    int rc = SU_ERR;
    for (int i = 0; i < n; i++) {
        if (!ends_with(files[i], ".json") && !ends_with(files[i], ".csv")) {
            fprintf(stderr, WHO ": %s: not a .json or .csv file\n", files[i]);
            goto done;
        }
        if (!ends_with(files[i], ".json"))
            continue;
        size_t len;
        char *text = read_whole(files[i], &len);
        if (!text)
            goto done;
        int found = kpu_read_paslon(&im->ref, files[i], text, len, err, sizeof err);
        free(text);
        if (found < 0) {
            fprintf(stderr, WHO ": %s\n", err);
            goto done;
        }
        is_list[i] = found == 1;
    }
    for (int i = 0; i < n; i++) {
        if (!is_list[i] &&
            read_one(im, files[i], ends_with(files[i], ".csv"), contest, err, sizeof err) != SU_OK)
            goto done;
    }
    im->files = n;
    rc = SU_OK;
done:
    free(is_list);
    if (rc != SU_OK)
        return rc;
    if (kpu_rows_check_unique(&im->rows, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        return SU_ERR;
    }
    return SU_OK;
}

static void put_count(struct buf *out, int64_t v)
{
    if (v >= 0)
        buf_printf(out, ",%" PRId64, v);
    else
        buf_puts(out, ",");
}

static int csv_rows(const struct importer *im, struct buf *out)
{
    for (int i = 0; i < im->rows.n; i++) {
        const struct kpu_row *r = &im->rows.rows[i];
        buf_printf(out, "%s,%s,%s,\"{", r->contest, r->region, r->recap ? "recap" : "sirekap");
        for (int k = 0; k < r->n_votes; k++)
            buf_printf(out, "%s%" PRId64, k ? "," : "", r->votes[k]);
        buf_puts(out, "}\"");
        put_count(out, r->valid);
        put_count(out, r->invalid);
        put_count(out, r->total);
        put_count(out, r->dpt_voters);
        buf_printf(out, ",%s", r->reported_at);
        if (sync_csv_field(out, r->file, false) != SU_OK || buf_puts(out, "\n") != SU_OK)
            return SU_ERR;
    }
    return SU_OK;
}

static int write_rows(struct importer *im)
{
    struct buf data;
    buf_init(&data, (size_t)1 << 30);
    int rc = SU_ERR;
    if (csv_rows(im, &data) != SU_OK) {
        fprintf(stderr, WHO ": the rows do not fit in memory\n");
        goto done;
    }
    /* Sirekap's ts is local time in Indonesia's western zone (WIB). */
    if (sync_begin(&im->db) != SU_OK ||
        sync_exec(&im->db,
                  "CREATE TEMP TABLE kpu_in (contest text, region text, source text, votes text,"
                  " valid text, invalid text, total text, dpt_voters text, reported_at text,"
                  " file text) ON COMMIT DROP",
                  0, NULL) != SU_OK ||
        sync_copy(&im->db, "COPY kpu_in FROM STDIN (FORMAT csv)", data.data ? data.data : "",
                  data.len) != SU_OK ||
        sync_exec(&im->db,
                  "INSERT INTO kpu_results (contest, region, source, votes, valid, invalid,"
                  " total, dpt_voters, reported_at, file)"
                  " SELECT contest, region, source, votes::bigint[], valid::bigint,"
                  " invalid::bigint, total::bigint, dpt_voters::bigint,"
                  " reported_at::timestamp AT TIME ZONE 'Asia/Jakarta', file FROM kpu_in"
                  " ON CONFLICT (contest, region) DO UPDATE SET source = excluded.source,"
                  " votes = excluded.votes, valid = excluded.valid, invalid = excluded.invalid,"
                  " total = excluded.total, dpt_voters = excluded.dpt_voters,"
                  " reported_at = excluded.reported_at, file = excluded.file,"
                  " imported_at = now()",
                  0, NULL) != SU_OK ||
        sync_exec(&im->db, "NOTIFY suara_kpu", 0, NULL) != SU_OK || sync_commit(&im->db) != SU_OK)
        goto done;
    rc = SU_OK;
done:
    sync_rollback(&im->db);
    buf_free(&data);
    return rc;
}

static int run(const char *conninfo, char **files, int n, const char *contest)
{
    struct importer im;
    memset(&im, 0, sizeof im);
    strmap_init(&im.ref.regions);
    int status = 1;
    if (sync_connect(&im.db, WHO, conninfo) != SU_OK)
        goto done;
    if (load_contests(&im) != SU_OK || load_regions(&im) != SU_OK)
        goto done;
    if (read_files(&im, files, n, contest) != SU_OK || write_rows(&im) != SU_OK)
        goto done;
    int recaps = 0;
    for (int i = 0; i < im.rows.n; i++)
        recaps += im.rows.rows[i].recap;
    printf("imported %d rows (%d TPS from Sirekap, %d recap regions) from %d files;"
           " %d TPS files had no results yet\n",
           im.rows.n, im.rows.n - recaps, recaps, im.files, im.skipped);
    status = 0;
done:
    sync_close(&im.db);
    kpu_rows_free(&im.rows);
    strmap_free(&im.ref.regions);
    free(im.ref.contests);
    free(im.codes);
    return status;
}

/* `suara import kpu [--db CONNINFO] [--contest ID] FILE...` (argv[0] "kpu"). */
static int kpu(int argc, char **argv)
{
    const char *db = NULL, *contest = NULL;
    char **files = xcalloc((size_t)argc, sizeof *files);
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            free(files);
            return 0;
        }
        if ((strcmp(argv[i], "--db") == 0 || strcmp(argv[i], "--contest") == 0) && i + 1 < argc) {
            *(argv[i][2] == 'd' ? &db : &contest) = argv[i + 1];
            i++;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, WHO ": unknown option '%s'\n\n%s", argv[i], usage);
            free(files);
            return 2;
        } else {
            files[n++] = argv[i];
        }
    }
    const char *conninfo = sync_conninfo(db);
    int status = 2;
    if (!conninfo)
        fprintf(stderr, WHO ": no database given: use --db CONNINFO or set SUARA_DB\n");
    else if (n == 0)
        fprintf(stderr, WHO ": no files given\n\n%s", usage);
    else
        status = run(conninfo, files, n, contest);
    free(files);
    return status;
}

int cli_import(int argc, char **argv)
{
    static const struct cli_command commands[] = {{"kpu", kpu}};
    return cli_dispatch("suara import", commands, sizeof commands / sizeof commands[0], usage, argc,
                        argv);
}
