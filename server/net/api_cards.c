/* See api_cards.h. The request names a region and the address witnesses
 * open ({"region": CODE, "base_url": "https://host", "name": "Saksi"}); the
 * answer lists one card per TPS of the region, in code order: the TPS and
 * its places, the new token, the link BASE/saksi#t=TOKEN and the modules of
 * its QR code (domain/qr.h, the command line's encoder settings), for the
 * web client to draw and print. Secrets and hashes are made here; the
 * tokens, their audit events and the reload notice are stored by the app
 * (db/token_store.h) before the 201 goes out, with Cache-Control: no-store
 * as every deferred reply, and work from that moment. */
#include "api_cards.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "domain/qr.h"
#include "domain/region_code.h"
#include "domain/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE_URL_MAX 200
#define NAME_PREFIX_MAX 60

struct cards_req {
    char region[REGION_CODE_MAX + 1];
    char base_url[BASE_URL_MAX + 1];
    char prefix[NAME_PREFIX_MAX + 1];
};

/* http(s)://host[:port][/path], without query, fragment, quotes or spaces:
 * it goes into a link that a phone opens. */
static bool base_url_ok(const char *s)
{
    size_t skip = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    size_t n = strlen(s);
    if (!skip || n == skip || n > BASE_URL_MAX)
        return false;
    return strspn(s + skip,
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~:[]/") ==
               n - skip &&
           s[skip] != '/';
}

static bool has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    }
    return false;
}

static void take_string(const cJSON *root, const char *key, bool required, char *out, size_t size,
                        struct form_problems *p)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) {
        if (required)
            form_problem_add(p, key, "missing");
    } else if (!cJSON_IsString(v)) {
        form_problem_add(p, key, "not_string");
    } else if (strlen(v->valuestring) >= size) {
        form_problem_add(p, key, "too_long");
    } else if (!utf8_valid(v->valuestring, strlen(v->valuestring)) || has_control(v->valuestring)) {
        form_problem_add(p, key, "bad_encoding");
    } else {
        snprintf(out, size, "%s", v->valuestring);
    }
}

/* False: the body is not a JSON object. Problems go into p. */
static bool parse_cards(const struct http_request *req, struct cards_req *c,
                        struct form_problems *p)
{
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return false;
    }
    snprintf(c->prefix, sizeof c->prefix, "Saksi");
    take_string(root, "region", true, c->region, sizeof c->region, p);
    take_string(root, "base_url", true, c->base_url, sizeof c->base_url, p);
    take_string(root, "name", false, c->prefix, sizeof c->prefix, p);
    if (c->base_url[0] && !base_url_ok(c->base_url))
        form_problem_add(p, "base_url", "bad_format");
    for (const cJSON *it = root->child; it; it = it->next) {
        if (strcmp(it->string, "region") && strcmp(it->string, "base_url") &&
            strcmp(it->string, "name"))
            form_problem_add(p, it->string, "unknown_field");
    }
    cJSON_Delete(root);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    return true;
}

/* The name of the ancestor of `tps` at `level`, or "". */
static const char *place(const struct registry *reg, int32_t tps, enum region_level level)
{
    for (int32_t r = reg->regions[tps].parent; r >= 0; r = reg->regions[r].parent) {
        if (reg->regions[r].level == level)
            return reg->regions[r].name;
    }
    return "";
}

/* One card: adds its JSON to cards and its token to b at index i. */
static bool add_card(const struct registry *reg, const struct cards_req *c, int32_t tps,
                     struct token_batch *b, int i, cJSON *cards)
{
    char token[AUTH_TOKEN_LEN + 1], hash[65], link[BASE_URL_MAX + 64], name[512];
    int width = 0;
    if (auth_token_new(token, hash) != 0)
        return false;
    const struct region *t = &reg->regions[tps];
    const char *desa = place(reg, tps, LEVEL_DESA);
    snprintf(link, sizeof link, "%s/saksi#t=%s", c->base_url, token);
    snprintf(name, sizeof name, "%s %s %s", c->prefix, t->name, desa);
    char *modules = qr_modules(link, &width);
    b->hash[i] = xstrdup(hash);
    b->scope[i] = xstrdup(t->code);
    b->name[i] = xstrdup(name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tps", t->code);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "desa", desa);
    cJSON_AddStringToObject(o, "kecamatan", place(reg, tps, LEVEL_KECAMATAN));
    cJSON_AddStringToObject(o, "kabupaten", place(reg, tps, LEVEL_KABUPATEN));
    cJSON_AddStringToObject(o, "token_name", name);
    cJSON_AddStringToObject(o, "token", token);
    cJSON_AddStringToObject(o, "link", link);
    cJSON *qr = cJSON_AddObjectToObject(o, "qr");
    cJSON_AddNumberToObject(qr, "width", width);
    cJSON_AddStringToObject(qr, "modules", modules ? modules : "");
    cJSON_AddItemToArray(cards, o);
    bool ok = modules && b->hash[i] && b->scope[i] && b->name[i];
    explicit_bzero(token, sizeof token);
    explicit_bzero(link, sizeof link);
    free(modules);
    return ok;
}

/* The batch of new tokens and the 201 body for every TPS in [r, end). */
static struct token_batch *make_batch(const struct registry *reg, const struct cards_req *c,
                                      int32_t r, int32_t by_token)
{
    int n = reg->regions[r].n_tps;
    struct token_batch *b = xcalloc(1, sizeof *b);
    b->hash = xcalloc((size_t)n, sizeof *b->hash);
    b->scope = xcalloc((size_t)n, sizeof *b->scope);
    b->name = xcalloc((size_t)n, sizeof *b->name);
    b->by_token = by_token;
    cJSON *root = cJSON_CreateObject();
    cJSON *region = cJSON_AddObjectToObject(root, "region");
    cJSON_AddStringToObject(region, "region", reg->regions[r].code);
    cJSON_AddStringToObject(region, "name", reg->regions[r].name);
    cJSON_AddStringToObject(region, "level", region_level_name(reg->regions[r].level));
    cJSON *cards = cJSON_AddArrayToObject(root, "cards");
    bool ok = true;
    for (int32_t i = r; ok && i < reg->regions[r].end; i++) {
        if (reg->regions[i].level == LEVEL_TPS) {
            ok = add_card(reg, c, i, b, b->n, cards);
            b->n++;
        }
    }
    b->answer = ok ? view_json(root) : NULL;
    if (!ok)
        cJSON_Delete(root);
    if (!b->answer) {
        token_batch_free(b);
        return NULL;
    }
    return b;
}

/* The region's index, or -1 with the error in rep. */
static int32_t card_region(struct api *api, const struct token *t, const struct cards_req *c,
                           struct http_reply *rep)
{
    int32_t r = registry_find(api->reg, c->region, strlen(c->region));
    if (r < 0) {
        http_reply_error(rep, 404, "not_found", "the region is unknown");
        return -1;
    }
    if (!auth_can_review(api->reg, t, r)) {
        http_reply_error(rep, 403, "forbidden", "this token's scope does not hold the region");
        return -1;
    }
    if (api->reg->regions[r].n_tps > CARDS_MAX_TPS) {
        struct form_problems p = {0};
        form_problem_add(&p, "region", "too_many_tps");
        api__reply_problems(rep, 422, "invalid_cards",
                            "cards are made for a kecamatan, desa or TPS at a time", &p);
        return -1;
    }
    return r;
}

enum route_result api_cards_post(struct api *api, struct http_request *req, struct http_reply *rep)
{
    if (req->method != HTTP_POST)
        return api__method_not_allowed(rep, "POST");
    struct token *t = api_authenticate(api, req, rep);
    if (!t)
        return ROUTE_DONE;
    if (t->role != ROLE_ADMIN) {
        http_reply_error(rep, 403, "forbidden", "this needs an admin token");
        return ROUTE_DONE;
    }
    struct cards_req c = {0};
    struct form_problems problems = {0};
    if (!parse_cards(req, &c, &problems)) {
        http_reply_error(rep, 400, "malformed_json", "the body is not a JSON object");
        return ROUTE_DONE;
    }
    if (problems.n)
        return api__reply_problems(rep, 422, "invalid_cards", "the request is not valid",
                                   &problems);
    int32_t r = card_region(api, t, &c, rep);
    if (r < 0)
        return ROUTE_DONE;
    if (!api->db_up || api->draining || !api->save_tokens) {
        http_reply_error(rep, 503, "storage_unavailable", "no token was made; retry later");
        rep->retry_after = 2;
        return ROUTE_DONE;
    }
    struct token_batch *b = make_batch(api->reg, &c, r, t->id);
    struct waiter *w = b ? http_defer(req) : NULL;
    if (!w) {
        token_batch_free(b);
        http_reply_error(rep, 503, "out_of_memory", "retry later");
        return ROUTE_DONE;
    }
    w->ok_status = 201;
    w->deadline_ms = req->mono_ms + api->cfg->ack_timeout_ms;
    api->save_tokens(api->save_ctx, b, w);
    return ROUTE_PENDING;
}
