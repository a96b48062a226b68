/* See seed.h. The files are checked in the order the rules need them: the
 * JSON first, only for max_dpt_per_tps (the TPS rows are checked against it);
 * then the region levels from the province down, each row against the codes
 * accepted above it; then the contests, which refer to regions. Contest and
 * candidate rules live in seed_contests.c. */
#include "seed.h"
#include "core/err.h"
#include "csv.h"
#include "seed_internal.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Example codes per level, for messages. */
static const char *const example_code[] = {
    NULL, "62", "62.01", "62.01.01", "62.01.01.2001", "62.01.01.2001.001"};
/* The column naming a row's parent, by level; optional in every file. */
static const char *const parent_column[] = {
    NULL, NULL, "province_code", "kabupaten_code", "kecamatan_code", "desa_code"};
static const char *const file_suffix[] = {
    "contests.json", "provinsi.csv", "kabupaten.csv", "kecamatan.csv", "desa.csv", "tps.csv",
};

const char *seed_file_suffix(int index)
{
    return file_suffix[index];
}

void seed_init(struct seed *s, seed_report_fn *report, void *ctx)
{
    memset(s, 0, sizeof *s);
    s->report = report;
    s->report_ctx = ctx;
    s->dpt_max = SEED_DPT_MAX;
    strmap_init(&s->codes);
}

void seed_free(struct seed *s)
{
    strmap_free(&s->codes);
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->regions);
    free(s->tps);
    free(s->contests);
    free(s->candidates);
}

/* Formats a report and hands it to the caller's function. Messages quote
 * whole fields, which may be long: a short one is formatted on the stack,
 * a longer one on the heap, so none is cut (unless memory runs out). */
__attribute__((format(printf, 5, 0))) static void
vreport(struct seed *s, const char *file, long line, bool is_summary, const char *fmt, va_list ap)
{
    if (!s->report)
        return;
    char small[512], *text = small;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small) {
        char *big = xmalloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            text = big;
        }
    }
    va_end(again);
    struct seed_report r = {file, line, text, is_summary};
    s->report(s->report_ctx, &r);
    if (text != small)
        free(text);
}

void seed__problem(struct seed *s, const char *file, long line, const char *fmt, ...)
{
    s->problems++;
    va_list ap;
    va_start(ap, fmt);
    vreport(s, file, line, false, fmt, ap);
    va_end(ap);
}

static void summary(struct seed *s, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void summary(struct seed *s, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(s, file, 0, true, fmt, ap);
    va_end(ap);
}

void *seed__grow(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return items;
    size_t want = *cap ? 2 * *cap : 64;
    void *p = xrealloc(items, want * size);
    if (p)
        *cap = want;
    return p;
}

/* Remembers a code and the line that defined it. SU_OK or SU_NOMEM. */
static int remember(struct seed *s, const char *code, long line)
{
    char **owned = seed__grow(s->owned, &s->cap_owned, s->n_owned, sizeof *owned);
    if (!owned)
        return SU_NOMEM;
    s->owned = owned;
    char *key = xstrdup(code);
    if (!key)
        return SU_NOMEM;
    s->owned[s->n_owned++] = key;
    return strmap_put(&s->codes, key, (void *)(intptr_t)line);
}

long seed__defined_on(const struct seed *s, const char *code, size_t len)
{
    return (long)(intptr_t)strmap_getn(&s->codes, code, len);
}

const char *seed__bad_text(const char *text, bool may_be_empty)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    if (len == 0)
        return may_be_empty ? NULL : "is empty";
    if (len > SEED_TEXT_MAX)
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

/* The file name part of a path, for "is not in FILE". */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
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

/* Checks one row's code and parent against the parent file `up`; returns
 * false (after reporting) if bad. */
static bool check_code(struct seed *s, const char *path, long line, enum region_level level,
                       const char *code, const char *parent_given, const struct seed_file *up)
{
    size_t len = strlen(code);
    if (region_code_level(code, len) != level) {
        seed__problem(s, path, line, "'%s' is not a %s code (like %s)", code,
                      region_level_name(level), example_code[level]);
        return false;
    }
    long first = seed__defined_on(s, code, len);
    if (first) {
        seed__problem(s, path, line, "duplicate code %s (first on line %ld)", code, first);
        return false;
    }
    size_t plen = region_code_parent_len(code, len);
    if (parent_given && (strlen(parent_given) != plen || memcmp(parent_given, code, plen) != 0)) {
        seed__problem(s, path, line, "%s is '%s' but the code %s lies in %.*s",
                      parent_column[level], parent_given, code, (int)plen, code);
        return false;
    }
    if (plen > 0 && !seed__defined_on(s, code, plen) && s->level_problems[level - 1] > 0) {
        s->orphans++; /* one summary line instead of a cascade (see load_level) */
        return false;
    }
    if (plen > 0 && !seed__defined_on(s, code, plen)) {
        seed__problem(s, path, line, "%s %.*s of %s is not in %s",
                      region_level_name((enum region_level)(level - 1)), (int)plen, code, code,
                      base_name(up->path));
        return false;
    }
    return true;
}

/* Checks a TPS row's number and DPT and adds it to the model. SU_OK, SU_INVAL
 * (reported) or SU_NOMEM. */
static int add_tps(struct seed *s, const char *path, long line, const char *code, size_t plen,
                   const char *number_text, const char *dpt_text)
{
    int number = parse_count(number_text, 1, 999);
    int dpt = parse_count(dpt_text, 0, s->dpt_max);
    if (number < 0 || number != atoi(code + plen + 1)) {
        seed__problem(s, path, line, "number '%s' does not match the TPS code %s", number_text,
                      code);
        return SU_INVAL;
    }
    if (dpt < 0) {
        seed__problem(s, path, line, "dpt '%s' is not a whole number from 0 to %d", dpt_text,
                      s->dpt_max);
        return SU_INVAL;
    }
    struct seed_tps *all = seed__grow(s->tps, &s->cap_tps, s->n_tps, sizeof *all);
    if (!all)
        return SU_NOMEM;
    s->tps = all;
    struct seed_tps *t = &all[s->n_tps++];
    snprintf(t->code, sizeof t->code, "%s", code);
    snprintf(t->desa, sizeof t->desa, "%.*s", (int)plen, code);
    t->number = number;
    t->dpt = dpt;
    return SU_OK;
}

/* Checks a region row's name and kind and adds it to the model. SU_OK,
 * SU_INVAL (reported) or SU_NOMEM. */
static int add_region(struct seed *s, const char *path, long line, enum region_level level,
                      const char *code, size_t plen, const char *name, const char *kind)
{
    const char *why = seed__bad_text(name, false);
    if (why) {
        seed__problem(s, path, line, "name %s", why);
        return SU_INVAL;
    }
    if (kind && strcmp(kind, "desa") != 0 && strcmp(kind, "kelurahan") != 0) {
        seed__problem(s, path, line, "kind '%s' is neither desa nor kelurahan", kind);
        return SU_INVAL;
    }
    struct seed_region *all = seed__grow(s->regions, &s->cap_regions, s->n_regions, sizeof *all);
    if (!all)
        return SU_NOMEM;
    s->regions = all;
    struct seed_region *r = &all[s->n_regions++];
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->parent, sizeof r->parent, "%.*s", (int)plen, code);
    r->level = level;
    snprintf(r->name, sizeof r->name, "%s", name);
    return SU_OK;
}

/* Checks one data row of a region or TPS file and adds it to the model.
 * col: code, parent, then name and kind, or number and dpt for TPS (-1 when
 * absent). SU_OK, also for a bad row, or SU_NOMEM. */
static int load_row(struct seed *s, const char *path, const struct csv *c, enum region_level level,
                    const int *col, const struct seed_file *up)
{
    long line = c->record_line;
    const char *code = csv_field(c, col[0]);
    const char *parent = col[1] >= 0 ? csv_field(c, col[1]) : NULL;
    if (!check_code(s, path, line, level, code, parent, up))
        return SU_OK;
    size_t plen = region_code_parent_len(code, strlen(code));
    int rc;
    if (level == LEVEL_TPS)
        rc = add_tps(s, path, line, code, plen, csv_field(c, col[2]), csv_field(c, col[3]));
    else
        rc = add_region(s, path, line, level, code, plen, csv_field(c, col[2]),
                        col[3] >= 0 ? csv_field(c, col[3]) : NULL);
    if (rc == SU_INVAL)
        return SU_OK; /* reported: the next row */
    if (rc == SU_OK)
        rc = remember(s, code, line);
    if (rc == SU_OK)
        s->count[level]++;
    return rc;
}

/* Finds the columns of a level's file in its header row. Returns false
 * (after reporting) when a required one is missing. */
static bool find_columns(struct seed *s, const char *path, const struct csv *c,
                         enum region_level level, int *col)
{
    const char *names[4] = {"code", parent_column[level], "name",
                            level == LEVEL_DESA ? "kind" : NULL};
    if (level == LEVEL_TPS) {
        names[2] = "number";
        names[3] = "dpt";
    }
    for (int i = 0; i < 4; i++) {
        col[i] = names[i] ? column(c, names[i]) : -1;
        bool required = i == 0 || i == 2 || (level == LEVEL_TPS && i == 3);
        if (col[i] < 0 && required) {
            seed__problem(s, path, 1, "no column '%s' in the header", names[i]);
            return false;
        }
    }
    return true;
}

void seed__report_orphans(struct seed *s, const char *path, const char *what, const char *parent)
{
    if (s->orphans == 0)
        return;
    summary(s, path, "%d more %s%s not checked: %s %s was rejected above", s->orphans, what,
            s->orphans == 1 ? "" : "s", s->orphans == 1 ? "its" : "their", parent);
    s->unchecked += s->orphans;
    s->orphans = 0;
}

/* Reads one region or TPS file; `up` is the file of the level above. Bad
 * rows are reported and counted in s->problems; returns SU_OK, or SU_NOMEM. */
static int load_level(struct seed *s, enum region_level level, const struct seed_file *f,
                      const struct seed_file *up)
{
    if (f->error) {
        /* not counted in level_problems: the rows below then each report
         * their missing parent, as they always have */
        seed__problem(s, f->path, 0, "%s", f->error);
        return SU_OK;
    }
    struct csv c;
    csv_init_mem(&c, f->data, f->len);
    int fatal = SU_OK, rows = 0, before = s->problems, col[4];
    int rc = csv_next(&c);
    if (rc == SU_NOTFOUND && f->read_error) {
        seed__problem(s, f->path, 1, "read error"); /* what the CSV reader says */
        goto done;
    }
    if (rc != SU_OK) {
        seed__problem(s, f->path, 1, "%s",
                      rc == SU_NOTFOUND ? "empty file, expected a header line" : c.err);
        goto done;
    }
    if (!find_columns(s, f->path, &c, level, col))
        goto done;
    int width = c.nfields;
    while (fatal == SU_OK) {
        rc = csv_next(&c);
        if (rc != SU_OK)
            break;
        rows++;
        if (c.nfields != width)
            seed__problem(s, f->path, c.record_line, "%d fields, but the header has %d", c.nfields,
                          width);
        else
            fatal = load_row(s, f->path, &c, level, col, up);
    }
    if (rc != SU_OK && rc != SU_NOTFOUND)
        seed__problem(s, f->path, c.record_line, "%s", c.err);
    else if (rc == SU_NOTFOUND && f->read_error)
        seed__problem(s, f->path, c.line, "%s", f->read_error);
    else if (rc == SU_NOTFOUND && rows == 0)
        seed__problem(s, f->path, 0, "no rows below the header");
    seed__report_orphans(s, f->path, "row", region_level_name((enum region_level)(level - 1)));

done:
    s->level_problems[level] = s->problems - before;
    csv_free(&c);
    return fatal;
}

int seed_check(struct seed *s, const struct seed_file files[SEED_NFILES])
{
    cJSON *root = seed__open_contests(s, &files[SEED_CONTESTS]);
    int rc = SU_OK;
    for (int level = LEVEL_PROVINCE; level <= LEVEL_TPS && rc == SU_OK; level++)
        rc = load_level(s, (enum region_level)level, &files[level], &files[level - 1]);
    if (rc == SU_OK && root)
        rc = seed__load_contests(s, files[SEED_CONTESTS].path, root);
    cJSON_Delete(root);
    return rc;
}
