/* See publog.h. */
#include "publog.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/sha256.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tree's question (merkle_entry_fn), passed on to the owner. */
static bool tree_entry(void *ctx, int64_t index, unsigned char entry[MERKLE_HASH])
{
    struct publog *p = ctx;
    return p->entry_of && p->entry_of(p->entry_ctx, p, index, entry);
}

int publog_init(struct publog *p, const struct sign_key *key)
{
    memset(p, 0, sizeof *p);
    p->key = key && key->pkey ? key : NULL;
    if (p->key)
        memcpy(p->public_hex, key->public_hex, sizeof p->public_hex);
    return merkle_init(&p->tree, tree_entry, p);
}

void publog_set_entries(struct publog *p, publog_entry_fn entry_of, void *ctx)
{
    p->entry_of = entry_of;
    p->entry_ctx = ctx;
}

void publog_free(struct publog *p)
{
    merkle_free(&p->tree);
    free(p->of_form.leaf);
    free(p->of_decision.leaf);
    free(p->where.of_leaf);
    memset(p, 0, sizeof *p);
}

int publog_reset(struct publog *p)
{
    const struct sign_key *key = p->key;
    publog_entry_fn entry_of = p->entry_of;
    void *ctx = p->entry_ctx;
    publog_free(p);
    int rc = publog_init(p, key);
    publog_set_entries(p, entry_of, ctx);
    return rc;
}

/* Room for id in the index (out of memory ends the process, core/mem.h),
 * growing by half, or to id and an eighth more when `exact`, as merkle.c. */
static void grow_index(struct publog_index *x, int64_t id, bool exact)
{
    if (id < x->cap)
        return;
    int64_t cap = x->cap ? x->cap : 1024;
    while (cap <= id)
        cap += cap / 2 + 1024; /* + 1024: an exact reservation may leave a capacity of 1 */
    if (exact)
        cap = id + 1 + id / 8;
    x->leaf = xrealloc(x->leaf, (size_t)cap * sizeof *x->leaf);
    memset(x->leaf + x->cap, 0, (size_t)(cap - x->cap) * sizeof *x->leaf);
    x->cap = cap;
}

/* Room for leaf n's locator, grown as grow_index grows. */
static void grow_locators(struct publog_locators *w, int64_t n, bool exact)
{
    if (n < w->cap)
        return;
    int64_t cap = w->cap ? w->cap : 1024;
    while (cap <= n)
        cap += cap / 2 + 1024;
    if (exact)
        cap = n + 1 + n / 8;
    w->of_leaf = xrealloc(w->of_leaf, (size_t)cap * sizeof *w->of_leaf);
    w->cap = cap;
}

int publog_reserve(struct publog *p, int64_t n_forms)
{
    if (n_forms <= 0)
        return SU_OK;
    grow_index(&p->of_form, n_forms + 1, true);
    grow_locators(&p->where, n_forms, true);
    return merkle_reserve(&p->tree, n_forms);
}

/* Appends the next leaf, of this kind about form form_id, remembering it
 * under id in x (NULL: no id). */
static void add_leaf(struct publog *p, enum publog_kind kind, int64_t form_id,
                     struct publog_index *x, int64_t id, const unsigned char receipt[32])
{
    int64_t leaf = merkle_size(&p->tree);
    SU_ASSERT(leaf < INT32_MAX && form_id > 0 && form_id <= PUBLOG_ID_MAX && (!x || id > 0));
    if (x)
        grow_index(x, id, false);
    grow_locators(&p->where, leaf, false);
    merkle_append(&p->tree, receipt);
    p->where.of_leaf[leaf] = (uint32_t)kind << PUBLOG_ID_BITS | (uint32_t)form_id;
    if (x)
        x->leaf[id] = (int32_t)(leaf + 1);
}

void publog_add_form(struct publog *p, int64_t form_id, const unsigned char receipt[32])
{
    add_leaf(p, PUBLOG_FORM, form_id, &p->of_form, form_id, receipt);
}

void publog_add_decision(struct publog *p, int64_t decision_id, int64_t form_id,
                         const unsigned char receipt[32])
{
    add_leaf(p, PUBLOG_DECISION, form_id, &p->of_decision, decision_id, receipt);
}

void publog_add_status(struct publog *p, int64_t form_id, const unsigned char receipt[32])
{
    add_leaf(p, PUBLOG_STATUS, form_id, NULL, 0, receipt);
}

enum publog_kind publog_locate(const struct publog *p, int64_t leaf, int64_t *form_id)
{
    SU_ASSERT(leaf >= 0 && leaf < publog_size(p));
    uint32_t w = p->where.of_leaf[leaf];
    *form_id = (int64_t)(w & (uint32_t)PUBLOG_ID_MAX);
    return (enum publog_kind)(w >> PUBLOG_ID_BITS);
}

static int64_t leaf_of(const struct publog_index *x, int64_t id)
{
    if (id <= 0 || id >= x->cap || !x->leaf[id])
        return -1;
    return x->leaf[id] - 1;
}

int64_t publog_leaf_of_form(const struct publog *p, int64_t form_id)
{
    return leaf_of(&p->of_form, form_id);
}

int64_t publog_leaf_of_decision(const struct publog *p, int64_t decision_id)
{
    return leaf_of(&p->of_decision, decision_id);
}

bool publog_leaf_is(struct publog *p, int64_t leaf, const unsigned char receipt[32])
{
    merkle_hash want, held;
    merkle_leaf_hash(receipt, want);
    return merkle_leaf(&p->tree, leaf, held) == 0 && memcmp(want, held, sizeof want) == 0;
}

size_t publog_bytes(const struct publog *p)
{
    size_t bytes = (size_t)(p->of_form.cap + p->of_decision.cap) * sizeof *p->of_form.leaf +
                   (size_t)p->where.cap * sizeof *p->where.of_leaf;
    for (int k = 0; k < MERKLE_LEVELS; k++)
        bytes += (size_t)p->tree.levels[k].cap * MERKLE_HASH;
    return bytes;
}

bool publog_head_due(const struct publog *p)
{
    return !p->head.made || p->head.tree_size != merkle_size(&p->tree);
}

size_t publog_sth_message(int64_t tree_size, const merkle_hash root, const char *timestamp,
                          char out[PUBLOG_MESSAGE_MAX])
{
    char hex[2 * MERKLE_HASH + 1];
    hex_encode(root, MERKLE_HASH, hex);
    int n = snprintf(out, PUBLOG_MESSAGE_MAX, PUBLOG_STH_PREFIX "%" PRId64 "\n%s\n%s", tree_size,
                     hex, timestamp);
    return n > 0 && n < PUBLOG_MESSAGE_MAX ? (size_t)n : 0;
}

int publog_make_head(struct publog *p, int64_t now_ms)
{
    struct publog_head h = {.made = true, .tree_size = merkle_size(&p->tree)};
    /* The whole tree's root: stored roots and the tail, never an entry asked for. */
    if (merkle_root(&p->tree, h.tree_size, h.root) != 0)
        return -1;
    clock_format_rfc3339(now_ms, h.timestamp, sizeof h.timestamp);
    if (p->key) {
        char msg[PUBLOG_MESSAGE_MAX];
        size_t len = publog_sth_message(h.tree_size, h.root, h.timestamp, msg);
        if (!len || sign_message(p->key, msg, len, h.signature) != 0)
            return -1;
        h.is_signed = true;
    }
    p->head = h;
    return 0;
}

static void add_hex(cJSON *o, const char *key, const unsigned char *bytes, size_t n)
{
    char hex[2 * SIGN_SIGNATURE + 1];
    hex_encode(bytes, n, hex);
    cJSON_AddStringToObject(o, key, hex);
}

cJSON *publog_head_json(const struct publog *p)
{
    const struct publog_head *h = &p->head;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "tree_size", (double)h->tree_size);
    add_hex(o, "root_hash", h->root, MERKLE_HASH);
    cJSON_AddStringToObject(o, "timestamp", h->timestamp);
    if (h->is_signed) {
        add_hex(o, "signature", h->signature, SIGN_SIGNATURE);
        cJSON_AddStringToObject(o, "public_key", p->public_hex);
    } else {
        cJSON_AddNullToObject(o, "signature");
        cJSON_AddNullToObject(o, "public_key");
    }
    return o;
}

/* Both proofs' answers: two sizes and a list of hashes in hex. */
static cJSON *proof_json(const char *a_key, int64_t a, const char *b_key, int64_t b,
                         const char *list_key, const merkle_hash *hashes, int n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, a_key, (double)a);
    cJSON_AddNumberToObject(o, b_key, (double)b);
    cJSON *list = cJSON_AddArrayToObject(o, list_key);
    for (int i = 0; i < n; i++) {
        char hex[2 * MERKLE_HASH + 1];
        hex_encode(hashes[i], MERKLE_HASH, hex);
        cJSON_AddItemToArray(list, cJSON_CreateString(hex));
    }
    return o;
}

int publog_inclusion_json(struct publog *p, int64_t leaf, int64_t tree_size, cJSON **out)
{
    merkle_hash path[MERKLE_PROOF_MAX];
    int n = merkle_inclusion(&p->tree, leaf, tree_size, path);
    *out = n < 0 ? NULL
                 : proof_json("leaf_index", leaf, "tree_size", tree_size, "audit_path", path, n);
    return n < 0 ? n : 0;
}

int publog_consistency_json(struct publog *p, int64_t first, int64_t second, cJSON **out)
{
    merkle_hash proof[MERKLE_PROOF_MAX];
    int n = merkle_consistency(&p->tree, first, second, proof);
    *out = n < 0 ? NULL : proof_json("first", first, "second", second, "proof", proof, n);
    return n < 0 ? n : 0;
}
