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
    free(p->leaf_of_form);
    memset(p, 0, sizeof *p);
}

int publog_reset(struct publog *p)
{
    const struct sign_key *key = p->key;
    publog_free(p);
    return publog_init(p, key);
}

static int grow_index(struct publog *p, int64_t id)
{
    if (id < p->leaf_of_form_cap)
        return SU_OK;
    int64_t cap = p->leaf_of_form_cap ? p->leaf_of_form_cap : 1024;
    while (cap <= id)
        cap *= 2;
    int32_t *n = xrealloc(p->leaf_of_form, (size_t)cap * sizeof *n);
    memset(n + p->leaf_of_form_cap, 0, (size_t)(cap - p->leaf_of_form_cap) * sizeof *n);
    p->leaf_of_form = n;
    p->leaf_of_form_cap = cap;
    return SU_OK;
}

int publog_reserve(struct publog *p, int64_t n_forms)
{
    if (n_forms <= 0)
        return SU_OK;
    if (grow_index(p, n_forms + 1) != SU_OK)
        return SU_NOMEM;
    return merkle_reserve(&p->tree, n_forms);
}

void publog_add_form(struct publog *p, int64_t form_id, const unsigned char receipt[32])
{
    int64_t leaf = merkle_size(&p->tree);
    SU_ASSERT(form_id > 0 && leaf < INT32_MAX);
    grow_index(p, form_id);
    merkle_append(&p->tree, receipt);
    p->leaf_of_form[form_id] = (int32_t)(leaf + 1);
}

void publog_add_entry(struct publog *p, const unsigned char receipt[32])
{
    SU_ASSERT(merkle_size(&p->tree) < INT32_MAX);
    merkle_append(&p->tree, receipt);
}

int64_t publog_leaf_of_form(const struct publog *p, int64_t form_id)
{
    if (form_id <= 0 || form_id >= p->leaf_of_form_cap || !p->leaf_of_form[form_id])
        return -1;
    return p->leaf_of_form[form_id] - 1;
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

static cJSON *hex_list(const merkle_hash *hashes, int n)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        char hex[2 * MERKLE_HASH + 1];
        hex_encode(hashes[i], MERKLE_HASH, hex);
        cJSON_AddItemToArray(list, cJSON_CreateString(hex));
    }
    return list;
}

cJSON *publog_inclusion_json(struct publog *p, int64_t leaf, int64_t tree_size)
{
    merkle_hash path[MERKLE_PROOF_MAX];
    int n = merkle_inclusion(&p->tree, leaf, tree_size, path);
    if (n < 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "leaf_index", (double)leaf);
    cJSON_AddNumberToObject(o, "tree_size", (double)tree_size);
    cJSON_AddItemToObject(o, "audit_path", hex_list(path, n));
    return o;
}

cJSON *publog_consistency_json(struct publog *p, int64_t first, int64_t second)
{
    merkle_hash proof[MERKLE_PROOF_MAX];
    int n = merkle_consistency(&p->tree, first, second, proof);
    if (n < 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "first", (double)first);
    cJSON_AddNumberToObject(o, "second", (double)second);
    cJSON_AddItemToObject(o, "proof", hex_list(proof, n));
    return o;
}
