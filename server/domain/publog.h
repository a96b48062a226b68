/* The public log: the Merkle tree (merkle.h) over every stored form's receipt,
 * in the order the server committed them, and its signed tree heads.
 * Pure logic over memory; the key is loaded by the caller (app_keyfile.h).
 *
 * The tree keeps no leaf hash of a complete block of 8: each leaf has a
 * 4-byte locator instead (which kind of entry, and the form it is about), and
 * whoever holds the entries (log_entry.h: the ledger's forms and decisions,
 * and the replay of the outcome rules for status changes) gives an entry back
 * from its locator when a proof needs it (publog_set_entries).
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

/* What a leaf is: the kind in a locator's top two bits, below them the id of
 * the form it is about (a form's own leaf; the decided form for a decision,
 * which has at most one; the form whose status changed). */
enum publog_kind { PUBLOG_FORM = 1, PUBLOG_DECISION = 2, PUBLOG_STATUS = 3 };
#define PUBLOG_ID_BITS 30
#define PUBLOG_ID_MAX ((INT64_C(1) << PUBLOG_ID_BITS) - 1)

struct publog_locators {
    uint32_t *of_leaf;
    int64_t cap;
};

struct publog;
/* The entry (a receipt's 32 bytes) of leaf `leaf`, from publog_locate's
 * answer and what the owner keeps; false when it has none. */
typedef bool (*publog_entry_fn)(void *ctx, struct publog *p, int64_t leaf, unsigned char entry[32]);

struct publog {
    struct merkle tree;
    struct publog_index of_form, of_decision;
    struct publog_locators where;
    publog_entry_fn entry_of;
    void *entry_ctx;
    const struct sign_key *key; /* NULL: heads are not signed */
    char public_hex[2 * SIGN_PUBLIC_KEY + 1];
    struct publog_head head;
};

int publog_init(struct publog *p, const struct sign_key *key);
void publog_free(struct publog *p);
/* Who gives entries back (kept across publog_reset). Without it, proofs that
 * need the inside of a complete block fail (MERKLE_MISMATCH). */
void publog_set_entries(struct publog *p, publog_entry_fn entry_of, void *ctx);
/* Empties the log, keeping its key and entries (a failed load starts again from nothing). */
int publog_reset(struct publog *p);
int publog_reserve(struct publog *p, int64_t n_forms);
/* Appends a committed form's receipt as the next leaf (out of memory ends the
 * process, core/mem.h: a tree missing a leaf would sign a false history, and
 * a restart rebuilds it from the database). */
void publog_add_form(struct publog *p, int64_t form_id, const unsigned char receipt[32]);
/* Appends a reviewer's decision (on form form_id) as the next leaf. */
void publog_add_decision(struct publog *p, int64_t decision_id, int64_t form_id,
                         const unsigned char receipt[32]);
/* Appends a status change of form form_id (which has no id of its own) as the next leaf. */
void publog_add_status(struct publog *p, int64_t form_id, const unsigned char receipt[32]);
/* What leaf `leaf` (< publog_size) is: its kind, and the form's id. */
enum publog_kind publog_locate(const struct publog *p, int64_t leaf, int64_t *form_id);
/* The leaf index of a form or of a decision, or -1 when it is not (yet) in the log. */
int64_t publog_leaf_of_form(const struct publog *p, int64_t form_id);
int64_t publog_leaf_of_decision(const struct publog *p, int64_t decision_id);
/* Whether leaf `leaf` (< publog_size) is the leaf of this entry (a receipt):
 * false too when its block does not check against the tree (merkle_leaf). */
bool publog_leaf_is(struct publog *p, int64_t leaf, const unsigned char receipt[32]);
/* The bytes the log holds: the tree, the locators and both indexes. */
size_t publog_bytes(const struct publog *p);
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
/* {"leaf_index", "tree_size", "audit_path"} into *out: 0; -1 when leaf >=
 * tree_size or tree_size is beyond the tree; MERKLE_MISMATCH when an entry
 * given back did not check (a bug: answer 500, never a proof). */
int publog_inclusion_json(struct publog *p, int64_t leaf, int64_t tree_size, cJSON **out);
/* {"first", "second", "proof"} into *out: 0; -1 unless 0 <= first <= second
 * <= size; MERKLE_MISMATCH as above. */
int publog_consistency_json(struct publog *p, int64_t first, int64_t second, cJSON **out);

#endif
