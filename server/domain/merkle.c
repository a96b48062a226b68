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

/* Levels below this are recomputed from the leaves: a subtree of 8 leaves is
 * 7 hashes when a proof needs it, and keeping the 8-leaf roots would cost 4
 * more bytes a leaf (the budget is about 40). Appending costs the
 * same either way: a block's halves are recomputed once, when it completes. */
#define STORED_FROM 4

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

int merkle_init(struct merkle *t)
{
    memset(t, 0, sizeof *t);
    return SU_OK;
}

void merkle_free(struct merkle *t)
{
    free(t->leaves.node);
    for (int k = 0; k < MERKLE_LEVELS; k++)
        free(t->levels[k].node);
    memset(t, 0, sizeof *t);
}

/* Room for n nodes: growing by half while the tree grows (doubling could
 * leave half of a 130 MB array unused), n and an eighth more when `exact`
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
    if (level_reserve(&t->leaves, n, true) != SU_OK)
        return SU_NOMEM;
    for (int k = STORED_FROM; k < MERKLE_LEVELS && (n >> k) > 0; k++) {
        if (level_reserve(&t->levels[k], n >> k, true) != SU_OK)
            return SU_NOMEM;
    }
    return SU_OK;
}

/* The root of complete subtree (k, i), which must lie inside the leaves. */
static void complete(struct merkle *t, int k, int64_t i, merkle_hash out)
{
    if (k == 0) {
        memcpy(out, t->leaves.node[i], MERKLE_HASH);
    } else if (k >= STORED_FROM) {
        memcpy(out, t->levels[k].node[i], MERKLE_HASH);
    } else {
        merkle_hash l, r;
        complete(t, k - 1, 2 * i, l);
        complete(t, k - 1, 2 * i + 1, r);
        node_of(t, l, r, out);
    }
}

int merkle_append(struct merkle *t, const unsigned char entry[MERKLE_HASH])
{
    int64_t n = t->leaves.n;
    if (level_reserve(&t->leaves, n + 1, false) != SU_OK)
        return SU_NOMEM;
    /* Room for every subtree this leaf completes, before anything changes. */
    for (int k = STORED_FROM; k < MERKLE_LEVELS && ((n + 1) & ((INT64_C(1) << k) - 1)) == 0; k++) {
        if (level_reserve(&t->levels[k], ((n + 1) >> k), false) != SU_OK)
            return SU_NOMEM;
    }
    digest(0x00, entry, NULL, t->leaves.node[n]);
    t->leaves.n = ++n;
    for (int k = STORED_FROM; k < MERKLE_LEVELS && (n & ((INT64_C(1) << k) - 1)) == 0; k++) {
        int64_t i = (n >> k) - 1;
        merkle_hash l, r;
        complete(t, k - 1, 2 * i, l);
        complete(t, k - 1, 2 * i + 1, r);
        node_of(t, l, r, t->levels[k].node[i]);
        t->levels[k].n = i + 1;
    }
    return SU_OK;
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

void merkle_root(struct merkle *t, int64_t size, merkle_hash out)
{
    if (size <= 0) {
        SHA256_CTX ctx;
        SHA256_Init(&ctx);
        SHA256_Final(out, &ctx);
        return;
    }
    range_root(t, 0, size, out);
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
    if (index < 0 || index >= size || size > t->leaves.n)
        return -1;
    return path_of(t, index, 0, size, path, 0);
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
    if (first < 0 || first > second || second > t->leaves.n)
        return -1;
    if (first == 0 || first == second)
        return 0;
    return subproof(t, first, 0, second, true, proof, 0);
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
