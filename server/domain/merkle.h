/* The Merkle tree of the public log (RFC 9162, section 2.1), in memory.
 *
 *   leaf hash = SHA-256(0x00 || entry)        entry: a receipt's 32 bytes
 *   node hash = SHA-256(0x01 || left || right)
 *   the root of n leaves splits at k, the largest power of two below n
 *
 * What is kept: every leaf hash (32 bytes) and the root of every complete,
 * aligned subtree of 16 leaves or more (32 bytes per 16 + 32 + ... leaves:
 * 4 bytes per leaf), so about 36 bytes a leaf, never every node. Subtrees of
 * 2, 4 and 8 leaves are recomputed when a proof needs them (at most 7 hashes).
 * Appending is O(log n) at worst (O(1) on average); the root of any earlier
 * size, inclusion proofs and consistency proofs take O(log n) hashes and
 * never more than one walk down the tree. Pure logic, no I/O; SHA-256 comes
 * from libcrypto, which uses the CPU's SHA instructions (rebuilding the tree
 * of millions of stored receipts at start-up is bounded by it). */
#ifndef SUARA_DOMAIN_MERKLE_H
#define SUARA_DOMAIN_MERKLE_H

#include <stdbool.h>
#include <stdint.h>

#define MERKLE_HASH 32
#define MERKLE_LEVELS 48    /* 2^48 leaves: far beyond any election */
#define MERKLE_PROOF_MAX 64 /* hashes in any proof of a tree of at most 2^48 leaves */

typedef unsigned char merkle_hash[MERKLE_HASH];

struct merkle_level {
    merkle_hash *node;
    int64_t n, cap;
};

struct merkle {
    struct merkle_level leaves;
    struct merkle_level levels[MERKLE_LEVELS]; /* [k]: complete subtrees of 2^k leaves, k >= 3 */
};

int merkle_init(struct merkle *t);
void merkle_free(struct merkle *t);
/* Makes room for n leaves, so a start-up rebuild does not grow step by step. */
int merkle_reserve(struct merkle *t, int64_t n);
/* Appends the leaf of one entry (a receipt). SU_OK or SU_NOMEM. */
int merkle_append(struct merkle *t, const unsigned char entry[MERKLE_HASH]);
static inline int64_t merkle_size(const struct merkle *t)
{
    return t->leaves.n;
}

/* The root hash of the tree's first `size` leaves (0 <= size <= merkle_size);
 * the empty tree's root is SHA-256 of nothing. */
void merkle_root(struct merkle *t, int64_t size, merkle_hash out);
/* The audit path of leaf `index` in the tree of the first `size` leaves
 * (RFC 9162 2.1.3.1), leaf side first. Returns the number of hashes, or -1
 * when index >= size or size > merkle_size. */
int merkle_inclusion(struct merkle *t, int64_t index, int64_t size,
                     merkle_hash path[MERKLE_PROOF_MAX]);
/* The consistency proof from the first `first` leaves to the first `second`
 * (RFC 9162 2.1.4.1); empty when first is 0 or first == second. Returns the
 * number of hashes, or -1 unless 0 <= first <= second <= merkle_size. */
int merkle_consistency(struct merkle *t, int64_t first, int64_t second,
                       merkle_hash proof[MERKLE_PROOF_MAX]);

/* The two hashes, for verifiers. */
void merkle_leaf_hash(const unsigned char entry[MERKLE_HASH], merkle_hash out);
void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash out);
/* Verifiers as RFC 9162 2.1.3.2 and 2.1.4.2 write them, independent of any tree
 * in memory (the monitor uses them against a server's answers). */
bool merkle_verify_inclusion(const merkle_hash leaf, int64_t index, int64_t size,
                             const merkle_hash *path, int n, const merkle_hash root);
bool merkle_verify_consistency(int64_t first, int64_t second, const merkle_hash first_root,
                               const merkle_hash second_root, const merkle_hash *proof, int n);

#endif
