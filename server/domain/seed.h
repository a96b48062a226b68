/* The content of a seed folder, checked: the election's static facts (regions,
 * TPS, contests and candidate pairs) as `suara seed` loads them. Pure logic:
 * the caller reads the six files and hands their bytes over; this module
 * parses them (CSV through domain/csv, JSON through cJSON), checks every rule,
 * and builds the in-memory model that db/seed_write copies into PostgreSQL.
 *
 * The six files share one prefix (e.g. "kalteng_"):
 *   PREFIXprovinsi.csv   code,name
 *   PREFIXkabupaten.csv  code,name                       [province_code]
 *   PREFIXkecamatan.csv  code,kabupaten_code,name
 *   PREFIXdesa.csv       code,kecamatan_code,name[,kind]
 *   PREFIXtps.csv        code,desa_code,number,dpt
 *   PREFIXcontests.json  {"max_dpt_per_tps", "contests": [{"id", "kind", "region", "title",
 *                          "candidates": [{"number", "head", "deputy", "verified"}]}]}
 * Columns are found by their header name, so order does not matter and extra
 * columns are ignored; a parent column, where present, must agree with the
 * code (whose prefix is the parent).
 *
 * Every problem goes to the caller's report function as it is found, in file
 * order: a bad row as (FILE, LINE, message), a problem in the JSON or with a
 * whole file as (FILE, 0, message). Rows whose parent was rejected are not
 * checked one by one: each file gets one summary note for them instead. */
#ifndef SUARA_DOMAIN_SEED_H
#define SUARA_DOMAIN_SEED_H

#include "core/strmap.h"
#include "region_code.h"
#include "registry.h"

#include <stdbool.h>
#include <stddef.h>

#define SEED_TEXT_MAX 200 /* bytes in a region name, kind, title or candidate name */
#define SEED_DPT_MAX 9999 /* the schema's bound, unless the JSON sets a lower one */
#define SEED_CONTESTS 0   /* files[SEED_CONTESTS] is the JSON; files[level] a level's CSV */
#define SEED_NFILES (LEVEL_TPS + 1)

/* One input file, as the caller could read it:
 * - error set: it could not be opened (or was too big) and is skipped, after
 *   reporting FILE: error;
 * - otherwise `data` holds its `len` bytes, followed by a NUL byte (as struct
 *   buf guarantees; NULL is taken as an empty file), and read_error, if set,
 *   says why reading stopped after them (strerror text): it is reported where
 *   the check reaches the end of the data. */
struct seed_file {
    const char *path; /* as it appears in messages; its last component names the file */
    const char *data;
    size_t len;
    const char *error;
    const char *read_error;
};

struct seed_report {
    const char *file;
    long line; /* from 1; 0 when about the whole file or a JSON path */
    const char *message;
    bool summary; /* a note counting rows not checked, not a problem of its own */
};

typedef void seed_report_fn(void *ctx, const struct seed_report *r);

struct seed_region {
    char code[REGION_CODE_MAX + 1];
    char parent[REGION_CODE_MAX + 1]; /* "" for the province */
    enum region_level level;
    char name[SEED_TEXT_MAX + 1];
};

struct seed_tps {
    char code[REGION_CODE_MAX + 1];
    char desa[REGION_CODE_MAX + 1];
    int number;
    int dpt;
};

struct seed_contest {
    char id[CONTEST_ID_MAX + 1];
    char kind[SEED_TEXT_MAX + 1];
    char region[REGION_CODE_MAX + 1];
    char title[SEED_TEXT_MAX + 1];
};

struct seed_candidate {
    char contest[CONTEST_ID_MAX + 1];
    int number;
    char head[SEED_TEXT_MAX + 1];
    char deputy[SEED_TEXT_MAX + 1]; /* may be empty */
    bool verified;                  /* true unless the JSON says false */
};

struct seed {
    /* the model: only the rows that passed, in file order */
    struct seed_region *regions; /* all four region levels */
    struct seed_tps *tps;
    struct seed_contest *contests;
    struct seed_candidate *candidates;
    size_t n_regions, n_tps, n_contests, n_candidates;
    int count[LEVEL_TPS + 1]; /* rows accepted per level (count[LEVEL_TPS] == n_tps) */
    int problems;             /* problems reported */
    int unchecked;            /* rows and contests skipped because their parent was rejected */

    /* private */
    seed_report_fn *report;
    void *report_ctx;
    size_t cap_regions, cap_tps, cap_contests, cap_candidates;
    struct strmap codes; /* region or TPS code -> (intptr_t) line of its row */
    char **owned;        /* the map's keys, to free */
    size_t n_owned, cap_owned;
    int dpt_max;
    int level_problems[LEVEL_TPS + 1]; /* per file, to tell orphans of rejected rows */
    int orphans;                       /* rows of the current file whose parent was rejected */
};

/* "contests.json" for SEED_CONTESTS, else "provinsi.csv" ... "tps.csv". */
const char *seed_file_suffix(int index);

/* `report` (may be NULL) is called for every problem and summary note. */
void seed_init(struct seed *s, seed_report_fn *report, void *ctx);
void seed_free(struct seed *s);

/* Checks the six files (indexed as above) and fills the model. Returns SU_OK
 * when the check ran to the end, whatever it found (s->problems and
 * s->unchecked are then 0 only for good data), or SU_NOMEM. */
int seed_check(struct seed *s, const struct seed_file files[SEED_NFILES]);

#endif
