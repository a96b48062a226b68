/* The Merkle tree of the public log (RFC 9162, section 2.1), in memory.
 *
 *   leaf hash = SHA-256(0x00 || entry)        entry: a receipt's 32 bytes
 *   node hash = SHA-256(0x01 || left || right)
 *   the root of n leaves splits at k, the largest power of two below n
 *
 * What is kept: the root of every complete, aligned subtree of 8 leaves or
 * more (a "block" of 8, then 16, 32 ...: 32 bytes per 8 + 16 + ... leaves, 8
 * bytes a leaf) and the leaf hashes of the last, incomplete block; never every
 * node, nor the other leaf hashes. Every entry is held in memory by the tree's
 * owner anyway (a form's receipt, a decision's, a status change found again by
 * replaying the rules), so when a proof needs the inside of a complete block
 * the tree asks the owner for its 8 entries (`merkle_entry_fn`), hashes them
 * and checks the block against its stored root before using any of it: a
 * recomputed entry that is not the one appended makes the call fail, never a
 * wrong proof. Appending is O(log n) at worst (O(1) on average) and asks for
 * nothing; the root of any earlier size, inclusion and consistency proofs take
 * O(log n) hashes plus at most 8 entries of each of at most two blocks. Pure
 * logic, no I/O; SHA-256 comes from libcrypto, which uses the CPU's SHA
 * instructions (rebuilding the tree of millions of stored receipts at start-up
 * is bounded by it). */
#ifndef SUARA_DOMAIN_MERKLE_H
#define SUARA_DOMAIN_MERKLE_H

#include <stdbool.h>
#include <stdint.h>

#define MERKLE_HASH 32
#define MERKLE_LEVELS 48    /* 2^48 leaves: far beyond any election */
#define MERKLE_PROOF_MAX 64 /* hashes in any proof of a tree of at most 2^48 leaves */
/* The smallest stored subtree has 2^MERKLE_BLOCK_LEVELS leaves: chosen by
 * measurement (docs/benchmarks.md, "The public log's memory"). */
#ifndef MERKLE_BLOCK_LEVELS /* a benchmark may build with another, docs/benchmarks.md */
#define MERKLE_BLOCK_LEVELS 3
#endif
#define MERKLE_BLOCK (1 << MERKLE_BLOCK_LEVELS)
/* What the calls below return when a recomputed block did not match its
 * stored root (or an entry could not be given): the owner's entries are no
 * longer the ones appended, a bug to report, never a proof to send. */
#define MERKLE_MISMATCH (-2)

typedef unsigned char merkle_hash[MERKLE_HASH];

/* The entry (32 bytes) of leaf `index`, which lies in a complete block:
 * asked by proofs only, never while appending. false when there is none. */
typedef bool (*merkle_entry_fn)(void *ctx, int64_t index, unsigned char entry[MERKLE_HASH]);

struct merkle_level {
    merkle_hash *node;
    int64_t n, cap;
};

struct merkle {
    int64_t n;                                 /* leaves */
    merkle_hash tail[MERKLE_BLOCK];            /* leaf hashes of the incomplete last block */
    struct merkle_level levels[MERKLE_LEVELS]; /* [k]: complete subtrees of 2^k leaves, k >= 3 */
    merkle_entry_fn entry_of;
    void *ctx;
    /* The last two complete blocks recomputed (a proof asks for several
     * nodes of each of at most two): their nodes below the stored root,
     * level by level; the older one is replaced first. */
    int64_t cached_block[2]; /* -1: none */
    merkle_hash cached[2][2 * MERKLE_BLOCK - 2];
    int cache_older;
    bool failed; /* a block did not check during the current call */
};

/* entry_of (with ctx) gives back the entries of complete blocks; NULL makes
 * every proof that needs one fail with MERKLE_MISMATCH. */
int merkle_init(struct merkle *t, merkle_entry_fn entry_of, void *ctx);
void merkle_free(struct merkle *t);
/* Makes room for n leaves, so a start-up rebuild does not grow step by step. */
int merkle_reserve(struct merkle *t, int64_t n);
/* Appends the leaf of one entry (a receipt). SU_OK or SU_NOMEM. */
int merkle_append(struct merkle *t, const unsigned char entry[MERKLE_HASH]);
static inline int64_t merkle_size(const struct merkle *t)
{
    return t->n;
}

/* The root hash of the tree's first `size` leaves (0 <= size <= merkle_size)
 * into out; the empty tree's root is SHA-256 of nothing. 0, or
 * MERKLE_MISMATCH (out zeroed). The root of the whole tree never recomputes. */
int merkle_root(struct merkle *t, int64_t size, merkle_hash out);
/* The hash of leaf `index` as the tree holds it (its block checked against
 * the stored root): 0, -1 when index is not a leaf, or MERKLE_MISMATCH. */
int merkle_leaf(struct merkle *t, int64_t index, merkle_hash out);
/* The audit path of leaf `index` in the tree of the first `size` leaves
 * (RFC 9162 2.1.3.1), leaf side first. Returns the number of hashes, -1
 * when index >= size or size > merkle_size, or MERKLE_MISMATCH. */
int merkle_inclusion(struct merkle *t, int64_t index, int64_t size,
                     merkle_hash path[MERKLE_PROOF_MAX]);
/* The consistency proof from the first `first` leaves to the first `second`
 * (RFC 9162 2.1.4.1); empty when first is 0 or first == second. Returns the
 * number of hashes, -1 unless 0 <= first <= second <= merkle_size, or
 * MERKLE_MISMATCH. */
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
