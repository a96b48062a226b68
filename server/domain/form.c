/* See form.h. Three stages, each pure:
 *   form_decode   bytes -> struct form_input, or the list of shape problems;
 *   form_resolve  binds the TPS, contest and candidate numbers to the registry;
 *   form_checks   the arithmetic consistency checks, as bits.
 * Then the stored form (struct form) those stages produce: form_new and the
 * few comparisons the ledger and the API make on it.
 * Problems are collected, not stopped at: a witness fixing a form on a phone
 * should see everything wrong with it in one 422. Every loop is bounded by
 * the body size or by FORM_MAX_ERRORS, so a hostile body costs O(len). */
#include "form.h"
#include "json.h"
#include "core/mem.h"
#include "core/utf8.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <threads.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_SIZE sizeof(((struct form_problem *)0)->field)

/* ---- strict JSON lexing ------------------------------------------------
 * cJSON is lenient where RFC 8259 is not: it takes every byte <= 0x20 as
 * whitespace, raw control characters inside strings, numbers such as "01",
 * "1." or "-.5", and it cuts strings at an escaped NUL (C strings). Accepting
 * those would let two different bodies decode to the same form, so one
 * linear pass rejects them before cJSON builds the tree. It only has to be
 * right for text cJSON then accepts; cJSON still checks the grammar. */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_number_char(unsigned char c)
{
    return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static size_t skip_digits(const unsigned char *s, size_t i, size_t n)
{
    while (i < n && is_digit(s[i]))
        i++;
    return i;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? over exactly n bytes. */
static bool number_ok(const unsigned char *s, size_t n)
{
    size_t i = s[0] == '-';
    if (i >= n || !is_digit(s[i]))
        return false;
    i = s[i] == '0' ? i + 1 : skip_digits(s, i, n);
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        i = skip_digits(s, i, n);
        if (i == start)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        i = skip_digits(s, i, n);
        if (i == start)
            return false;
    }
    return i == n;
}

/* A literal such as 1e-400 is a number no double holds: it would decode as 0
 * and pass for a count, so it is refused. Works on the digits alone, never
 * reading past n: the first significant digit, k-th of the mantissa's digits
 * with `whole` digits before the point, stands for 10^(whole - 1 - k). */
static bool number_underflows(const unsigned char *s, size_t n)
{
    long digits = 0, whole = -1, first = -1;
    size_t i = s[0] == '-';
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            whole = digits;
            continue;
        }
        if (first < 0 && s[i] != '0')
            first = digits;
        digits++;
    }
    if (first < 0)
        return false; /* a zero, however written */
    if (whole < 0)
        whole = digits;
    long exp = 0;
    bool negative = false;
    if (i < n) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            negative = s[i++] == '-';
        for (; i < n && exp < 100000; i++)
            exp = exp * 10 + (s[i] - '0');
    }
    return whole - 1 - first + (negative ? -exp : exp) < -300;
}

/* From just after an opening quote; returns the index after the closing
 * quote, or 0 (never a valid answer) for a raw control character, an escaped
 * NUL or a missing closing quote. */
static size_t skip_string(const unsigned char *s, size_t i, size_t n)
{
    while (i < n) {
        if (s[i] == '"')
            return i + 1;
        if (s[i] < 0x20)
            return 0;
        if (s[i] == '\\') {
            if (i + 1 >= n)
                return 0;
            if (s[i + 1] == 'u' && i + 6 <= n && memcmp(s + i + 2, "0000", 4) == 0)
                return 0;
            i++;
        }
        i++;
    }
    return 0;
}

static bool lex_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == '"') {
            i = skip_string(s, i + 1, n);
            if (i == 0)
                return false;
        } else if (s[i] == '-' || is_digit(s[i])) {
            size_t start = i;
            while (i < n && is_number_char(s[i]))
                i++;
            if (!number_ok(s + start, i - start) || number_underflows(s + start, i - start))
                return false;
        } else if (s[i] < 0x20 && !is_json_space(s[i])) {
            return false;
        } else {
            i++;
        }
    }
    return true;
}

/* cJSON's require_null_terminated flag needs the NUL inside the length (an
 * HTTP body has none), so the "nothing after the value" rule is applied here:
 * only JSON whitespace may follow. */
static cJSON *parse_strict(const char *body, size_t len)
{
    if (body == NULL || !lex_ok((const unsigned char *)body, len))
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL)
        return NULL;
    bool trailing = end == NULL || end < body || end > body + len;
    for (; !trailing && end < body + len; end++)
        trailing = !is_json_space((unsigned char)*end);
    if (trailing) {
        cJSON_Delete(root);
        root = NULL;
    }
    return root;
}

/* ---- problems and field paths ----------------------------------------- */

/* Appends s at dst[at], truncating; bytes outside printable ASCII become '?'
 * because client-chosen keys end up in the 422 body and in logs, and a cut
 * multi-byte character would make that body invalid UTF-8. */
static size_t field_put(char *dst, size_t at, const char *s)
{
    for (; *s != '\0' && at + 1 < FIELD_SIZE; s++) {
        unsigned char c = (unsigned char)*s;
        dst[at++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[at] = '\0';
    return at;
}

void form_problem_add(struct form_problems *p, const char *field, const char *code)
{
    if (p->n >= FORM_MAX_ERRORS)
        return;
    struct form_problem *pr = &p->list[p->n++];
    field_put(pr->field, 0, field); /* callers may pass client-chosen keys */
    pr->code = code;
}

/* An unknown key sent twice is reported once. */
static void problem_add_once(struct form_problems *p, const char *field, const char *code)
{
    for (int i = 0; i < p->n; i++) {
        if (p->list[i].code == code && strcmp(p->list[i].field, field) == 0)
            return;
    }
    form_problem_add(p, field, code);
}

/* dst = "path.key", or "key" at the top level (empty path). */
static void field_join(char dst[FIELD_SIZE], const char *path, const char *key)
{
    size_t at = field_put(dst, 0, path);
    if (path[0] != '\0')
        at = field_put(dst, at, ".");
    field_put(dst, at, key);
}

static void problem_at(struct form_problems *p, const char *path, const char *key, const char *code)
{
    char field[FIELD_SIZE];
    field_join(field, path, key);
    form_problem_add(p, field, code);
}

/* ---- generic shape walkers -------------------------------------------- */

#define OBJECT_MAX_FIELDS 16

/* Matches the members of an object against `names` (the first n_required
 * mandatory, the rest optional). found[i] gets the member named names[i], or
 * NULL when it is absent or duplicated; both, and unknown keys, are reported.
 * cJSON keeps every duplicate as its own child, so counting finds them.
 * Returns false (and reports not_object) when obj is not an object. */
static bool walk_object(const cJSON *obj, const char *path, const char *const *names, int n,
                        int n_required, const cJSON **found, struct form_problems *p)
{
    int seen[OBJECT_MAX_FIELDS] = {0};
    for (int i = 0; i < n; i++)
        found[i] = NULL;
    if (!cJSON_IsObject(obj)) {
        form_problem_add(p, path, "not_object");
        return false;
    }
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        int i = 0;
        while (i < n && strcmp(m->string, names[i]) != 0)
            i++;
        if (i == n) {
            char field[FIELD_SIZE];
            field_join(field, path, m->string);
            problem_add_once(p, field, "unknown_field");
            continue;
        }
        if (seen[i]++ == 0)
            found[i] = m;
    }
    for (int i = 0; i < n; i++) {
        if (seen[i] == 0 && i < n_required)
            problem_at(p, path, names[i], "missing");
        if (seen[i] > 1) {
            problem_at(p, path, names[i], "duplicate_key");
            found[i] = NULL; /* which one the witness meant is unknowable */
        }
    }
    return true;
}

/* A count: a JSON number with no fractional part, 0..FORM_COUNT_MAX. 1.0 and
 * 1e2 are integers by value (as in JSON Schema's "integer"); they decode to
 * 1 and 100. */
static bool decode_count(const cJSON *item, const char *field, uint16_t *out,
                         struct form_problems *p)
{
    if (!cJSON_IsNumber(item)) {
        form_problem_add(p, field, "not_integer");
        return false;
    }
    double v = item->valuedouble;
    if (isfinite(v) && v != floor(v)) {
        form_problem_add(p, field, "not_integer");
        return false;
    }
    if (!(v >= 0 && v <= FORM_COUNT_MAX)) { /* also catches inf from 1e400 */
        form_problem_add(p, field, "out_of_range");
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

#define FORM_COUNT_FIELD_(member, path, column)                                                    \
    {offsetof(struct form_counts, member), path, #column},
const struct form_count_field form_count_fields[FORM_N_COUNTS] = {FORM_COUNTS(FORM_COUNT_FIELD_)};

#define SEGMENT_MAX 24 /* the longest key of a count's path, with its NUL */
#define COUNT_NODES 64 /* the root, every group and every count */

/* The counts' paths as a tree ("registered" -> "registered.dpt" -> ".m"),
 * built once from the list: decoding a form walks it instead of searching
 * the list's path strings at every level (a quarter of a form's decode). */
struct count_node {
    char path[FIELD_SIZE]; /* "" for the root */
    int leaf;              /* the count's index in the list, or -1 for a group */
    int n;
    const char *keys[OBJECT_MAX_FIELDS]; /* the children's last path segments */
    int child[OBJECT_MAX_FIELDS];
};

static struct count_node count_tree[COUNT_NODES];
static once_flag count_tree_once = ONCE_FLAG_INIT;

/* The child of `at` named by seg[0..len), added if new. */
static int count_tree_step(int *used, int at, const char *seg, size_t len)
{
    struct count_node *parent = &count_tree[at];
    for (int k = 0; k < parent->n; k++) {
        const char *key = parent->keys[k];
        if (strncmp(key, seg, len) == 0 && key[len] == '\0')
            return parent->child[k];
    }
    SU_ASSERT(*used < COUNT_NODES && parent->n < OBJECT_MAX_FIELDS && len < SEGMENT_MAX);
    int id = (*used)++;
    struct count_node *node = &count_tree[id];
    size_t plen = strlen(parent->path);
    size_t dot = plen ? 1 : 0; /* no dot before a first segment */
    SU_ASSERT(plen + dot + len < sizeof node->path);
    memcpy(node->path, parent->path, plen);
    node->path[plen] = '.';
    memcpy(node->path + plen + dot, seg, len);
    node->path[plen + dot + len] = '\0';
    node->leaf = -1;
    parent->keys[parent->n] = node->path + (plen ? plen + 1 : 0);
    parent->child[parent->n++] = id;
    return id;
}

static void count_tree_build(void)
{
    int used = 1;
    count_tree[0].leaf = -1;
    for (int i = 0; i < FORM_N_COUNTS; i++) {
        int at = 0;
        for (const char *seg = form_count_fields[i].path;;) {
            size_t len = strcspn(seg, ".");
            at = count_tree_step(&used, at, seg, len);
            if (seg[len] == '\0')
                break;
            seg += len + 1;
        }
        count_tree[at].leaf = i;
    }
}

/* The node of a top-level key that starts some count's path, or -1. */
static int count_root_child(const char *key)
{
    call_once(&count_tree_once, count_tree_build);
    for (int k = 0; k < count_tree[0].n; k++) {
        if (strcmp(count_tree[0].keys[k], key) == 0)
            return count_tree[0].child[k];
    }
    return -1;
}

/* The count at a leaf or, for a group ("registered", "ballots"), an object of
 * exactly the keys the list names below it, each decoded the same way. */
static void decode_count_node(const cJSON *item, int id, struct form_counts *c,
                              struct form_problems *p)
{
    const struct count_node *node = &count_tree[id];
    if (node->leaf >= 0) {
        uint16_t v = 0;
        if (decode_count(item, node->path, &v, p))
            form_count_set(c, node->leaf, v);
        return;
    }
    const cJSON *found[OBJECT_MAX_FIELDS];
    if (!walk_object(item, node->path, node->keys, node->n, node->n, found, p))
        return;
    for (int k = 0; k < node->n; k++) {
        if (found[k] != NULL)
            decode_count_node(found[k], node->child[k], c, p);
    }
}

/* ---- strings ---------------------------------------------------------- */

typedef bool (*string_rule)(const char *s, size_t len);

static bool all_chars_in(const char *s, size_t len, bool (*ok)(unsigned char))
{
    for (size_t i = 0; i < len; i++) {
        if (!ok((unsigned char)s[i]))
            return false;
    }
    return true;
}

static bool is_lower_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z');
}

static bool submission_id_char(unsigned char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' ||
           c == '-';
}

static bool contest_char(unsigned char c)
{
    return is_lower_alnum(c) || c == '.' || c == '-';
}

static bool hex_char(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* UUIDs fit; bytes outside the set (including any non-ASCII) do not. */
static bool submission_id_ok(const char *s, size_t len)
{
    return len >= 1 && len <= SUBMISSION_ID_MAX && all_chars_in(s, len, submission_id_char);
}

static bool tps_ok(const char *s, size_t len)
{
    return region_code_level(s, len) == LEVEL_TPS;
}

static bool contest_ok(const char *s, size_t len)
{
    return len >= 1 && len <= CONTEST_ID_MAX && all_chars_in(s, len, contest_char);
}

static bool photo_ok(const char *s, size_t len)
{
    return len == FORM_PHOTO_HEX && all_chars_in(s, len, hex_char);
}

static bool lower_hex_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool photo_lower_ok(const char *s, size_t len)
{
    return len == FORM_PHOTO_HEX && all_chars_in(s, len, lower_hex_char);
}

/* Copies a string member into dst (dst_size >= the rule's maximum + 1). */
static bool decode_string(const cJSON *item, const char *field, string_rule rule, char *dst,
                          size_t dst_size, struct form_problems *p)
{
    if (!cJSON_IsString(item)) {
        form_problem_add(p, field, "not_string");
        return false;
    }
    size_t len = strlen(item->valuestring);
    if (len >= dst_size || !rule(item->valuestring, len)) {
        form_problem_add(p, field, "bad_format");
        return false;
    }
    memcpy(dst, item->valuestring, len + 1);
    return true;
}

/* ---- votes ------------------------------------------------------------ */

/* "1".."99" without leading zeros or signs, else -1. */
static int vote_key_number(const char *key)
{
    size_t len = strlen(key);
    if (len < 1 || len > 2 || key[0] < '1' || key[0] > '9')
        return -1;
    if (len == 1)
        return key[0] - '0';
    return is_digit((unsigned char)key[1]) ? (key[0] - '0') * 10 + (key[1] - '0') : -1;
}

/* Votes are stored by ascending number, so the key order sent does not
 * matter to form_input_equal. */
static void decode_votes(const cJSON *obj, struct form_input *out, struct form_problems *p)
{
    const cJSON *by_number[FORM_VOTE_NUMBER_MAX + 1] = {0};
    uint8_t seen[FORM_VOTE_NUMBER_MAX + 1] = {0};
    if (!cJSON_IsObject(obj)) {
        form_problem_add(p, "votes", "not_object");
        return;
    }
    int n = cJSON_GetArraySize(obj);
    if (n == 0 || n > CONTEST_MAX_CANDIDATES) {
        form_problem_add(p, "votes", n == 0 ? "empty" : "too_many");
        return;
    }
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        int number = vote_key_number(m->string);
        if (number < 0) {
            problem_at(p, "votes", m->string, "bad_format");
            continue;
        }
        seen[number]++;
        by_number[number] = m; /* a duplicate's value is never read */
    }
    for (int number = 1; number <= FORM_VOTE_NUMBER_MAX; number++) {
        char key[12], field[FIELD_SIZE];
        if (seen[number] == 0)
            continue;
        snprintf(key, sizeof key, "%d", number);
        field_join(field, "votes", key);
        if (seen[number] > 1) {
            form_problem_add(p, field, "duplicate_key");
            continue;
        }
        uint16_t count = 0;
        if (!decode_count(by_number[number], field, &count, p))
            continue;
        out->vote_number[out->n_votes] = number;
        out->vote_count[out->n_votes] = count;
        out->n_votes++;
    }
}

/* ---- the whole body --------------------------------------------------- */

enum {
    F_SUBMISSION_ID,
    F_TPS,
    F_CONTEST,
    F_REGISTERED,
    F_VOTED,
    F_BALLOTS,
    F_DISABILITY,
    F_VOTES,
    F_VALID,
    F_INVALID,
    F_TOTAL,
    F_PHOTO,     /* optional: keep these last */
    F_PHOTOS,    /* optional */
    F_AMENDMENT, /* optional: an admin's change of a final result */
    F_COUNT
};
#define F_REQUIRED F_PHOTO

static const char *const top_names[F_COUNT] = {
    "submission_id", "tps",   "contest", "registered", "voted",        "ballots", "disability",
    "votes",         "valid", "invalid", "total",      "photo_sha256", "photos",  "amendment",
};

/* The one-page shorthand; upper-case hex is accepted (and lowered) as
 * before "photos" existed. */
static void decode_photo(const cJSON *item, struct form_input *out, struct form_problems *p)
{
    if (!decode_string(item, "photo_sha256", photo_ok, out->photos[0], sizeof out->photos[0], p))
        return;
    for (char *c = out->photos[0]; *c != '\0'; c++) {
        if (*c >= 'A' && *c <= 'F')
            *c = (char)(*c - 'A' + 'a');
    }
    out->n_photos = 1;
}

/* The plano's pages in order: 1 to FORM_MAX_PHOTOS lower-case hex hashes. A
 * page named twice is kept twice (the witness's order is what was sent). */
static void decode_photos(const cJSON *item, struct form_input *out, struct form_problems *p)
{
    if (!cJSON_IsArray(item)) {
        form_problem_add(p, "photos", "not_array");
        return;
    }
    int n = cJSON_GetArraySize(item);
    if (n == 0 || n > FORM_MAX_PHOTOS) {
        form_problem_add(p, "photos", n == 0 ? "empty" : "too_many");
        return;
    }
    int i = 0, bad = 0;
    for (const cJSON *m = item->child; m != NULL; m = m->next, i++) {
        char field[FIELD_SIZE];
        snprintf(field, sizeof field, "photos.%d", i);
        if (!decode_string(m, field, photo_lower_ok, out->photos[i], sizeof out->photos[i], p))
            bad++;
    }
    out->n_photos = bad ? 0 : n;
}

/* "amendment": {"reason": "text"}, the reason 1..FORM_REASON_MAX bytes of
 * UTF-8 without control characters. */
static void decode_amendment(const cJSON *item, struct form_input *out, struct form_problems *p)
{
    static const char *const names[] = {"reason"};
    const cJSON *reason;
    if (!walk_object(item, "amendment", names, 1, 1, &reason, p) || !reason)
        return;
    if (!cJSON_IsString(reason)) {
        form_problem_add(p, "amendment.reason", "not_string");
        return;
    }
    const char *s = reason->valuestring;
    size_t len = strlen(s);
    bool control = false;
    for (size_t i = 0; i < len; i++)
        control = control || (unsigned char)s[i] < 0x20 || s[i] == 0x7F;
    if (len == 0 || len > FORM_REASON_MAX || control || !utf8_valid(s, len)) {
        form_problem_add(p, "amendment.reason",
                         len == 0                ? "empty"
                         : len > FORM_REASON_MAX ? "too_long"
                                                 : "bad_format");
        return;
    }
    memcpy(out->amendment_reason, s, len + 1);
    out->has_amendment = true;
}

static void decode_body(const cJSON *root, struct form_input *out, struct form_problems *p)
{
    const cJSON *f[F_COUNT];
    struct form_counts *c = &out->counts;
    walk_object(root, "", top_names, F_COUNT, F_REQUIRED, f, p);
    if (f[F_SUBMISSION_ID] != NULL)
        decode_string(f[F_SUBMISSION_ID], "submission_id", submission_id_ok, out->submission_id,
                      sizeof out->submission_id, p);
    if (f[F_TPS] != NULL)
        decode_string(f[F_TPS], "tps", tps_ok, out->tps, sizeof out->tps, p);
    if (f[F_CONTEST] != NULL)
        decode_string(f[F_CONTEST], "contest", contest_ok, out->contest, sizeof out->contest, p);
    /* The counts' top-level keys (registered, ..., total) are in top_names
     * too, around "votes": their shape below comes from the list (form.h). */
    for (int i = 0; i < F_COUNT; i++) {
        int node = f[i] != NULL ? count_root_child(top_names[i]) : -1;
        if (f[i] != NULL && i == F_VOTES)
            decode_votes(f[i], out, p);
        else if (node >= 0)
            decode_count_node(f[i], node, c, p);
    }
    if (f[F_PHOTO] != NULL && f[F_PHOTOS] != NULL)
        form_problem_add(p, "photo_sha256", "conflict"); /* one or the other */
    else if (f[F_PHOTO] != NULL)
        decode_photo(f[F_PHOTO], out, p);
    else if (f[F_PHOTOS] != NULL)
        decode_photos(f[F_PHOTOS], out, p);
    if (f[F_AMENDMENT] != NULL)
        decode_amendment(f[F_AMENDMENT], out, p);
}

enum form_decode_result form_decode(const char *body, size_t len, struct form_input *out,
                                    struct form_problems *problems)
{
    enum form_decode_result rc = FORM_MALFORMED;
    memset(out, 0, sizeof *out);
    problems->n = 0;
    /* A form's tree is about 8 KiB: its nodes and keys come from the stack. */
    alignas(max_align_t) char scratch[16384];
    struct json_arena arena;
    json_arena_begin(&arena, scratch, sizeof scratch);
    cJSON *root = parse_strict(body, len);
    if (cJSON_IsObject(root)) {
        decode_body(root, out, problems);
        rc = problems->n > 0 ? FORM_INVALID : FORM_DECODED;
    }
    cJSON_Delete(root);
    json_arena_end(&arena);
    return rc;
}

bool form_input_equal(const struct form_input *a, const struct form_input *b)
{
    if (strcmp(a->submission_id, b->submission_id) != 0 || strcmp(a->tps, b->tps) != 0 ||
        strcmp(a->contest, b->contest) != 0 || a->n_photos != b->n_photos)
        return false;
    for (int i = 0; i < a->n_photos && i < FORM_MAX_PHOTOS; i++) {
        if (strcmp(a->photos[i], b->photos[i]) != 0)
            return false;
    }
    if (a->has_amendment != b->has_amendment ||
        (a->has_amendment && strcmp(a->amendment_reason, b->amendment_reason) != 0))
        return false;
    /* form_counts is uint16_t only, so it has no padding to compare. */
    if (memcmp(&a->counts, &b->counts, sizeof a->counts) != 0 || a->n_votes != b->n_votes)
        return false;
    for (int i = 0; i < a->n_votes && i < CONTEST_MAX_CANDIDATES; i++) {
        if (a->vote_number[i] != b->vote_number[i] || a->vote_count[i] != b->vote_count[i])
            return false;
    }
    return true;
}

/* ---- registry binding ------------------------------------------------- */

static void problem_vote(struct form_problems *p, int number, const char *code)
{
    char key[12];
    snprintf(key, sizeof key, "%d", number);
    problem_at(p, "votes", key, code);
}

/* Votes must name exactly the contest's candidates; out->votes is filled
 * by candidate position. */
static void resolve_votes(const struct contest *contest, const struct form_input *in,
                          struct form_resolved *out, struct form_problems *p)
{
    bool seen[CONTEST_MAX_CANDIDATES] = {false};
    int n = in->n_votes < CONTEST_MAX_CANDIDATES ? in->n_votes : CONTEST_MAX_CANDIDATES;
    for (int i = 0; i < n; i++) {
        int pos = contest_candidate_pos(contest, in->vote_number[i]);
        if (pos < 0) {
            problem_vote(p, in->vote_number[i], "unknown_candidate");
            continue;
        }
        seen[pos] = true;
        out->votes[pos] = in->vote_count[i];
    }
    for (int pos = 0; pos < contest->n_candidates; pos++) {
        if (!seen[pos])
            problem_vote(p, contest->candidates[pos].number, "missing");
    }
}

bool form_resolve(const struct registry *reg, const struct form_input *in,
                  struct form_resolved *out, struct form_problems *problems)
{
    memset(out, 0, sizeof *out);
    problems->n = 0;
    /* form_decode admitted only TPS-shaped codes, and a region's level comes
     * from its code, so whatever this finds is a TPS. */
    out->tps = registry_find(reg, in->tps, strlen(in->tps));
    if (out->tps < 0)
        form_problem_add(problems, "tps", "unknown_tps");
    out->contest = registry_contest(reg, in->contest, strlen(in->contest));
    if (out->contest == NULL) {
        form_problem_add(problems, "contest", "unknown_contest");
        return false;
    }
    if (out->tps >= 0 && !region_contains(reg, out->contest->region, out->tps))
        form_problem_add(problems, "tps", "tps_not_in_contest");
    resolve_votes(out->contest, in, out, problems);
    return problems->n == 0;
}

/* ---- consistency checks ----------------------------------------------- */

static const char *const check_codes[FORM_CHECK_COUNT] = {
    [CHECK_VALID_SUM] = "valid_sum",
    [CHECK_TOTAL_SUM] = "total_sum",
    [CHECK_BALLOT_BALANCE] = "ballot_balance",
    [CHECK_TURNOUT_MATCH] = "turnout_match",
    [CHECK_VOTED_LE_REGISTERED] = "voted_le_registered",
    [CHECK_DPT_MATCHES_ROLL] = "dpt_matches_roll",
    [CHECK_TPS_CAPACITY] = "tps_capacity",
    [CHECK_BALLOT_RESERVE] = "ballot_reserve",
    [CHECK_DISABILITY_LE] = "disability_le",
    [WARN_INVALID_SHARE] = "invalid_share",
    [WARN_ZERO_TOTAL] = "zero_total",
    [WARN_CROSS_CONTEST_VOTERS] = "cross_contest_voters",
};

const char *form_check_code(enum form_check check)
{
    return (unsigned)check < FORM_CHECK_COUNT ? check_codes[check] : NULL;
}

int form_check_parse(const char *code)
{
    for (int i = 0; code != NULL && i < FORM_CHECK_COUNT; i++) {
        if (strcmp(code, check_codes[i]) == 0)
            return i;
    }
    return -1;
}

int form_sum_rows(const uint16_t rows[3][2])
{
    int sum = 0;
    for (int r = 0; r < 3; r++)
        sum += rows[r][SEX_M] + rows[r][SEX_F];
    return sum;
}

static int row_sum(const uint16_t row[2])
{
    return row[SEX_M] + row[SEX_F];
}

static bool voted_le_registered(const struct form_counts *c)
{
    static const int rows[] = {ROW_DPT, ROW_DPPH}; /* DPTb voters are not on a list */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        for (int s = SEX_M; s <= SEX_F; s++) {
            if (c->voted[rows[i]][s] > c->registered[rows[i]][s])
                return false;
        }
    }
    return true;
}

/* KPU prints DPT + 2.5 % of DPT, rounded up, ballots per TPS. */
static int64_t ballot_allowance(int32_t roll_dpt)
{
    int64_t dpt = roll_dpt > 0 ? roll_dpt : 0;
    return dpt + (dpt * 25 + 999) / 1000;
}

static uint32_t bit_if(bool failed, enum form_check check)
{
    return failed ? 1u << check : 0;
}

static int vote_sum(const uint16_t *votes, int n_votes)
{
    int sum = 0;
    for (int i = 0; i < n_votes; i++)
        sum += votes[i];
    return sum;
}

static bool disability_ok(const struct form_counts *c)
{
    int voted = c->disability[DISABILITY_VOTED];
    return voted <= c->disability[DISABILITY_REGISTERED] && voted <= form_sum_rows(c->voted);
}

uint32_t form_checks(const struct form_counts *c, const uint16_t *votes, int n_votes,
                     int32_t roll_dpt)
{
    const uint16_t *b = c->ballots;
    int voted = form_sum_rows(c->voted);
    int dpt = row_sum(c->registered[ROW_DPT]);
    int dpt_dpph = dpt + row_sum(c->registered[ROW_DPPH]);
    uint32_t bits = 0;
    bits |= bit_if(vote_sum(votes, n_votes) != c->valid, CHECK_VALID_SUM);
    bits |= bit_if(c->valid + c->invalid != c->total, CHECK_TOTAL_SUM);
    bits |= bit_if(b[BALLOT_USED] + b[BALLOT_RETURNED] + b[BALLOT_UNUSED] != b[BALLOT_RECEIVED],
                   CHECK_BALLOT_BALANCE);
    bits |= bit_if(voted != b[BALLOT_USED] || b[BALLOT_USED] != c->total, CHECK_TURNOUT_MATCH);
    bits |= bit_if(!voted_le_registered(c), CHECK_VOTED_LE_REGISTERED);
    bits |= bit_if(dpt != roll_dpt, CHECK_DPT_MATCHES_ROLL);
    bits |= bit_if(dpt_dpph > TPS_CAPACITY, CHECK_TPS_CAPACITY);
    bits |= bit_if(b[BALLOT_RECEIVED] > ballot_allowance(roll_dpt), CHECK_BALLOT_RESERVE);
    bits |= bit_if(!disability_ok(c), CHECK_DISABILITY_LE);
    /* Warnings; "at least 3 %" without floating point. */
    bits |= bit_if(c->total > 0 && c->invalid * 100 >= 3 * c->total, WARN_INVALID_SHARE);
    bits |= bit_if(c->total == 0, WARN_ZERO_TOTAL);
    return bits;
}

/* ---- stored forms ---- */

static const char *const status_names[] = {"counted",  "superseded", "held",
                                           "disputed", "rejected",   "confirmation"};

const char *form_status_name(int status)
{
    return status >= FS_COUNTED && status <= FS_CONFIRMATION ? status_names[status] : "unknown";
}

const char *refusal_code(enum refusal r)
{
    static const char *const codes[] = {[REFUSAL_NONE] = "none",
                                        [REFUSAL_REGION_FINAL] = "region_final",
                                        [REFUSAL_ALREADY_FINAL] = "already_final",
                                        [REFUSAL_NOT_PENDING] = "not_pending"};
    return r >= REFUSAL_NONE && r <= REFUSAL_NOT_PENDING ? codes[r] : "unknown";
}

int form_status_parse(const char *name)
{
    for (int i = FS_COUNTED; i <= FS_CONFIRMATION; i++) {
        if (strcmp(name, status_names[i]) == 0)
            return i;
    }
    return -1;
}

void form_free(struct form *f)
{
    if (f->decision)
        free(f->decision->reason);
    free(f->decision);
    free(f->photos);
    free(f->amendment);
    free(f);
}

void form_set_photos(struct form *f, const char (*photos)[FORM_PHOTO_HEX + 1], int n)
{
    free(f->photos);
    f->photos = NULL;
    f->n_photos = 0;
    if (n <= 0)
        return;
    f->photos = xmalloc((size_t)n * sizeof *f->photos);
    memcpy(f->photos, photos, (size_t)n * sizeof *f->photos);
    f->n_photos = (uint8_t)n;
}

struct form *form_new(const struct form_input *in, const struct form_resolved *res, uint32_t checks,
                      int32_t token_id, int64_t received_ms)
{
    int n = res->contest->n_candidates;
    struct form *f = xcalloc(1, sizeof *f + (size_t)n * sizeof f->votes[0]);
    form_set_photos(f, in->photos, in->n_photos);
    if (in->has_amendment)
        f->amendment = xstrdup(in->amendment_reason);
    strcpy(f->submission_id, in->submission_id);
    f->receipt_format = RECEIPT_CURRENT;
    f->tps = res->tps;
    f->contest = (uint16_t)res->contest->index;
    f->token_id = token_id;
    f->received_ms = received_ms;
    f->checks = checks;
    f->counts = in->counts;
    f->n_votes = (uint8_t)n;
    memcpy(f->votes, res->votes, (size_t)n * sizeof f->votes[0]);
    return f;
}

bool form_same_submission(const struct form *f, const struct form_input *in,
                          const struct form_resolved *res, int32_t token_id)
{
    bool same_photo = f->n_photos == in->n_photos;
    for (int i = 0; same_photo && i < f->n_photos; i++)
        same_photo = strcmp(f->photos[i], in->photos[i]) == 0;
    bool same_amendment = in->has_amendment
                              ? f->amendment && strcmp(f->amendment, in->amendment_reason) == 0
                              : f->amendment == NULL;
    return f->token_id == token_id && f->tps == res->tps && f->contest == res->contest->index &&
           same_photo && same_amendment && memcmp(&f->counts, &in->counts, sizeof f->counts) == 0 &&
           memcmp(f->votes, res->votes, f->n_votes * sizeof f->votes[0]) == 0;
}

bool form_counts_equal(const struct form *a, const struct form *b)
{
    return a->n_votes == b->n_votes && memcmp(&a->counts, &b->counts, sizeof a->counts) == 0 &&
           memcmp(a->votes, b->votes, a->n_votes * sizeof a->votes[0]) == 0;
}
