/* The public log: the Merkle tree (merkle.h) over every stored form's receipt,
 * in the order the server committed them, and its signed tree heads.
 * Pure logic over memory; the key is loaded by the caller (app_keyfile.h).
 *
 * A signed tree head (STH) is Ed25519 over exactly these bytes:
 *   "suara-sth-v1\n" <tree_size, decimal> "\n" <root_hash, 64 lower-case hex>
 *   "\n" <timestamp, RFC 3339 UTC with milliseconds>
 * (no newline at the end). A new head is made at most once per --sth-ms and
 * only when the tree grew, so signing costs the loop at most one Ed25519
 * signature (about 50 us) per period. */
#ifndef SUARA_DOMAIN_PUBLOG_H
#define SUARA_DOMAIN_PUBLOG_H

#include "sign.h"
#include "merkle.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define PUBLOG_STH_PREFIX "suara-sth-v1\n"
#define PUBLOG_TIMESTAMP_MAX 32
#define PUBLOG_MESSAGE_MAX 160

struct publog_head {
    bool made; /* false until the first head */
    bool is_signed;
    int64_t tree_size;
    merkle_hash root;
    char timestamp[PUBLOG_TIMESTAMP_MAX];
    unsigned char signature[SIGN_SIGNATURE];
};

/* An entry id (a form's, a decision's) -> its leaf index + 1; 0: not a leaf. */
struct publog_index {
    int32_t *leaf;
    int64_t cap;
};

struct publog {
    struct merkle tree;
    struct publog_index of_form, of_decision;
    const struct sign_key *key; /* NULL: heads are not signed */
    char public_hex[2 * SIGN_PUBLIC_KEY + 1];
    struct publog_head head;
};

int publog_init(struct publog *p, const struct sign_key *key);
void publog_free(struct publog *p);
/* Empties the log, keeping its key (a failed load starts again from nothing). */
int publog_reset(struct publog *p);
int publog_reserve(struct publog *p, int64_t n_forms);
/* Appends a committed form's receipt as the next leaf (out of memory ends the
 * process, core/mem.h: a tree missing a leaf would sign a false history, and
 * a restart rebuilds it from the database). */
void publog_add_form(struct publog *p, int64_t form_id, const unsigned char receipt[32]);
/* Appends a reviewer's decision's receipt as the next leaf. */
void publog_add_decision(struct publog *p, int64_t decision_id, const unsigned char receipt[32]);
/* Appends an entry that has no id of its own (a status change) as the next leaf. */
void publog_add_entry(struct publog *p, const unsigned char receipt[32]);
/* The leaf index of a form or of a decision, or -1 when it is not (yet) in the log. */
int64_t publog_leaf_of_form(const struct publog *p, int64_t form_id);
int64_t publog_leaf_of_decision(const struct publog *p, int64_t decision_id);
/* Whether leaf `leaf` (< publog_size) is the leaf of this entry (a receipt). */
bool publog_leaf_is(const struct publog *p, int64_t leaf, const unsigned char receipt[32]);
static inline int64_t publog_size(const struct publog *p)
{
    return merkle_size(&p->tree);
}

/* Whether a new head is due: none yet, or the tree grew since the last. */
bool publog_head_due(const struct publog *p);
/* Makes (and signs, with a key) the head of the current tree, stamped now_ms.
 * 0, or -1 when signing failed (the previous head stays). */
int publog_make_head(struct publog *p, int64_t now_ms);
/* The exact bytes a head's signature covers; returns their length. */
size_t publog_sth_message(int64_t tree_size, const merkle_hash root, const char *timestamp,
                          char out[PUBLOG_MESSAGE_MAX]);

/* {"tree_size", "root_hash", "timestamp", "signature", "public_key"} of the
 * latest head (signature and public_key null without a key). */
cJSON *publog_head_json(const struct publog *p);
/* {"leaf_index", "tree_size", "audit_path"}; NULL when leaf >= tree_size or
 * tree_size is beyond the tree. */
cJSON *publog_inclusion_json(struct publog *p, int64_t leaf, int64_t tree_size);
/* {"first", "second", "proof"}; NULL unless 0 <= first <= second <= size. */
cJSON *publog_consistency_json(struct publog *p, int64_t first, int64_t second);

#endif
