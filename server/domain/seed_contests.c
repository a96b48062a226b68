/* The contests.json part of the seed check (see seed.h): the file is parsed
 * before the regions only for max_dpt_per_tps, and its contests are checked
 * after them, since every contest names the region it covers. JSON problems
 * are reported as FILE: path: message (line 0), except a syntax error, which
 * has a line. */
#include "core/err.h"
#include "seed_internal.h"

#include <stdio.h>
#include <string.h>

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

/* Parses the file's text; NULL after reporting. */
static cJSON *parse(struct seed *s, const struct seed_file *f)
{
    if (f->error) {
        seed__problem(s, f->path, 0, "%s", f->error);
        return NULL;
    }
    if (f->read_error) {
        seed__problem(s, f->path, 0, "read error: %s", f->read_error);
        return NULL;
    }
    const char *text = f->data ? f->data : "";
    size_t len = f->data ? f->len : 0;
    const char *end = NULL;
    /* the length counts the NUL, which require_null_terminated looks for */
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, true);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long line = 1;
        for (const char *p = text; at && p < at && p < text + len; p++)
            line += *p == '\n';
        seed__problem(s, f->path, line, "not valid JSON");
    }
    return root;
}

cJSON *seed__open_contests(struct seed *s, const struct seed_file *f)
{
    cJSON *root = parse(s, f);
    if (!root)
        return NULL;
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(root, "max_dpt_per_tps");
    if (max) {
        int v = json_int(max, 1, SEED_DPT_MAX);
        if (v < 0)
            seed__problem(s, f->path, 0, "max_dpt_per_tps must be a whole number from 1 to %d",
                          SEED_DPT_MAX);
        else
            s->dpt_max = v;
    }
    return root;
}

/* Checks one candidate pair and adds it to the model. `seen` marks the
 * numbers already used in this contest. SU_OK, also when bad, or SU_NOMEM. */
static int load_candidate(struct seed *s, const char *path, const char *where, const char *id,
                          const cJSON *cand, int index, bool *seen)
{
    int number = json_int(cJSON_GetObjectItemCaseSensitive(cand, "number"), 1, 99);
    const char *head = json_string(cand, "head"), *deputy = json_string(cand, "deputy");
    const cJSON *verified = cJSON_GetObjectItemCaseSensitive(cand, "verified");
    if (number < 0) {
        seed__problem(s, path, 0,
                      "%s.candidates[%d]: \"number\" must be a whole number from 1 to 99", where,
                      index);
        return SU_OK;
    }
    if (seen[number]) {
        seed__problem(s, path, 0, "%s.candidates[%d]: number %d appears twice", where, index,
                      number);
        return SU_OK;
    }
    seen[number] = true;
    const char *why = head ? seed__bad_text(head, false) : "is missing or not a string";
    if (why) {
        seed__problem(s, path, 0, "%s.candidates[%d]: \"head\" %s", where, index, why);
        return SU_OK;
    }
    why = deputy ? seed__bad_text(deputy, true) : "is missing or not a string";
    if (why) {
        seed__problem(s, path, 0, "%s.candidates[%d]: \"deputy\" %s", where, index, why);
        return SU_OK;
    }
    if (verified && !cJSON_IsBool(verified)) {
        seed__problem(s, path, 0, "%s.candidates[%d]: \"verified\" must be true or false", where,
                      index);
        return SU_OK;
    }
    struct seed_candidate *all =
        seed__grow(s->candidates, &s->cap_candidates, s->n_candidates, sizeof *all);
    if (!all)
        return SU_NOMEM;
    s->candidates = all;
    struct seed_candidate *k = &all[s->n_candidates++];
    snprintf(k->contest, sizeof k->contest, "%s", id);
    k->number = number;
    snprintf(k->head, sizeof k->head, "%s", head);
    snprintf(k->deputy, sizeof k->deputy, "%s", deputy);
    k->verified = !verified || cJSON_IsTrue(verified);
    return SU_OK;
}

/* Adds a checked contest and its candidates to the model. */
static int add_contest(struct seed *s, const char *path, const char *where, const cJSON *contest,
                       const char *id)
{
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(contest, "candidates");
    bool seen[100] = {false};
    int rc = SU_OK, i = 0;
    const cJSON *cand;
    cJSON_ArrayForEach(cand, cands)
    {
        if (rc == SU_OK)
            rc = load_candidate(s, path, where, id, cand, i++, seen);
    }
    if (rc != SU_OK)
        return rc;
    struct seed_contest *all =
        seed__grow(s->contests, &s->cap_contests, s->n_contests, sizeof *all);
    if (!all)
        return SU_NOMEM;
    s->contests = all;
    struct seed_contest *c = &all[s->n_contests++];
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->kind, sizeof c->kind, "%s", json_string(contest, "kind"));
    snprintf(c->region, sizeof c->region, "%s", json_string(contest, "region"));
    snprintf(c->title, sizeof c->title, "%s", json_string(contest, "title"));
    return SU_OK;
}

/* Which contest kind (the id's prefix) sits on which level: regional
 * elections (Pilkada) and the general election's legislatures (Pemilu). */
static const struct {
    const char *prefix;
    enum region_level level;
} contest_kinds[] = {
    {"gub-", LEVEL_PROVINCE},    {"dpr-", LEVEL_PROVINCE},  {"dpd-", LEVEL_PROVINCE},
    {"dprdp-", LEVEL_PROVINCE},  {"bup-", LEVEL_KABUPATEN}, {"wal-", LEVEL_KABUPATEN},
    {"dprdk-", LEVEL_KABUPATEN},
};
#define ID_RULE                                                                                    \
    "the id must be gub-, dpr-, dpd- or dprdp- (a province), or bup-, wal- or dprdk- "             \
    "(a kabupaten/kota), followed by the region"

/* The kind of a contest id, or -1; *code points at the region part. */
static int contest_kind(const char *id, const char **code)
{
    for (size_t i = 0; i < sizeof contest_kinds / sizeof contest_kinds[0]; i++) {
        size_t n = strlen(contest_kinds[i].prefix);
        if (strncmp(id, contest_kinds[i].prefix, n) == 0) {
            *code = id + n;
            return (int)i;
        }
    }
    return -1;
}

/* Checks one contest's fields (not yet its candidates); returns false
 * (after reporting, or counting it as an orphan) if bad. `ids` holds the ids
 * accepted so far. */
static bool check_contest(struct seed *s, const char *path, const char *where, const cJSON *contest,
                          const struct strmap *ids)
{
    const char *id = json_string(contest, "id"), *kind = json_string(contest, "kind");
    const char *region = json_string(contest, "region"), *title = json_string(contest, "title");
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(contest, "candidates");
    size_t rlen = strlen(region);
    enum region_level level = region_code_level(region, rlen);
    const char *code = "";
    int k = contest_kind(id, &code);
    const char *why = seed__bad_text(kind, false);
    if (!why)
        why = seed__bad_text(title, false);
    bool known = seed__defined_on(s, region, rlen) != 0;
    if (!known && level != LEVEL_NONE && level != LEVEL_TPS && s->level_problems[level] > 0) {
        s->orphans++; /* its region was rejected: see seed__load_contests */
    } else if (level == LEVEL_NONE || level == LEVEL_TPS || !known) {
        seed__problem(s, path, 0, "%s: region '%s' is not a region of this seed", where, region);
    } else if (k < 0 || strcmp(code, region) != 0 || strlen(id) > CONTEST_ID_MAX) {
        seed__problem(s, path, 0, "%s: " ID_RULE " (%s)", where, region);
    } else if (level != contest_kinds[k].level) {
        seed__problem(s, path, 0, "%s: a %s contest belongs to a %s, not a %s", where,
                      contest_kinds[k].prefix,
                      contest_kinds[k].level == LEVEL_PROVINCE ? "province" : "kabupaten/kota",
                      region_level_name(level));
    } else if (strmap_get(ids, id)) {
        seed__problem(s, path, 0, "%s: the id appears twice", where);
    } else if (why) {
        seed__problem(s, path, 0, "%s: \"kind\" or \"title\" %s", where, why);
    } else if (!cJSON_IsArray(cands) || cJSON_GetArraySize(cands) == 0 ||
               cJSON_GetArraySize(cands) > CONTEST_MAX_CANDIDATES) {
        seed__problem(s, path, 0, "%s: \"candidates\" must be a list of 1 to %d pairs", where,
                      CONTEST_MAX_CANDIDATES);
    } else {
        return true;
    }
    return false;
}

/* Checks one contest; when good, adds it and its candidates. */
static int load_contest(struct seed *s, const char *path, const cJSON *contest, int index,
                        struct strmap *ids)
{
    char where[64];
    snprintf(where, sizeof where, "contests[%d]", index);
    const char *id = json_string(contest, "id");
    if (!cJSON_IsObject(contest) || !id || !json_string(contest, "kind") ||
        !json_string(contest, "region") || !json_string(contest, "title")) {
        seed__problem(s, path, 0,
                      "%s: needs the strings \"id\", \"kind\", \"region\" and \"title\"", where);
        return SU_OK;
    }
    snprintf(where, sizeof where, "contests[%d] (%.20s)", index, id);
    if (!check_contest(s, path, where, contest, ids))
        return SU_OK;
    int rc = strmap_put(ids, id, (void *)1);
    return rc == SU_OK ? add_contest(s, path, where, contest, id) : rc;
}

int seed__load_contests(struct seed *s, const char *path, const cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "contests");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
        seed__problem(s, path, 0, "needs a non-empty list \"contests\"");
        return SU_OK;
    }
    struct strmap ids; /* keys live in the tree */
    strmap_init(&ids);
    int rc = SU_OK, i = 0;
    const cJSON *contest;
    cJSON_ArrayForEach(contest, list)
    {
        if (rc == SU_OK)
            rc = load_contest(s, path, contest, i++, &ids);
    }
    strmap_free(&ids);
    seed__report_orphans(s, path, "contest", "region");
    return rc;
}
