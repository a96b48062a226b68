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

int publog_init(struct publog *p, const struct sign_key *key)
{
    memset(p, 0, sizeof *p);
    p->key = key && key->pkey ? key : NULL;
    if (p->key)
        memcpy(p->public_hex, key->public_hex, sizeof p->public_hex);
    return merkle_init(&p->tree);
}

void publog_free(struct publog *p)
{
    merkle_free(&p->tree);
    free(p->of_form.leaf);
    free(p->of_decision.leaf);
    memset(p, 0, sizeof *p);
}

int publog_reset(struct publog *p)
{
    const struct sign_key *key = p->key;
    publog_free(p);
    return publog_init(p, key);
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

int publog_reserve(struct publog *p, int64_t n_forms)
{
    if (n_forms <= 0)
        return SU_OK;
    grow_index(&p->of_form, n_forms + 1, true);
    return merkle_reserve(&p->tree, n_forms);
}

/* Appends the next leaf, remembering it under id in x (NULL: no id). */
static void add_leaf(struct publog *p, struct publog_index *x, int64_t id,
                     const unsigned char receipt[32])
{
    int64_t leaf = merkle_size(&p->tree);
    SU_ASSERT(leaf < INT32_MAX && (!x || id > 0));
    if (x)
        grow_index(x, id, false);
    merkle_append(&p->tree, receipt);
    if (x)
        x->leaf[id] = (int32_t)(leaf + 1);
}

void publog_add_form(struct publog *p, int64_t form_id, const unsigned char receipt[32])
{
    add_leaf(p, &p->of_form, form_id, receipt);
}

void publog_add_decision(struct publog *p, int64_t decision_id, const unsigned char receipt[32])
{
    add_leaf(p, &p->of_decision, decision_id, receipt);
}

void publog_add_entry(struct publog *p, const unsigned char receipt[32])
{
    add_leaf(p, NULL, 0, receipt);
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

bool publog_leaf_is(const struct publog *p, int64_t leaf, const unsigned char receipt[32])
{
    merkle_hash h;
    merkle_leaf_hash(receipt, h);
    return leaf >= 0 && leaf < publog_size(p) &&
           memcmp(h, p->tree.leaves.node[leaf], sizeof h) == 0;
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
    merkle_root(&p->tree, h.tree_size, h.root);
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

cJSON *publog_inclusion_json(struct publog *p, int64_t leaf, int64_t tree_size)
{
    merkle_hash path[MERKLE_PROOF_MAX];
    int n = merkle_inclusion(&p->tree, leaf, tree_size, path);
    return n < 0 ? NULL
                 : proof_json("leaf_index", leaf, "tree_size", tree_size, "audit_path", path, n);
}

cJSON *publog_consistency_json(struct publog *p, int64_t first, int64_t second)
{
    merkle_hash proof[MERKLE_PROOF_MAX];
    int n = merkle_consistency(&p->tree, first, second, proof);
    return n < 0 ? NULL : proof_json("first", first, "second", second, "proof", proof, n);
}
