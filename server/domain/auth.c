/* See auth.h. */
#include "auth.h"
#include "core/err.h"
#include "core/sha256.h"
#include "core/mem.h"
#include "core/random.h"

#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"witness", "reviewer", "monitor", "admin"};

int auth_parse_role(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, role_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *auth_role_name(enum role role)
{
    return role_names[role];
}

/* Unpadded base64url (RFC 4648 section 5). out needs 4 * ceil(len / 3) + 1. */
static void base64url(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}

int auth_token_new(char token[AUTH_TOKEN_LEN + 1], char hash[65])
{
    unsigned char secret[32];
    if (random_bytes(secret, sizeof secret) != SU_OK)
        return SU_ERR;
    memcpy(token, "sk_", 3);
    base64url(secret, sizeof secret, token + 3);
    explicit_bzero(secret, sizeof secret);
    sha256_hex(token, AUTH_TOKEN_LEN, hash);
    return SU_OK;
}

void token_batch_free(struct token_batch *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n; i++) {
        if (b->hash)
            free(b->hash[i]);
        if (b->scope)
            free(b->scope[i]);
        if (b->name)
            free(b->name[i]);
    }
    free(b->hash);
    free(b->scope);
    free(b->name);
    if (b->answer)
        explicit_bzero(b->answer, strlen(b->answer)); /* it holds the secrets */
    free(b->answer);
    free(b);
}

void auth_init(struct auth *a)
{
    memset(a, 0, sizeof *a);
    strmap_init(&a->by_hash);
}

void auth_free(struct auth *a)
{
    for (int i = 0; i < a->n; i++) {
        free(a->tokens[i]->name);
        free(a->tokens[i]);
    }
    free(a->tokens);
    strmap_free(&a->by_hash);
    auth_init(a);
}

int auth_add(struct auth *a, const struct registry *reg, int32_t id, const char *hash,
             const char *role, const char *scope, const char *name)
{
    int r = auth_parse_role(role);
    int32_t region = registry_find(reg, scope, strlen(scope));
    if (r < 0 || region < 0 || strlen(hash) != 64)
        return SU_INVAL;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        struct token **p = xrealloc(a->tokens, (size_t)cap * sizeof *p);
        if (!p)
            return SU_NOMEM;
        a->tokens = p;
        a->cap = cap;
    }
    struct token *t = xcalloc(1, sizeof *t);
    if (!t || !(t->name = xstrdup(name))) {
        free(t);
        return SU_NOMEM;
    }
    t->id = id;
    t->role = (enum role)r;
    t->scope = region;
    memcpy(t->hash, hash, 65);
    a->tokens[a->n++] = t;
    return strmap_put(&a->by_hash, t->hash, t);
}

void auth_carry_rate_state(struct auth *to, const struct auth *from)
{
    for (int i = 0; i < to->n; i++) {
        const struct token *old = strmap_get(&from->by_hash, to->tokens[i]->hash);
        if (old) {
            to->tokens[i]->window_start_ms = old->window_start_ms;
            to->tokens[i]->window_count = old->window_count;
        }
    }
}

static bool equal_constant_time(const char *a, const char *b, size_t n)
{
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

struct token *auth_lookup(const struct auth *a, const char *secret, size_t len)
{
    char hash[65];
    sha256_hex(secret, len, hash);
    struct token *t = strmap_get(&a->by_hash, hash);
    /* The map compared hashes already; compare again without early exit so
     * the timing of a hit does not depend on where two hashes differ. */
    if (!t || !equal_constant_time(t->hash, hash, 64) || t->revoked)
        return NULL;
    return t;
}

static int cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int auth_revoke(struct auth *a, const int32_t *ids, int n)
{
    int found = 0;
    for (int i = 0; n > 0 && i < a->n; i++) {
        if (bsearch(&a->tokens[i]->id, ids, (size_t)n, sizeof *ids, cmp_id)) {
            a->tokens[i]->revoked = true;
            found++;
        }
    }
    return found;
}

bool auth_can_submit(const struct registry *reg, const struct token *t, int32_t tps)
{
    return (t->role == ROLE_WITNESS || t->role == ROLE_ADMIN) &&
           region_contains(reg, t->scope, tps);
}

bool auth_can_review(const struct registry *reg, const struct token *t, int32_t region)
{
    return (t->role == ROLE_REVIEWER || t->role == ROLE_ADMIN) &&
           region_contains(reg, t->scope, region);
}

bool auth_rate_take(struct token *t, int64_t now_ms, int per_minute)
{
    if (per_minute <= 0)
        return true;
    if (now_ms - t->window_start_ms >= 60000) {
        t->window_start_ms = now_ms;
        t->window_count = 0;
    }
    if (t->window_count >= per_minute)
        return false;
    t->window_count++;
    return true;
}
