/* See merkle.h. Subtrees are named by (level k, index i): the 2^k leaves
 * [i * 2^k, (i + 1) * 2^k). The RFC's recursion only ever splits a range
 * [a, b) into such aligned blocks, so every left part it meets is a stored
 * (or cheaply recomputed) complete subtree and only the right edge of the
 * tree needs hashing. */
#include "merkle.h"
#include "core/err.h"
#include "core/mem.h"

#define OPENSSL_SUPPRESS_DEPRECATED /* see digest() */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* ---- hashing ----------------------------------------------------------- */

/* SHA-256 of one short message. OpenSSL 3 marks SHA256_Init and friends
 * deprecated in favour of EVP, but for these 33- and 65-byte inputs EVP's
 * per-digest set-up (allocation, provider dispatch) measured 3 to 5 times the
 * cost of the hashing itself, and the start-up rebuild of millions of leaves
 * is bound by this call. SHA256() is not deprecated but fetches too. */
static void digest(unsigned char prefix, const void *a, const void *b, merkle_hash out)
{
    unsigned char in[1 + 2 * MERKLE_HASH];
    size_t len = 1 + MERKLE_HASH;
    in[0] = prefix;
    memcpy(in + 1, a, MERKLE_HASH);
    if (b) {
        memcpy(in + len, b, MERKLE_HASH);
        len += MERKLE_HASH;
    }
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, in, len);
    SHA256_Final(out, &ctx);
}

static void node_of(struct merkle *t, const merkle_hash l, const merkle_hash r, merkle_hash out)
{
    (void)t;
    digest(0x01, l, r, out);
}

void merkle_leaf_hash(const unsigned char entry[MERKLE_HASH], merkle_hash out)
{
    digest(0x00, entry, NULL, out);
}

void merkle_node_hash(const merkle_hash left, const merkle_hash right, merkle_hash out)
{
    digest(0x01, left, right, out);
}

/* ---- storage ----------------------------------------------------------- */

int merkle_init(struct merkle *t, merkle_entry_fn entry_of, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->entry_of = entry_of;
    t->ctx = ctx;
    t->cached_block[0] = t->cached_block[1] = -1;
    return SU_OK;
}

void merkle_free(struct merkle *t)
{
    for (int k = 0; k < MERKLE_LEVELS; k++)
        free(t->levels[k].node);
    memset(t, 0, sizeof *t);
    t->cached_block[0] = t->cached_block[1] = -1;
}

/* Room for n nodes: growing by half while the tree grows (doubling could
 * leave half of a large array unused), n and an eighth more when `exact`
 * (the start-up rebuild knows how many it loads; the night goes on). */
static int level_reserve(struct merkle_level *v, int64_t n, bool exact)
{
    if (n <= v->cap)
        return SU_OK;
    int64_t cap = v->cap ? v->cap : 64;
    while (cap < n)
        cap += cap / 2 + 64; /* + 64: an exact reservation may have left a capacity of 1 */
    if (exact)
        cap = n + n / 8;
    v->node = xrealloc(v->node, (size_t)cap * sizeof *v->node);
    v->cap = cap;
    return SU_OK;
}

int merkle_reserve(struct merkle *t, int64_t n)
{
    for (int k = MERKLE_BLOCK_LEVELS; k < MERKLE_LEVELS && (n >> k) > 0; k++) {
        if (level_reserve(&t->levels[k], n >> k, true) != SU_OK)
            return SU_NOMEM;
    }
    return SU_OK;
}

/* Where level k (< MERKLE_BLOCK_LEVELS) of a block starts among its nodes:
 * the 8 leaves, then 4 nodes, then 2. */
static int block_offset(int k)
{
    return 2 * MERKLE_BLOCK - (2 * MERKLE_BLOCK >> k);
}

/* Hashes a block's leaves (nodes[0..7]) up level by level into nodes, and
 * its root into root. */
static void hash_block(merkle_hash nodes[2 * MERKLE_BLOCK - 2], merkle_hash root)
{
    for (int k = 1; k <= MERKLE_BLOCK_LEVELS; k++) {
        merkle_hash *below = nodes + block_offset(k - 1);
        merkle_hash *here = k < MERKLE_BLOCK_LEVELS ? nodes + block_offset(k) : NULL;
        for (int i = 0; i < MERKLE_BLOCK >> k; i++)
            digest(0x01, below[2 * i], below[2 * i + 1], here ? here[i] : root);
    }
}

/* The nodes of complete block j from the cache, recomputed into it first
 * when absent: its entries asked for again, hashed, and the block's root
 * checked against the stored one. NULL (and t->failed) when an entry is
 * missing or the root differs. */
static merkle_hash *block_nodes(struct merkle *t, int64_t j)
{
    for (int c = 0; c < 2; c++) {
        if (t->cached_block[c] == j) {
            t->cache_older = 1 - c;
            return t->cached[c];
        }
    }
    int c = t->cache_older;
    merkle_hash *nodes = t->cached[c];
    t->cached_block[c] = -1;
    for (int i = 0; i < MERKLE_BLOCK; i++) {
        unsigned char entry[MERKLE_HASH];
        if (!t->entry_of || !t->entry_of(t->ctx, j * MERKLE_BLOCK + i, entry)) {
            t->failed = true;
            return NULL;
        }
        digest(0x00, entry, NULL, nodes[i]);
    }
    merkle_hash root;
    hash_block(nodes, root);
    if (memcmp(root, t->levels[MERKLE_BLOCK_LEVELS].node[j], MERKLE_HASH) != 0) {
        t->failed = true;
        return NULL;
    }
    t->cached_block[c] = j;
    t->cache_older = 1 - c;
    return nodes;
}

/* The root of complete subtree (k, i), which must lie inside the leaves:
 * stored from level 3 up; below, from the tail's leaf hashes or from the
 * recomputed block (zeros and t->failed when that does not check). */
static void complete(struct merkle *t, int k, int64_t i, merkle_hash out)
{
    if (k >= MERKLE_BLOCK_LEVELS) {
        memcpy(out, t->levels[k].node[i], MERKLE_HASH);
        return;
    }
    int64_t j = i >> (MERKLE_BLOCK_LEVELS - k);
    int64_t within = i - (j << (MERKLE_BLOCK_LEVELS - k));
    if (j == t->n / MERKLE_BLOCK) { /* in the tail: a few hashes of what it holds */
        if (k == 0) {
            memcpy(out, t->tail[within], MERKLE_HASH);
        } else {
            merkle_hash l, r;
            complete(t, k - 1, 2 * i, l);
            complete(t, k - 1, 2 * i + 1, r);
            node_of(t, l, r, out);
        }
    } else {
        merkle_hash *nodes = block_nodes(t, j);
        if (nodes)
            memcpy(out, nodes[block_offset(k) + within], MERKLE_HASH);
        else
            memset(out, 0, MERKLE_HASH);
    }
}

int merkle_append(struct merkle *t, const unsigned char entry[MERKLE_HASH])
{
    int64_t n = t->n;
    /* Room for every subtree this leaf completes, before anything changes. */
    for (int k = MERKLE_BLOCK_LEVELS; k < MERKLE_LEVELS && ((n + 1) & ((INT64_C(1) << k) - 1)) == 0;
         k++) {
        if (level_reserve(&t->levels[k], ((n + 1) >> k), false) != SU_OK)
            return SU_NOMEM;
    }
    digest(0x00, entry, NULL, t->tail[n % MERKLE_BLOCK]);
    t->n = ++n;
    if (n % MERKLE_BLOCK != 0)
        return SU_OK;
    /* A block completes: its root from the tail, then every larger subtree
     * it completes from the two below. */
    merkle_hash nodes[2 * MERKLE_BLOCK - 2];
    memcpy(nodes, t->tail, sizeof t->tail);
    int64_t j = n / MERKLE_BLOCK - 1;
    hash_block(nodes, t->levels[MERKLE_BLOCK_LEVELS].node[j]);
    t->levels[MERKLE_BLOCK_LEVELS].n = j + 1;
    for (int k = MERKLE_BLOCK_LEVELS + 1; k < MERKLE_LEVELS && (n & ((INT64_C(1) << k) - 1)) == 0;
         k++) {
        int64_t i = (n >> k) - 1;
        const struct merkle_level *below = &t->levels[k - 1];
        node_of(t, below->node[2 * i], below->node[2 * i + 1], t->levels[k].node[i]);
        t->levels[k].n = i + 1;
    }
    return SU_OK;
}

int merkle_leaf(struct merkle *t, int64_t index, merkle_hash out)
{
    if (index < 0 || index >= t->n)
        return -1;
    t->failed = false;
    complete(t, 0, index, out);
    return t->failed ? MERKLE_MISMATCH : 0;
}

/* ---- the RFC's recursion ----------------------------------------------- */

/* The largest power of two strictly below n (n >= 2). */
static int64_t split_of(int64_t n)
{
    int64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static int level_of(int64_t n) /* n a power of two */
{
    int k = 0;
    while ((INT64_C(1) << k) < n)
        k++;
    return k;
}

/* MTH(D[a:b]) for a range the recursion produces (a aligned to the split). */
static void range_root(struct merkle *t, int64_t a, int64_t b, merkle_hash out)
{
    int64_t n = b - a;
    if ((n & (n - 1)) == 0 && a % n == 0) {
        complete(t, level_of(n), a / n, out);
        return;
    }
    int64_t k = split_of(n);
    merkle_hash l, r;
    range_root(t, a, a + k, l);
    range_root(t, a + k, b, r);
    node_of(t, l, r, out);
}

int merkle_root(struct merkle *t, int64_t size, merkle_hash out)
{
    if (size <= 0) {
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Final(out, &ctx);
        return 0;
    }
    t->failed = false;
    range_root(t, 0, size, out);
    if (t->failed)
        memset(out, 0, MERKLE_HASH);
    return t->failed ? MERKLE_MISMATCH : 0;
}

/* PATH(m, D[a:b]) appended leaf side first; returns the new count. */
static int path_of(struct merkle *t, int64_t m, int64_t a, int64_t b, merkle_hash *out, int n)
{
    if (b - a <= 1)
        return n;
    int64_t k = split_of(b - a);
    if (m < k) {
        n = path_of(t, m, a, a + k, out, n);
        range_root(t, a + k, b, out[n]);
    } else {
        n = path_of(t, m - k, a + k, b, out, n);
        range_root(t, a, a + k, out[n]);
    }
    return n + 1;
}

int merkle_inclusion(struct merkle *t, int64_t index, int64_t size,
                     merkle_hash path[MERKLE_PROOF_MAX])
{
    if (index < 0 || index >= size || size > t->n)
        return -1;
    t->failed = false;
    int n = path_of(t, index, 0, size, path, 0);
    return t->failed ? MERKLE_MISMATCH : n;
}

/* SUBPROOF(m, D[a:b], whole) appended deepest first; returns the new count. */
static int subproof(struct merkle *t, int64_t m, int64_t a, int64_t b, bool whole, merkle_hash *out,
                    int n)
{
    if (m == b - a) {
        if (!whole)
            range_root(t, a, b, out[n++]);
        return n;
    }
    int64_t k = split_of(b - a);
    if (m <= k) {
        n = subproof(t, m, a, a + k, whole, out, n);
        range_root(t, a + k, b, out[n]);
    } else {
        n = subproof(t, m - k, a + k, b, false, out, n);
        range_root(t, a, a + k, out[n]);
    }
    return n + 1;
}

int merkle_consistency(struct merkle *t, int64_t first, int64_t second,
                       merkle_hash proof[MERKLE_PROOF_MAX])
{
    if (first < 0 || first > second || second > t->n)
        return -1;
    if (first == 0 || first == second)
        return 0;
    t->failed = false;
    int n = subproof(t, first, 0, second, true, proof, 0);
    return t->failed ? MERKLE_MISMATCH : n;
}

/* ---- verifiers (RFC 9162 2.1.3.2, 2.1.4.2) ------------------------------ */

/* The step both verifiers take for each proof node (2.1.3.2 step 4, 2.1.4.2
 * step 6): whether the node is the left sibling ("LSB(fn) is set, or fn is
 * equal to sn"), with fn and sn shifted as the RFC says. */
static bool node_is_left(uint64_t *fn, uint64_t *sn)
{
    bool left = (*fn & 1) || *fn == *sn;
    while (left && !(*fn & 1) && *fn != 0) {
        *fn >>= 1;
        *sn >>= 1;
    }
    *fn >>= 1;
    *sn >>= 1;
    return left;
}

bool merkle_verify_inclusion(const merkle_hash leaf, int64_t index, int64_t size,
                             const merkle_hash *path, int n, const merkle_hash root)
{
    if (index < 0 || index >= size)
        return false;
    uint64_t fn = (uint64_t)index, sn = (uint64_t)size - 1;
    merkle_hash r;
    memcpy(r, leaf, MERKLE_HASH);
    for (int i = 0; i < n; i++) {
        if (sn == 0)
            return false;
        if (node_is_left(&fn, &sn))
            merkle_node_hash(path[i], r, r);
        else
            merkle_node_hash(r, path[i], r);
    }
    return sn == 0 && memcmp(r, root, MERKLE_HASH) == 0;
}

bool merkle_verify_consistency(int64_t first, int64_t second, const merkle_hash first_root,
                               const merkle_hash second_root, const merkle_hash *proof, int n)
{
    if (first < 0 || first > second)
        return false;
    if (first == second)
        return n == 0 && memcmp(first_root, second_root, MERKLE_HASH) == 0;
    if (first == 0)
        return n == 0; /* the empty tree is a prefix of every tree */
    if (n == 0 || n >= MERKLE_PROOF_MAX)
        return false;
    merkle_hash path[MERKLE_PROOF_MAX];
    int len = 0;
    if ((first & (first - 1)) == 0) /* the first tree is itself a node of the second */
        memcpy(path[len++], first_root, MERKLE_HASH);
    memcpy(path + len, proof, (size_t)n * MERKLE_HASH);
    len += n;
    uint64_t fn = (uint64_t)first - 1, sn = (uint64_t)second - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    merkle_hash fr, sr;
    memcpy(fr, path[0], MERKLE_HASH);
    memcpy(sr, path[0], MERKLE_HASH);
    for (int i = 1; i < len; i++) {
        if (sn == 0)
            return false;
        if (node_is_left(&fn, &sn)) {
            merkle_node_hash(path[i], fr, fr);
            merkle_node_hash(path[i], sr, sr);
        } else {
            merkle_node_hash(sr, path[i], sr);
        }
    }
    return sn == 0 && memcmp(fr, first_root, MERKLE_HASH) == 0 &&
           memcmp(sr, second_root, MERKLE_HASH) == 0;
}
