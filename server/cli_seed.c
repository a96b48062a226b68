/* `suara seed`: loads the election's static facts (regions, TPS, contests and
 * candidate pairs) from a seed folder into the database.
 *
 * The folder holds six files sharing one prefix (e.g. "kalteng_"):
 *   PREFIXprovinsi.csv   code,name
 *   PREFIXkabupaten.csv  code,name                       [province_code]
 *   PREFIXkecamatan.csv  code,kabupaten_code,name
 *   PREFIXdesa.csv       code,kecamatan_code,name[,kind]
 *   PREFIXtps.csv        code,desa_code,number,dpt
 *   PREFIXcontests.json  {"contests": [{"id", "kind", "region", "title",
 *                          "candidates": [{"number", "head", "deputy", "verified"}]}]}
 * Columns are found by their header name, so order does not matter and extra
 * columns are ignored; a parent column, where present, must agree with the
 * code (whose prefix is the parent).
 *
 * Everything is read and checked first; every bad row is reported as
 * FILE:LINE: message (JSON problems as FILE: path: message), and if there is
 * any, nothing is written. Then one transaction copies the rows into
 * temporary tables and upserts them, so a second run changes nothing and a
 * failed run leaves nothing half-loaded. Rows are never deleted, except the
 * candidates a contest no longer lists, and only while it has no forms. */
#include "cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strmap.h"
#include "db/sync.h"
#include "domain/csv.h"
#include "domain/region_code.h"
#include "domain/registry.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara seed"
#define HINT "(see `suara seed --help`)\n"
#define REPORT_MAX 100     /* problems printed before the rest are only counted */
#define NAME_MAX_BYTES 200 /* region names, titles, candidate names */
#define DPT_MAX 9999       /* the schema's bound, unless the JSON sets a lower one */
#define JSON_SIZE_MAX (16 * 1024 * 1024)
#define SEED_LOCK_KEY "495874470498"

static const char usage[] =
    "Usage: suara seed [--db CONNINFO] [--check] DIR\n"
    "\n"
    "Loads regions, TPS, contests and candidate pairs from the seed folder DIR,\n"
    "e.g. schema/seed/kalteng-2024. DIR holds six files with one common prefix:\n"
    "  PREFIXprovinsi.csv   code,name\n"
    "  PREFIXkabupaten.csv  code,name\n"
    "  PREFIXkecamatan.csv  code,kabupaten_code,name\n"
    "  PREFIXdesa.csv       code,kecamatan_code,name[,kind]\n"
    "  PREFIXtps.csv        code,desa_code,number,dpt\n"
    "  PREFIXcontests.json  contests with their candidate pairs\n"
    "Every row is checked before anything is written; problems are reported as\n"
    "FILE:LINE: message and then nothing is written. The load is one transaction\n"
    "that inserts or updates rows, so running it again is harmless.\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --check         only check the files; do not touch a database\n"
    "  --help          show this help\n"
    "\n"
    "Exit status: 0 loaded (or valid), 1 bad data or failure, 2 usage error.\n";

/* Example codes per level, for messages. */
static const char *const example_code[] = {
    NULL, "62", "62.01", "62.01.01", "62.01.01.2001", "62.01.01.2001.001"};
/* The column naming a row's parent, by level; optional in every file. */
static const char *const parent_column[] = {
    NULL, NULL, "province_code", "kabupaten_code", "kecamatan_code", "desa_code"};
static const char *const file_suffix[] = {
    NULL, "provinsi.csv", "kabupaten.csv", "kecamatan.csv", "desa.csv", "tps.csv"};

struct seed {
    const char *dir;
    char prefix[256];
    struct strmap codes; /* region or TPS code -> (intptr_t) line of its row */
    char **owned;        /* the map's keys, to free */
    size_t n_owned, cap_owned;
    int dpt_max;
    int count[LEVEL_TPS + 1];
    int n_contests, n_candidates;
    int problems;
    int level_problems[LEVEL_TPS + 1]; /* per file, to tell orphans of rejected rows */
    int orphans;                       /* rows of this file whose parent was rejected */
    int orphans_total;
    /* COPY input, one CSV buffer per temporary table */
    struct buf regions, tps, contests, candidates;
};

static void problem(struct seed *s, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reports one bad row (line > 0) or file (line 0). */
static void problem(struct seed *s, const char *file, long line, const char *fmt, ...)
{
    if (++s->problems > REPORT_MAX)
        return;
    if (line > 0)
        fprintf(stderr, "%s:%ld: ", file, line);
    else
        fprintf(stderr, "%s: ", file);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void seed_init(struct seed *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->dir = dir;
    s->dpt_max = DPT_MAX;
    strmap_init(&s->codes);
    buf_init(&s->regions, 64 << 20);
    buf_init(&s->tps, 64 << 20);
    buf_init(&s->contests, 16 << 20);
    buf_init(&s->candidates, 16 << 20);
}

static void seed_free(struct seed *s)
{
    strmap_free(&s->codes);
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    buf_free(&s->regions);
    buf_free(&s->tps);
    buf_free(&s->contests);
    buf_free(&s->candidates);
}

/* Remembers a code and the line that defined it. SU_OK or SU_NOMEM. */
static int remember(struct seed *s, const char *code, long line)
{
    if (s->n_owned == s->cap_owned) {
        size_t cap = s->cap_owned ? 2 * s->cap_owned : 1024;
        char **p = realloc(s->owned, cap * sizeof *p);
        if (!p)
            return SU_NOMEM;
        s->owned = p;
        s->cap_owned = cap;
    }
    char *key = strdup(code);
    if (!key)
        return SU_NOMEM;
    s->owned[s->n_owned++] = key;
    return strmap_put(&s->codes, key, (void *)(intptr_t)line);
}

static long defined_on(const struct seed *s, const char *code, size_t len)
{
    return (long)(intptr_t)strmap_getn(&s->codes, code, len);
}

/* Well-formed UTF-8 without control characters, 1..NAME_MAX_BYTES bytes.
 * Returns NULL or what is wrong. */
static const char *bad_text(const char *text, bool may_be_empty)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    if (len == 0)
        return may_be_empty ? NULL : "is empty";
    if (len > NAME_MAX_BYTES)
        return "is longer than 200 bytes";
    if (text[0] == ' ' || text[len - 1] == ' ')
        return "has leading or trailing spaces";
    while (*p) {
        int extra = *p < 0x80             ? 0
                    : (*p & 0xE0) == 0xC0 ? 1
                    : (*p & 0xF0) == 0xE0 ? 2
                    : (*p & 0xF8) == 0xF0 ? 3
                                          : -1;
        if (extra < 0 || (extra == 1 && *p < 0xC2))
            return "is not valid UTF-8";
        if (extra == 0 && (*p < 0x20 || *p == 0x7F))
            return "contains a control character";
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return "is not valid UTF-8";
        }
        p += 1 + extra;
    }
    return NULL;
}

/* A decimal integer of 1..4 digits in [lo, hi]; -1 otherwise. */
static int parse_count(const char *text, int lo, int hi)
{
    size_t len = strlen(text);
    if (len == 0 || len > 4 || strspn(text, "0123456789") != len)
        return -1;
    int v = atoi(text);
    return v >= lo && v <= hi ? v : -1;
}

static int column(const struct csv *c, const char *name)
{
    for (int i = 0; i < c->nfields; i++) {
        if (strcmp(csv_field(c, i), name) == 0)
            return i;
    }
    return -1;
}

/* Checks one row's code and parent; returns false (after reporting) if bad. */
static bool check_code(struct seed *s, const char *path, long line, enum region_level level,
                       const char *code, const char *parent_given)
{
    size_t len = strlen(code);
    if (region_code_level(code, len) != level) {
        problem(s, path, line, "'%s' is not a %s code (like %s)", code, region_level_name(level),
                example_code[level]);
        return false;
    }
    long first = defined_on(s, code, len);
    if (first) {
        problem(s, path, line, "duplicate code %s (first on line %ld)", code, first);
        return false;
    }
    size_t plen = region_code_parent_len(code, len);
    if (parent_given && (strlen(parent_given) != plen || memcmp(parent_given, code, plen) != 0)) {
        problem(s, path, line, "%s is '%s' but the code %s lies in %.*s", parent_column[level],
                parent_given, code, (int)plen, code);
        return false;
    }
    if (plen > 0 && !defined_on(s, code, plen) && s->level_problems[level - 1] > 0) {
        s->orphans++; /* one summary line instead of a cascade (see load_level) */
        return false;
    }
    if (plen > 0 && !defined_on(s, code, plen)) {
        problem(s, path, line, "%s %.*s of %s is not in %s%s",
                region_level_name((enum region_level)(level - 1)), (int)plen, code, code, s->prefix,
                file_suffix[level - 1]);
        return false;
    }
    return true;
}

/* Appends one CSV record of n fields (NULL = SQL NULL) to a COPY buffer. */
static int emit(struct buf *out, int n, const char *const *fields)
{
    int rc = SU_OK;
    for (int i = 0; i < n && rc == SU_OK; i++)
        rc = sync_csv_field(out, fields[i], i == 0);
    if (rc == SU_OK)
        rc = buf_append(out, "\n", 1);
    return rc;
}

/* Checks one data row of a region or TPS file and queues it for COPY. */
static int load_row(struct seed *s, const char *path, const struct csv *c, enum region_level level,
                    const int *col)
{
    long line = c->record_line;
    const char *code = csv_field(c, col[0]);
    const char *parent = col[1] >= 0 ? csv_field(c, col[1]) : NULL;
    if (!check_code(s, path, line, level, code, parent))
        return SU_OK;
    size_t plen = region_code_parent_len(code, strlen(code));
    char parent_code[REGION_CODE_MAX + 1];
    snprintf(parent_code, sizeof parent_code, "%.*s", (int)plen, code);

    int rc;
    if (level == LEVEL_TPS) {
        const char *number_text = csv_field(c, col[2]), *dpt_text = csv_field(c, col[3]);
        int number = parse_count(number_text, 1, 999);
        int dpt = parse_count(dpt_text, 0, s->dpt_max);
        if (number < 0 || number != atoi(code + plen + 1)) {
            problem(s, path, line, "number '%s' does not match the TPS code %s", number_text, code);
            return SU_OK;
        }
        if (dpt < 0) {
            problem(s, path, line, "dpt '%s' is not a whole number from 0 to %d", dpt_text,
                    s->dpt_max);
            return SU_OK;
        }
        char number_buf[16], dpt_buf[16];
        snprintf(number_buf, sizeof number_buf, "%d", number);
        snprintf(dpt_buf, sizeof dpt_buf, "%d", dpt);
        const char *fields[] = {code, parent_code, number_buf, dpt_buf};
        rc = emit(&s->tps, 4, fields);
    } else {
        const char *name = csv_field(c, col[2]);
        const char *why = bad_text(name, false);
        if (why) {
            problem(s, path, line, "name %s", why);
            return SU_OK;
        }
        if (col[3] >= 0 && strcmp(csv_field(c, col[3]), "desa") != 0 &&
            strcmp(csv_field(c, col[3]), "kelurahan") != 0) {
            problem(s, path, line, "kind '%s' is neither desa nor kelurahan", csv_field(c, col[3]));
            return SU_OK;
        }
        const char *fields[] = {code, plen ? parent_code : NULL, region_level_name(level), name};
        rc = emit(&s->regions, 4, fields);
    }
    if (rc == SU_OK)
        rc = remember(s, code, line);
    if (rc == SU_OK)
        s->count[level]++;
    return rc;
}

/* Reads one region or TPS file. Bad rows are reported and counted in
 * s->problems; returns SU_OK, or SU_NOMEM/SU_TOOBIG when memory runs out. */
static int load_level(struct seed *s, enum region_level level)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", s->dir, s->prefix, file_suffix[level]);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        problem(s, path, 0, "cannot open: %s", strerror(errno));
        return SU_OK;
    }
    struct csv c;
    csv_init_file(&c, fp);
    int fatal = SU_OK, rows = 0, before = s->problems;
    int rc = csv_next(&c);
    if (rc != SU_OK) {
        problem(s, path, 1, "%s", rc == SU_NOTFOUND ? "empty file, expected a header line" : c.err);
        goto done;
    }
    /* col: code, parent, then name and kind, or number and dpt for TPS */
    const char *names[4] = {"code", parent_column[level], "name",
                            level == LEVEL_DESA ? "kind" : NULL};
    if (level == LEVEL_TPS) {
        names[2] = "number";
        names[3] = "dpt";
    }
    int col[4], width = c.nfields;
    for (int i = 0; i < 4; i++) {
        col[i] = names[i] ? column(&c, names[i]) : -1;
        bool required = i == 0 || i == 2 || (level == LEVEL_TPS && i == 3);
        if (col[i] < 0 && required) {
            problem(s, path, 1, "no column '%s' in the header", names[i]);
            goto done;
        }
    }
    while (fatal == SU_OK) {
        rc = csv_next(&c);
        if (rc == SU_NOTFOUND)
            break;
        if (rc != SU_OK) {
            problem(s, path, c.record_line, "%s", rc == SU_ERR ? strerror(errno) : c.err);
            break;
        }
        rows++;
        if (c.nfields != width)
            problem(s, path, c.record_line, "%d fields, but the header has %d", c.nfields, width);
        else
            fatal = load_row(s, path, &c, level, col);
    }
    if (rc == SU_NOTFOUND && rows == 0)
        problem(s, path, 0, "no rows below the header");
    if (s->orphans > 0) {
        fprintf(stderr, "%s: %d more row%s not checked: %s %s was rejected above\n", path,
                s->orphans, s->orphans == 1 ? "" : "s", s->orphans == 1 ? "its" : "their",
                region_level_name((enum region_level)(level - 1)));
        s->orphans_total += s->orphans;
        s->orphans = 0;
    }

done:
    s->level_problems[level] = s->problems - before;
    csv_free(&c);
    fclose(fp);
    return fatal;
}

/* Finds the one PREFIXprovinsi.csv in the folder. SU_OK or SU_ERR (reported). */
static int find_prefix(struct seed *s)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        fprintf(stderr, WHO ": cannot open the seed folder %s: %s\n", s->dir, strerror(errno));
        return SU_ERR;
    }
    int found = 0;
    const char *suffix = file_suffix[LEVEL_PROVINCE];
    size_t slen = strlen(suffix);
    for (;;) {
        struct dirent *e = readdir(d);
        if (!e)
            break;
        size_t len = strlen(e->d_name);
        if (len < slen || strcmp(e->d_name + len - slen, suffix) != 0 ||
            len - slen >= sizeof s->prefix)
            continue;
        if (found++)
            fprintf(stderr,
                    WHO ": %s has more than one *%s (%s%s and %s); keep one seed per folder\n",
                    s->dir, suffix, s->prefix, suffix, e->d_name);
        snprintf(s->prefix, sizeof s->prefix, "%.*s", (int)(len - slen), e->d_name);
    }
    closedir(d);
    if (found == 0)
        fprintf(stderr, WHO ": %s has no *%s: is it a seed folder?\n", s->dir, suffix);
    return found == 1 ? SU_OK : SU_ERR;
}

/* --- contests.json ---------------------------------------------------- */

static const char *json_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* An integer-valued JSON number in [lo, hi], or -1. */
static int json_int(const cJSON *item, int lo, int hi)
{
    if (!cJSON_IsNumber(item) || item->valuedouble < lo || item->valuedouble > hi)
        return -1;
    int v = (int)item->valuedouble;
    return (double)v == item->valuedouble ? v : -1;
}

/* Reads and parses the JSON file; NULL after reporting. */
static cJSON *read_json(struct seed *s, const char *path)
{
    struct buf text;
    buf_init(&text, JSON_SIZE_MAX);
    cJSON *root = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        problem(s, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char chunk[8192];
    size_t n;
    do {
        n = fread(chunk, 1, sizeof chunk, fp);
        if (buf_append(&text, chunk, n) != SU_OK) {
            problem(s, path, 0, "larger than %d bytes", JSON_SIZE_MAX);
            goto done;
        }
    } while (n == sizeof chunk);
    if (ferror(fp)) {
        problem(s, path, 0, "read error: %s", strerror(errno));
        goto done;
    }
    const char *end = NULL;
    /* the length counts the NUL, which require_null_terminated looks for */
    root = cJSON_ParseWithLengthOpts(text.data ? text.data : "", text.len + 1, &end, true);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long line = 1;
        for (const char *p = text.data; p && at && p < at && p < text.data + text.len; p++)
            line += *p == '\n';
        problem(s, path, line, "not valid JSON");
    }

done:
    fclose(fp);
    buf_free(&text);
    return root;
}

/* Checks one candidate pair and queues it. */
static int load_candidate(struct seed *s, const char *path, const char *where, const char *id,
                          const cJSON *cand, int index, bool *seen)
{
    int number = json_int(cJSON_GetObjectItemCaseSensitive(cand, "number"), 1, 99);
    const char *head = json_string(cand, "head"), *deputy = json_string(cand, "deputy");
    const cJSON *verified = cJSON_GetObjectItemCaseSensitive(cand, "verified");
    if (number < 0) {
        problem(s, path, 0, "%s.candidates[%d]: \"number\" must be a whole number from 1 to 99",
                where, index);
        return SU_OK;
    }
    if (seen[number]) {
        problem(s, path, 0, "%s.candidates[%d]: number %d appears twice", where, index, number);
        return SU_OK;
    }
    seen[number] = true;
    const char *why = head ? bad_text(head, false) : "is missing or not a string";
    if (why) {
        problem(s, path, 0, "%s.candidates[%d]: \"head\" %s", where, index, why);
        return SU_OK;
    }
    why = deputy ? bad_text(deputy, true) : "is missing or not a string";
    if (why) {
        problem(s, path, 0, "%s.candidates[%d]: \"deputy\" %s", where, index, why);
        return SU_OK;
    }
    if (verified && !cJSON_IsBool(verified)) {
        problem(s, path, 0, "%s.candidates[%d]: \"verified\" must be true or false", where, index);
        return SU_OK;
    }
    char number_buf[16];
    snprintf(number_buf, sizeof number_buf, "%d", number);
    const char *fields[] = {id, number_buf, head, deputy,
                            !verified || cJSON_IsTrue(verified) ? "true" : "false"};
    s->n_candidates++;
    return emit(&s->candidates, 5, fields);
}

/* Checks one contest; on success queues it and its candidates. */
static int load_contest(struct seed *s, const char *path, const cJSON *contest, int index,
                        struct strmap *ids)
{
    char where[64];
    snprintf(where, sizeof where, "contests[%d]", index);
    const char *id = json_string(contest, "id"), *kind = json_string(contest, "kind");
    const char *region = json_string(contest, "region"), *title = json_string(contest, "title");
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(contest, "candidates");
    if (!cJSON_IsObject(contest) || !id || !kind || !region || !title) {
        problem(s, path, 0, "%s: needs the strings \"id\", \"kind\", \"region\" and \"title\"",
                where);
        return SU_OK;
    }
    snprintf(where, sizeof where, "contests[%d] (%.20s)", index, id);
    size_t rlen = strlen(region);
    enum region_level level = region_code_level(region, rlen);
    bool governor = strncmp(id, "gub-", 4) == 0;
    bool local = strncmp(id, "bup-", 4) == 0 || strncmp(id, "wal-", 4) == 0;
    const char *why = bad_text(kind, false);
    if (!why)
        why = bad_text(title, false);
    bool known = defined_on(s, region, rlen) != 0;
    if (!known && level != LEVEL_NONE && level != LEVEL_TPS && s->level_problems[level] > 0) {
        s->orphans++; /* its region was rejected: see load_contests */
    } else if (level == LEVEL_NONE || level == LEVEL_TPS || !known) {
        problem(s, path, 0, "%s: region '%s' is not a region of this seed", where, region);
    } else if ((!governor && !local) || strcmp(id + 4, region) != 0 ||
               strlen(id) > CONTEST_ID_MAX) {
        problem(s, path, 0, "%s: the id must be gub-, bup- or wal- followed by the region (%s)",
                where, region);
    } else if ((governor && level != LEVEL_PROVINCE) || (local && level != LEVEL_KABUPATEN)) {
        problem(s, path, 0, "%s: a %s contest belongs to a %s, not a %s", where,
                governor ? "gub-" : "bup-/wal-", governor ? "province" : "kabupaten/kota",
                region_level_name(level));
    } else if (strmap_get(ids, id)) {
        problem(s, path, 0, "%s: the id appears twice", where);
    } else if (why) {
        problem(s, path, 0, "%s: \"kind\" or \"title\" %s", where, why);
    } else if (!cJSON_IsArray(cands) || cJSON_GetArraySize(cands) == 0 ||
               cJSON_GetArraySize(cands) > CONTEST_MAX_CANDIDATES) {
        problem(s, path, 0, "%s: \"candidates\" must be a list of 1 to %d pairs", where,
                CONTEST_MAX_CANDIDATES);
    } else {
        int rc = strmap_put(ids, id, (void *)1);
        bool seen[100] = {false};
        int i = 0;
        const cJSON *cand;
        cJSON_ArrayForEach(cand, cands)
        {
            if (rc == SU_OK)
                rc = load_candidate(s, path, where, id, cand, i++, seen);
        }
        const char *fields[] = {id, kind, region, title};
        if (rc == SU_OK)
            rc = emit(&s->contests, 4, fields);
        s->n_contests++;
        return rc;
    }
    return SU_OK;
}

/* Parses the JSON first only for max_dpt_per_tps; the contests are checked
 * after the regions (load_contests), since they refer to them. */
static cJSON *open_contests(struct seed *s, char *path, size_t size)
{
    snprintf(path, size, "%s/%scontests.json", s->dir, s->prefix);
    cJSON *root = read_json(s, path);
    if (!root)
        return NULL;
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(root, "max_dpt_per_tps");
    if (max) {
        int v = json_int(max, 1, DPT_MAX);
        if (v < 0)
            problem(s, path, 0, "max_dpt_per_tps must be a whole number from 1 to %d", DPT_MAX);
        else
            s->dpt_max = v;
    }
    return root;
}

static int load_contests(struct seed *s, const char *path, const cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "contests");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
        problem(s, path, 0, "needs a non-empty list \"contests\"");
        return SU_OK;
    }
    struct strmap ids;
    strmap_init(&ids);
    int rc = SU_OK, i = 0;
    const cJSON *contest;
    cJSON_ArrayForEach(contest, list)
    {
        if (rc == SU_OK)
            rc = load_contest(s, path, contest, i++, &ids);
    }
    strmap_free(&ids);
    if (s->orphans > 0) {
        fprintf(stderr, "%s: %d more contest%s not checked: %s region was rejected above\n", path,
                s->orphans, s->orphans == 1 ? "" : "s", s->orphans == 1 ? "its" : "their");
        s->orphans_total += s->orphans;
        s->orphans = 0;
    }
    return rc;
}

/* Reads and checks the whole folder. SU_OK when the data is good. */
static int read_seed(struct seed *s)
{
    if (find_prefix(s) != SU_OK)
        return SU_ERR;
    char json_path[4096];
    cJSON *root = open_contests(s, json_path, sizeof json_path);
    int rc = SU_OK;
    for (int level = LEVEL_PROVINCE; level <= LEVEL_TPS && rc == SU_OK; level++)
        rc = load_level(s, (enum region_level)level);
    if (rc == SU_OK && root)
        rc = load_contests(s, json_path, root);
    cJSON_Delete(root);
    if (rc != SU_OK) {
        fprintf(stderr, WHO ": %s\n", su_strerror(rc));
        return SU_ERR;
    }
    if (s->problems || s->orphans_total) {
        if (s->problems > REPORT_MAX)
            fprintf(stderr, "... and %d more\n", s->problems - REPORT_MAX);
        fprintf(stderr, WHO ": %d problem%s in %s", s->problems, s->problems == 1 ? "" : "s",
                s->dir);
        if (s->orphans_total)
            fprintf(stderr, " (and %d rows not checked)", s->orphans_total);
        fprintf(stderr, "; nothing was written\n");
        return SU_ERR;
    }
    return SU_OK;
}

/* --- writing ------------------------------------------------------------ */

static const char *const setup_sql[] = {
    "CREATE TEMP TABLE seed_regions (code text, parent text, level text, name text)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_tps (code text, desa text, number integer, dpt integer)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_contests (id text, kind text, region text, title text)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_candidates (contest text, number integer, head text, deputy text,"
    " verified boolean) ON COMMIT DROP",
};

/* Upserts that leave unchanged rows alone (no dead tuples on a re-run). */
static const char *const upsert_sql[] = {
    "INSERT INTO regions (code, parent, level, name)"
    " SELECT code, parent, level, name FROM seed_regions ORDER BY code"
    " ON CONFLICT (code) DO UPDATE SET parent = EXCLUDED.parent, level = EXCLUDED.level,"
    " name = EXCLUDED.name"
    " WHERE (regions.parent, regions.level, regions.name)"
    " IS DISTINCT FROM (EXCLUDED.parent, EXCLUDED.level, EXCLUDED.name)",
    "INSERT INTO tps (code, desa, number, dpt)"
    " SELECT code, desa, number, dpt FROM seed_tps ORDER BY code"
    " ON CONFLICT (code) DO UPDATE SET desa = EXCLUDED.desa, number = EXCLUDED.number,"
    " dpt = EXCLUDED.dpt"
    " WHERE (tps.desa, tps.number, tps.dpt) IS DISTINCT FROM"
    " (EXCLUDED.desa, EXCLUDED.number, EXCLUDED.dpt)",
    "INSERT INTO contests (id, kind, region, title)"
    " SELECT id, kind, region, title FROM seed_contests ORDER BY id"
    " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, region = EXCLUDED.region,"
    " title = EXCLUDED.title"
    " WHERE (contests.kind, contests.region, contests.title)"
    " IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.region, EXCLUDED.title)",
    "DELETE FROM candidates k USING seed_contests c WHERE k.contest = c.id"
    " AND NOT EXISTS (SELECT 1 FROM seed_candidates s"
    " WHERE s.contest = k.contest AND s.number = k.number)",
    "INSERT INTO candidates (contest, number, head, deputy, verified)"
    " SELECT contest, number, head, deputy, verified FROM seed_candidates"
    " ORDER BY contest, number"
    " ON CONFLICT (contest, number) DO UPDATE SET head = EXCLUDED.head,"
    " deputy = EXCLUDED.deputy, verified = EXCLUDED.verified"
    " WHERE (candidates.head, candidates.deputy, candidates.verified)"
    " IS DISTINCT FROM (EXCLUDED.head, EXCLUDED.deputy, EXCLUDED.verified)",
};

/* Contests that already have forms must keep their region and candidate
 * numbers: stored votes are positional, and moving a contest would strand
 * its forms. Names may still be corrected. */
static const char frozen_sql[] =
    "SELECT c.id FROM seed_contests c JOIN contests old ON old.id = c.id"
    " WHERE EXISTS (SELECT 1 FROM forms f WHERE f.contest = c.id)"
    " AND (old.region <> c.region"
    " OR ARRAY(SELECT number FROM candidates WHERE contest = c.id ORDER BY number)"
    " IS DISTINCT FROM"
    " ARRAY(SELECT number FROM seed_candidates WHERE contest = c.id ORDER BY number))"
    " ORDER BY c.id";

static int write_seed(struct seed *s, const char *conninfo)
{
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    int rc = SU_ERR;
    if (sync_connect(&db, WHO, conninfo) != SU_OK)
        return SU_ERR;
    res = sync_query(&db, "SELECT to_regclass('candidates') IS NOT NULL", 0, NULL);
    if (!res)
        goto done;
    if (strcmp(sync_value(res, 0, 0), "t") != 0) {
        fprintf(stderr, WHO ": the database has no Suara schema yet: run `suara migrate` first\n");
        goto done;
    }
    sync_clear(res);
    res = NULL;

    const char *key[] = {SEED_LOCK_KEY};
    if (sync_begin(&db) != SU_OK ||
        sync_exec(&db, "SELECT pg_advisory_xact_lock($1)", 1, key) != SU_OK)
        goto done;
    for (size_t i = 0; i < sizeof setup_sql / sizeof setup_sql[0]; i++) {
        if (sync_exec(&db, setup_sql[i], 0, NULL) != SU_OK)
            goto done;
    }
    const struct {
        const char *sql;
        const struct buf *data;
    } copies[] = {
        {"COPY seed_regions FROM STDIN (FORMAT csv)", &s->regions},
        {"COPY seed_tps FROM STDIN (FORMAT csv)", &s->tps},
        {"COPY seed_contests FROM STDIN (FORMAT csv)", &s->contests},
        {"COPY seed_candidates FROM STDIN (FORMAT csv)", &s->candidates},
    };
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        if (sync_copy(&db, copies[i].sql, copies[i].data->data ? copies[i].data->data : "",
                      copies[i].data->len) != SU_OK)
            goto done;
    }
    res = sync_query(&db, frozen_sql, 0, NULL);
    if (!res)
        goto done;
    for (int r = 0; r < sync_rows(res); r++)
        fprintf(stderr,
                WHO ": contest %s already has forms: its region and candidate numbers "
                    "cannot change\n",
                sync_value(res, r, 0));
    if (sync_rows(res) > 0)
        goto done;
    for (size_t i = 0; i < sizeof upsert_sql / sizeof upsert_sql[0]; i++) {
        if (sync_exec(&db, upsert_sql[i], 0, NULL) != SU_OK)
            goto done;
    }
    rc = sync_commit(&db);

done:
    sync_clear(res);
    if (rc != SU_OK)
        fprintf(stderr, WHO ": nothing was written\n");
    sync_close(&db);
    return rc;
}

static void print_summary(const struct seed *s, const char *verb)
{
    printf("%s %d province%s, %d kabupaten/kota, %d kecamatan, %d desa, %d TPS, "
           "%d contest%s (%d candidate%s)\n",
           verb, s->count[LEVEL_PROVINCE], s->count[LEVEL_PROVINCE] == 1 ? "" : "s",
           s->count[LEVEL_KABUPATEN], s->count[LEVEL_KECAMATAN], s->count[LEVEL_DESA],
           s->count[LEVEL_TPS], s->n_contests, s->n_contests == 1 ? "" : "s", s->n_candidates,
           s->n_candidates == 1 ? "" : "s");
}

int cli_seed(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"check", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    bool check_only = false;
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":h", options, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            check_only = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            fprintf(stderr, WHO ": %s needs a value\n" HINT, argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, WHO ": unknown option %s\n" HINT, argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, WHO ": %s\n" HINT,
                optind == argc ? "no seed folder given" : "more than one seed folder given");
        return 2;
    }
    const char *conninfo = sync_conninfo(db);
    if (!conninfo && !check_only) {
        fprintf(stderr, WHO ": no database given: use --db CONNINFO or set SUARA_DB\n");
        return 2;
    }

    struct seed s;
    seed_init(&s, argv[optind]);
    int status = 1;
    if (read_seed(&s) != SU_OK)
        goto done;
    if (check_only) {
        print_summary(&s, "valid:");
    } else {
        if (write_seed(&s, conninfo) != SU_OK)
            goto done;
        print_summary(&s, "seeded");
    }
    status = 0;

done:
    seed_free(&s);
    return status;
}
