/* Reading KPU's published results for `suara import kpu`: Sirekap's per-TPS
 * JSON, Sirekap's candidate list (to map its candidate ids to nomor urut) and
 * a kabupaten/kota recapitulation CSV (D.Hasil). Pure logic: the caller reads
 * the files and the election's facts from the database, and writes the rows.
 *
 * A Sirekap TPS file (as KPU publishes it and KawalPemilu's kp24 mirrors it):
 *   {"chart": {"<candidate id>": votes, ...} | null,
 *    "administrasi": {"suara_sah", "suara_tidak_sah", "suara_total",
 *                     "pengguna_dpt_j", ...} | null,
 *    "ts": "YYYY-MM-DD HH:MM:SS", ...}
 * named after its TPS, 13 digits ("6201011001001.json") or the dotted code.
 * A candidate list: {"<candidate id>": {"nomor_urut": N, "nama": ...}, ...}.
 * The recap CSV has a header naming at least region_code, nomor_urut and
 * votes; one row per region and pair.
 *
 * Every problem is reported as "FILE:LINE: what" so the operator can fix the
 * file; the caller imports nothing when any file has one. */
#ifndef SUARA_DOMAIN_KPU_IMPORT_H
#define SUARA_DOMAIN_KPU_IMPORT_H

#include "core/strmap.h"
#include "region_code.h"
#include "registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KPU_VOTES_MAX 100000000 /* a recap of a whole kabupaten fits */
#define KPU_PASLON_MAX 512

struct kpu_ref_contest {
    char id[CONTEST_ID_MAX + 1];
    char region[REGION_CODE_MAX + 1];
    int n_candidates;
    int numbers[CONTEST_MAX_CANDIDATES]; /* ascending */
};

struct kpu_paslon {
    char id[32];
    int number;
};

/* What the importer knows of the election (filled by the caller). */
struct kpu_ref {
    struct kpu_ref_contest *contests;
    int n_contests;
    struct strmap regions; /* TPS, kabupaten/kota and province codes -> level (intptr_t) */
    struct kpu_paslon paslon[KPU_PASLON_MAX];
    int n_paslon;
};

struct kpu_row {
    char contest[CONTEST_ID_MAX + 1];
    char region[REGION_CODE_MAX + 1];
    bool recap;
    int n_votes;
    int64_t votes[CONTEST_MAX_CANDIDATES];     /* by candidate position */
    int64_t valid, invalid, total, dpt_voters; /* -1 = not given */
    char reported_at[20];                      /* "YYYY-MM-DD HH:MM:SS" or "" */
    const char *file;
    long line;
};

struct kpu_rows {
    struct kpu_row *rows;
    int n, cap;
};

void kpu_rows_free(struct kpu_rows *r);

/* A candidate list adds its ids to ref->paslon: 1. Not a candidate list: 0
 * (nothing changed). A broken one: -1 with the message in err. */
int kpu_read_paslon(struct kpu_ref *ref, const char *file, const char *text, size_t len, char *err,
                    size_t err_size);
/* A Sirekap TPS file: 1 (one row added), 0 (no results published yet:
 * "chart" is null), -1 with the message in err. contest: the contest id to
 * use, or NULL to take the governor's of the TPS's province, or the
 * bupati/walikota's when the path names Sirekap's "pkwkk". */
int kpu_read_sirekap(const struct kpu_ref *ref, const char *file, const char *text, size_t len,
                     const char *contest, struct kpu_rows *out, char *err, size_t err_size);
/* A recap CSV: the number of rows added (regions), or -1 with err. contest
 * as above (NULL: the governor's of the region's province). */
int kpu_read_recap(const struct kpu_ref *ref, const char *file, const char *text, size_t len,
                   const char *contest, struct kpu_rows *out, char *err, size_t err_size);
/* Two rows for the same contest and region: -1 with err naming both. */
int kpu_rows_check_unique(const struct kpu_rows *rows, char *err, size_t err_size);

#endif
