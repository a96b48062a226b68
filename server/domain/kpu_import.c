/* See kpu_import.h. */
#include "kpu_import.h"
#include "core/err.h"
#include "core/mem.h"
#include "csv.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kpu_rows_free(struct kpu_rows *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static struct kpu_row *new_row(struct kpu_rows *r)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 256;
        struct kpu_row *p = xrealloc(r->rows, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        r->rows = p;
        r->cap = cap;
    }
    struct kpu_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    row->valid = row->invalid = row->total = row->dpt_voters = -1;
    return row;
}

static int problem(char *err, size_t size, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int problem(char *err, size_t size, const char *file, long line, const char *fmt, ...)
{
    int n = snprintf(err, size, "%s:%ld: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < size)
        vsnprintf(err + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The line (from 1) of byte `at` in text. */
static long line_at(const char *text, size_t len, size_t at)
{
    long line = 1;
    for (size_t i = 0; i < at && i < len; i++)
        line += text[i] == '\n';
    return line;
}

/* The line where "key" first appears as a JSON key, else 1. */
static long line_of_key(const char *text, size_t len, const char *key)
{
    char needle[80];
    snprintf(needle, sizeof needle, "\"%s\"", key);
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(text + i, needle, n) == 0)
            return line_at(text, len, i);
    }
    return 1;
}

static cJSON *parse(const char *file, const char *text, size_t len, char *err, size_t size)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : 0;
        problem(err, size, file, line_at(text, len, off), "not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        problem(err, size, file, 1, "expected a JSON object");
        return NULL;
    }
    return root;
}

static const struct kpu_ref_contest *find_contest(const struct kpu_ref *ref, const char *id)
{
    for (int i = 0; i < ref->n_contests; i++) {
        if (strcmp(ref->contests[i].id, id) == 0)
            return &ref->contests[i];
    }
    return NULL;
}

static int candidate_pos(const struct kpu_ref_contest *c, int number)
{
    for (int i = 0; i < c->n_candidates; i++) {
        if (c->numbers[i] == number)
            return i;
    }
    return -1;
}

static bool inside(const char *outer, const char *inner)
{
    size_t n = strlen(outer);
    return strncmp(outer, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '.');
}

/* A whole number 0..max from a JSON value; null is -1 when allow_null. */
static bool json_count(const cJSON *v, int64_t max, bool allow_null, int64_t *out)
{
    if (allow_null && (!v || cJSON_IsNull(v))) {
        *out = -1;
        return true;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
        v->valuedouble != floor(v->valuedouble))
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

int kpu_read_paslon(struct kpu_ref *ref, const char *file, const char *text, size_t len, char *err,
                    size_t err_size)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *first = cJSON_IsObject(root) ? root->child : NULL;
    if (!first || !cJSON_IsObject(first) ||
        !cJSON_GetObjectItemCaseSensitive(first, "nomor_urut")) {
        cJSON_Delete(root);
        return 0;
    }
    int rc = 1;
    for (const cJSON *it = root->child; it && rc == 1; it = it->next) {
        int64_t number;
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "nomor_urut");
        if (!json_count(n, 99, false, &number) || number < 1 || strlen(it->string) >= 32)
            rc = problem(err, err_size, file, line_of_key(text, len, it->string),
                         "candidate %s: nomor_urut must be a number from 1 to 99", it->string);
        else if (ref->n_paslon == KPU_PASLON_MAX)
            rc = problem(err, err_size, file, 1, "more than %d candidates", KPU_PASLON_MAX);
        else {
            struct kpu_paslon *p = &ref->paslon[ref->n_paslon++];
            snprintf(p->id, sizeof p->id, "%s", it->string);
            p->number = (int)number;
        }
    }
    cJSON_Delete(root);
    return rc;
}

/* The TPS code of a Sirekap file: its name, 13 digits or the dotted code. */
static bool tps_of_path(const char *path, char out[REGION_CODE_MAX + 1])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n < 6 || strcmp(base + n - 5, ".json") != 0)
        return false;
    n -= 5;
    if (n == 13) {
        for (size_t i = 0; i < 13; i++) {
            if (base[i] < '0' || base[i] > '9')
                return false;
        }
        snprintf(out, REGION_CODE_MAX + 1, "%.2s.%.2s.%.2s.%.4s.%.3s", base, base + 2, base + 4,
                 base + 6, base + 10);
        return true;
    }
    if (n != 17)
        return false;
    memcpy(out, base, n);
    out[n] = '\0';
    return region_code_level(out, n) == LEVEL_TPS;
}

/* The contest a Sirekap file belongs to when none is named. */
static const struct kpu_ref_contest *default_contest(const struct kpu_ref *ref, const char *path,
                                                     const char *region)
{
    char want[REGION_CODE_MAX + 1];
    bool regency = strstr(path, "pkwkk") != NULL;
    snprintf(want, sizeof want, "%.*s", regency ? 5 : 2, region);
    for (int i = 0; i < ref->n_contests; i++) {
        const struct kpu_ref_contest *c = &ref->contests[i];
        bool kind = regency ? strncmp(c->id, "bup-", 4) == 0 || strncmp(c->id, "wal-", 4) == 0
                            : strncmp(c->id, "gub-", 4) == 0;
        if (kind && strcmp(c->region, want) == 0)
            return c;
    }
    return NULL;
}

static const struct kpu_ref_contest *contest_for(const struct kpu_ref *ref, const char *file,
                                                 const char *given, const char *region, long line,
                                                 char *err, size_t err_size)
{
    const struct kpu_ref_contest *c =
        given ? find_contest(ref, given) : default_contest(ref, file, region);
    if (!c)
        problem(err, err_size, file, line, given ? "no contest %s" : "no contest for %s",
                given ? given : region);
    else if (!inside(c->region, region))
        problem(err, err_size, file, line, "%s lies outside contest %s", region, c->id);
    else
        return c;
    return NULL;
}

/* The candidate number a chart key stands for: a Sirekap id from a
 * candidate list, or the nomor urut itself. */
static int chart_number(const struct kpu_ref *ref, const struct kpu_ref_contest *c, const char *key)
{
    for (int i = 0; i < ref->n_paslon; i++) {
        if (strcmp(ref->paslon[i].id, key) == 0)
            return ref->paslon[i].number;
    }
    char *end;
    long n = strtol(key, &end, 10);
    return *key && !*end && candidate_pos(c, (int)n) >= 0 ? (int)n : -1;
}

static int read_chart(const struct kpu_ref *ref, const struct kpu_ref_contest *c,
                      const cJSON *chart, struct kpu_row *row, const char *file, const char *text,
                      size_t len, char *err, size_t err_size)
{
    bool seen[CONTEST_MAX_CANDIDATES] = {false};
    for (const cJSON *it = chart->child; it; it = it->next) {
        if (cJSON_IsNull(it))
            continue; /* Sirekap's "null": null */
        long line = line_of_key(text, len, it->string);
        int number = chart_number(ref, c, it->string);
        int pos = number > 0 ? candidate_pos(c, number) : -1;
        if (pos < 0)
            return problem(err, err_size, file, line,
                           "chart: %s is no candidate of %s (add Sirekap's candidate list)",
                           it->string, c->id);
        if (seen[pos])
            return problem(err, err_size, file, line, "chart: nomor urut %d twice", number);
        if (!json_count(it, KPU_VOTES_MAX, false, &row->votes[pos]))
            return problem(err, err_size, file, line, "chart: %s must be a whole number of votes",
                           it->string);
        seen[pos] = true;
    }
    for (int i = 0; i < c->n_candidates; i++) {
        if (!seen[i])
            return problem(err, err_size, file, line_of_key(text, len, "chart"),
                           "chart: no votes for nomor urut %d", c->numbers[i]);
    }
    return 0;
}

static int read_administrasi(const cJSON *adm, struct kpu_row *row, const char *file,
                             const char *text, size_t len, char *err, size_t err_size)
{
    static const char *const keys[] = {"suara_sah", "suara_tidak_sah", "suara_total",
                                       "pengguna_dpt_j"};
    int64_t *dst[] = {&row->valid, &row->invalid, &row->total, &row->dpt_voters};
    if (!adm || cJSON_IsNull(adm))
        return 0;
    if (!cJSON_IsObject(adm))
        return problem(err, err_size, file, line_of_key(text, len, "administrasi"),
                       "administrasi must be an object or null");
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(adm, keys[k]);
        if (!json_count(v, KPU_VOTES_MAX, true, dst[k]))
            return problem(err, err_size, file, line_of_key(text, len, keys[k]),
                           "administrasi.%s must be a whole number or null", keys[k]);
    }
    return 0;
}

static int read_ts(const cJSON *ts, struct kpu_row *row, const char *file, const char *text,
                   size_t len, char *err, size_t err_size)
{
    if (!ts || cJSON_IsNull(ts))
        return 0;
    int y, mo, d, h, mi, s;
    char extra;
    if (!cJSON_IsString(ts) || strlen(ts->valuestring) != 19 ||
        sscanf(ts->valuestring, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &extra) !=
            6 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
        return problem(err, err_size, file, line_of_key(text, len, "ts"),
                       "ts must read YYYY-MM-DD HH:MM:SS");
    memcpy(row->reported_at, ts->valuestring, 20);
    return 0;
}

int kpu_read_sirekap(const struct kpu_ref *ref, const char *file, const char *text, size_t len,
                     const char *contest, struct kpu_rows *out, char *err, size_t err_size)
{
    char tps[REGION_CODE_MAX + 1];
    if (!tps_of_path(file, tps))
        return problem(err, err_size, file, 1,
                       "the file name must be the TPS code (13 digits or dotted) and .json");
    if (!strmap_get(&ref->regions, tps))
        return problem(err, err_size, file, 1, "no TPS %s in the database", tps);
    cJSON *root = parse(file, text, len, err, err_size);
    if (!root)
        return -1;
    int rc = -1;
    const cJSON *chart = cJSON_GetObjectItemCaseSensitive(root, "chart");
    const struct kpu_ref_contest *c = contest_for(ref, file, contest, tps, 1, err, err_size);
    struct kpu_row *row;
    if (!c)
        goto done;
    if (!chart || cJSON_IsNull(chart)) {
        rc = 0; /* nothing published for this TPS yet */
        goto done;
    }
    if (!cJSON_IsObject(chart)) {
        problem(err, err_size, file, line_of_key(text, len, "chart"),
                "chart must be an object or null");
        goto done;
    }
    if (!(row = new_row(out))) {
        problem(err, err_size, file, 1, "out of memory");
        goto done;
    }
    snprintf(row->contest, sizeof row->contest, "%s", c->id);
    snprintf(row->region, sizeof row->region, "%s", tps);
    row->n_votes = c->n_candidates;
    row->file = file;
    row->line = 1;
    if (read_chart(ref, c, chart, row, file, text, len, err, err_size) != 0 ||
        read_administrasi(cJSON_GetObjectItemCaseSensitive(root, "administrasi"), row, file, text,
                          len, err, err_size) != 0 ||
        read_ts(cJSON_GetObjectItemCaseSensitive(root, "ts"), row, file, text, len, err,
                err_size) != 0) {
        out->n--;
        goto done;
    }
    rc = 1;
done:
    cJSON_Delete(root);
    return rc;
}

/* ---- the recap CSV -------------------------------------------------------- */

struct recap_columns {
    int region, number, votes;
};

static int header(const struct csv *csv, struct recap_columns *col)
{
    *col = (struct recap_columns){-1, -1, -1};
    for (int i = 0; i < csv->nfields; i++) {
        const char *f = csv_field(csv, i);
        if (strcmp(f, "region_code") == 0)
            col->region = i;
        else if (strcmp(f, "nomor_urut") == 0)
            col->number = i;
        else if (strcmp(f, "votes") == 0)
            col->votes = i;
    }
    return col->region < 0 || col->number < 0 || col->votes < 0 ? -1 : 0;
}

static struct kpu_row *recap_row(struct kpu_rows *out, int first, const char *contest,
                                 const char *region)
{
    for (int i = first; i < out->n; i++) {
        if (strcmp(out->rows[i].region, region) == 0 && strcmp(out->rows[i].contest, contest) == 0)
            return &out->rows[i];
    }
    return NULL;
}

static int recap_record(const struct kpu_ref *ref, const char *file, const struct csv *csv,
                        const struct recap_columns *col, const char *contest, int first,
                        struct kpu_rows *out, char *err, size_t err_size)
{
    long line = csv->record_line;
    const char *region = csv_field(csv, col->region);
    intptr_t level = (intptr_t)strmap_get(&ref->regions, region);
    if (level != LEVEL_PROVINCE && level != LEVEL_KABUPATEN)
        return problem(err, err_size, file, line,
                       "region_code %s is no province or "
                       "kabupaten/kota in the database",
                       region);
    const struct kpu_ref_contest *c = contest_for(ref, file, contest, region, line, err, err_size);
    if (!c)
        return -1;
    char *end;
    const char *number_text = csv_field(csv, col->number), *votes_text = csv_field(csv, col->votes);
    long number = strtol(number_text, &end, 10);
    int pos = *number_text && !*end ? candidate_pos(c, (int)number) : -1;
    if (pos < 0)
        return problem(err, err_size, file, line, "nomor_urut '%s' is no candidate of %s",
                       number_text, c->id);
    long long votes = strtoll(votes_text, &end, 10);
    if (!*votes_text || *end || votes < 0 || votes > KPU_VOTES_MAX)
        return problem(err, err_size, file, line, "votes '%s' must be a whole number", votes_text);
    struct kpu_row *row = recap_row(out, first, c->id, region);
    if (!row) {
        if (!(row = new_row(out)))
            return problem(err, err_size, file, line, "out of memory");
        snprintf(row->contest, sizeof row->contest, "%s", c->id);
        snprintf(row->region, sizeof row->region, "%s", region);
        row->recap = true;
        row->n_votes = c->n_candidates;
        row->file = file;
        row->line = line;
        for (int i = 0; i < c->n_candidates; i++)
            row->votes[i] = -1;
    }
    if (row->votes[pos] >= 0)
        return problem(err, err_size, file, line, "%s nomor urut %ld twice", region, number);
    row->votes[pos] = votes;
    return 0;
}

static int recap_complete(const struct kpu_ref *ref, const struct kpu_rows *out, int first,
                          char *err, size_t err_size)
{
    for (int i = first; i < out->n; i++) {
        const struct kpu_row *row = &out->rows[i];
        const struct kpu_ref_contest *c = find_contest(ref, row->contest);
        for (int k = 0; k < row->n_votes; k++) {
            if (row->votes[k] < 0)
                return problem(err, err_size, row->file, row->line,
                               "%s has no row for nomor "
                               "urut %d",
                               row->region, c->numbers[k]);
        }
    }
    return 0;
}

int kpu_read_recap(const struct kpu_ref *ref, const char *file, const char *text, size_t len,
                   const char *contest, struct kpu_rows *out, char *err, size_t err_size)
{
    struct csv csv;
    csv_init_mem(&csv, text, len);
    struct recap_columns col;
    int first = out->n, rc = csv_next(&csv);
    if (rc != SU_OK || header(&csv, &col) != 0) {
        rc = problem(err, err_size, file, 1,
                     "the header must name region_code, nomor_urut and "
                     "votes");
        goto done;
    }
    while ((rc = csv_next(&csv)) == SU_OK) {
        if (csv.nfields <= col.region || csv.nfields <= col.number || csv.nfields <= col.votes) {
            rc = problem(err, err_size, file, csv.record_line, "too few fields");
            goto done;
        }
        if ((rc = recap_record(ref, file, &csv, &col, contest, first, out, err, err_size)) != 0)
            goto done;
    }
    if (rc != SU_NOTFOUND) {
        rc = problem(err, err_size, file, csv.record_line, "%s", csv.err);
        goto done;
    }
    rc = recap_complete(ref, out, first, err, err_size) ? -1 : out->n - first;
done:
    csv_free(&csv);
    if (rc < 0)
        out->n = first;
    return rc;
}

static int by_key(const void *x, const void *y)
{
    const struct kpu_row *a = *(const struct kpu_row *const *)x;
    const struct kpu_row *b = *(const struct kpu_row *const *)y;
    int c = strcmp(a->contest, b->contest);
    c = c ? c : strcmp(a->region, b->region);
    return c ? c : (a > b) - (a < b); /* rows keep their input order */
}

int kpu_rows_check_unique(const struct kpu_rows *rows, char *err, size_t err_size)
{
    const struct kpu_row **sorted = xmalloc((size_t)(rows->n ? rows->n : 1) * sizeof *sorted);
    if (!sorted)
        return problem(err, err_size, "import", 0, "out of memory");
    for (int i = 0; i < rows->n; i++)
        sorted[i] = &rows->rows[i];
    qsort(sorted, (size_t)rows->n, sizeof *sorted, by_key);
    int rc = 0;
    for (int i = 1; i < rows->n && rc == 0; i++) {
        const struct kpu_row *a = sorted[i - 1], *b = sorted[i];
        if (strcmp(a->region, b->region) == 0 && strcmp(a->contest, b->contest) == 0)
            rc = problem(err, err_size, b->file, b->line, "%s %s again (first in %s:%ld)",
                         b->contest, b->region, a->file, a->line);
    }
    free(sorted);
    return rc;
}
