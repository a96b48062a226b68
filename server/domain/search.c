/* See search.h. */
#include "search.h"
#include "view.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct query {
    char words[SEARCH_WORDS_MAX][SEARCH_QUERY_MAX + 1];
    int n_words;
    int number;                      /* a TPS number in the query, or -1 */
    char code[SEARCH_QUERY_MAX + 1]; /* a code prefix ("62.03"), or "" */
};

struct hit {
    int32_t region;
    int score; /* lower is better */
};

static const char *const filler[] = {"kabupaten", "kab",  "kab.",      "kota", "kecamatan", "kec",
                                     "kec.",      "desa", "kelurahan", "kel",  "kel.",      "tps"};

static bool is_filler(const char *w)
{
    for (size_t i = 0; i < sizeof filler / sizeof filler[0]; i++) {
        if (strcmp(w, filler[i]) == 0)
            return true;
    }
    return false;
}

static bool all_digits(const char *w)
{
    if (!*w)
        return false;
    for (; *w; w++) {
        if (!isdigit((unsigned char)*w))
            return false;
    }
    return true;
}

static bool code_like(const char *w)
{
    bool dot = false;
    for (const char *p = w; *p; p++) {
        if (*p == '.')
            dot = true;
        else if (!isdigit((unsigned char)*p))
            return false;
    }
    return dot || strlen(w) == 2;
}

/* Splits the query into lower-case words; false when nothing is left. */
static bool parse_query(const char *text, struct query *q)
{
    memset(q, 0, sizeof *q);
    q->number = -1;
    char word[SEARCH_QUERY_MAX + 1];
    size_t n = 0;
    for (const char *p = text;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c && !isspace(c) && c != ',') {
            if (n < SEARCH_QUERY_MAX)
                word[n++] = (char)tolower(c);
            continue;
        }
        word[n] = '\0';
        if (n && !is_filler(word)) {
            if (!q->code[0] && code_like(word))
                memcpy(q->code, word, n + 1);
            else if (q->number < 0 && all_digits(word) && n <= 3)
                q->number = atoi(word);
            else if (n >= 2 && q->n_words < SEARCH_WORDS_MAX)
                memcpy(q->words[q->n_words++], word, n + 1);
        }
        n = 0;
        if (!c)
            break;
    }
    return q->n_words || q->code[0] || q->number >= 0;
}

/* Case-insensitive (ASCII) search of needle in hay; the offset or -1. */
static long find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == needle[i])
            i++;
        if (i == n)
            return h - hay;
    }
    return -1;
}

/* The name without a leading "Kabupaten " or "Kota ", as people say it. */
static const char *bare_name(const char *name)
{
    if (strncmp(name, "Kabupaten ", 10) == 0)
        return name + 10;
    if (strncmp(name, "Kota ", 5) == 0)
        return name + 5;
    return name;
}

/* 0 exact, 1 prefix, 2 word prefix, 3 inside; -1 when a word is missing.
 * The score of a name is that of its worst-placed word. */
static int name_score(const char *name, const struct query *q)
{
    const char *bare = bare_name(name);
    int worst = 0;
    for (int i = 0; i < q->n_words; i++) {
        long at = find_ci(bare, q->words[i]);
        if (at < 0)
            return -1;
        int s = at == 0 ? 1 : (bare[at - 1] == ' ' || bare[at - 1] == '-') ? 2 : 3;
        if (s > worst)
            worst = s;
    }
    if (q->n_words == 1 && strlen(q->words[0]) == strlen(bare) && find_ci(bare, q->words[0]) == 0)
        return 0;
    return worst;
}

static bool better(const struct registry *reg, const struct hit *a, const struct hit *b)
{
    if (a->score != b->score)
        return a->score < b->score;
    const struct region *x = &reg->regions[a->region], *y = &reg->regions[b->region];
    if (x->level != y->level)
        return x->level < y->level;
    return strcmp(x->code, y->code) < 0;
}

/* Keeps the best `limit` hits in order (insertion into a short array). */
static void offer(const struct registry *reg, struct hit *hits, int *n, int limit, struct hit h)
{
    if (*n == limit && !better(reg, &h, &hits[limit - 1]))
        return;
    int i = *n < limit ? (*n)++ : limit - 1;
    while (i > 0 && better(reg, &h, &hits[i - 1])) {
        hits[i] = hits[i - 1];
        i--;
    }
    hits[i] = h;
}

/* The TPS of desa d whose number is `number`, or -1. */
static int32_t tps_numbered(const struct registry *reg, int32_t d, int number)
{
    for (int32_t c = reg->regions[d].first_child; c >= 0; c = reg->regions[c].next_sibling) {
        const char *code = reg->regions[c].code;
        size_t len = strlen(code);
        if (reg->regions[c].level == LEVEL_TPS && len > 3 && atoi(code + len - 3) == number)
            return c;
    }
    return -1;
}

int search_regions(const struct registry *reg, const char *query, int limit, int32_t *out)
{
    struct query q;
    if (limit < 1 || !parse_query(query, &q))
        return -1;
    if (limit > SEARCH_LIMIT_MAX)
        limit = SEARCH_LIMIT_MAX;
    struct hit hits[SEARCH_LIMIT_MAX];
    int n = 0;
    size_t code_len = strlen(q.code);
    for (int32_t r = 0; r < reg->n_regions;) {
        const struct region *g = &reg->regions[r];
        if (g->level == LEVEL_TPS) { /* reached only through a code prefix */
            r++;
            continue;
        }
        bool code_ok = !code_len || strncmp(g->code, q.code, code_len) == 0;
        int s = code_ok ? name_score(g->name, &q) : -1;
        if (s >= 0 && q.number < 0 && g->level != LEVEL_PROVINCE)
            offer(reg, hits, &n, limit, (struct hit){r, q.n_words ? s : 0});
        if (s >= 0 && q.number >= 0 && g->level == LEVEL_DESA && q.n_words) {
            int32_t t = tps_numbered(reg, r, q.number);
            if (t >= 0)
                offer(reg, hits, &n, limit, (struct hit){t, s});
        }
        /* A desa's TPS follow it in the array: jump over them. */
        r = g->level == LEVEL_DESA ? g->end : r + 1;
    }
    /* A full TPS code is a region of its own. */
    if (code_len && !q.n_words && q.number < 0 && n < limit) {
        int32_t t = registry_find(reg, q.code, code_len);
        if (t >= 0 && reg->regions[t].level == LEVEL_TPS)
            offer(reg, hits, &n, limit, (struct hit){t, 0});
    }
    for (int i = 0; i < n; i++)
        out[i] = hits[i].region;
    return n;
}

/* "Candi, Kumai, Kotawaringin Barat": the names above r, nearest first. */
static void add_context(cJSON *o, const struct registry *reg, int32_t r)
{
    char text[256] = "";
    size_t len = 0;
    for (int32_t p = reg->regions[r].parent; p >= 0 && reg->regions[p].level != LEVEL_PROVINCE;
         p = reg->regions[p].parent) {
        const char *name = bare_name(reg->regions[p].name);
        size_t n = strlen(name);
        if (len + n + 3 >= sizeof text)
            break;
        if (len) {
            memcpy(text + len, ", ", 2);
            len += 2;
        }
        memcpy(text + len, name, n);
        len += n;
        text[len] = '\0';
    }
    cJSON_AddStringToObject(o, "in", text);
}

char *search_view(const struct registry *reg, const char *query, int limit)
{
    int32_t found[SEARCH_LIMIT_MAX];
    int n = search_regions(reg, query, limit, found);
    if (n < 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "query", query);
    cJSON *list = cJSON_AddArrayToObject(o, "results");
    for (int i = 0; i < n; i++) {
        const struct region *g = &reg->regions[found[i]];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "code", g->code);
        cJSON_AddStringToObject(item, "name", g->name);
        cJSON_AddStringToObject(item, "level", region_level_name((enum region_level)g->level));
        add_context(item, reg, found[i]);
        cJSON_AddItemToArray(list, item);
    }
    return view_json(o);
}
