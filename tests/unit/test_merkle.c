/* The log's Merkle tree against a naive RFC 9162 recursion over every leaf:
 * roots of every size, every inclusion proof and every consistency proof of
 * trees up to 200 leaves, each checked by the RFC's verifiers (which must
 * also refuse a proof that was tampered with). Two roots were computed with
 * Python's hashlib from the RFC's definition, as an outside reference. */
#include "core/err.h"
#include "core/sha256.h"
#include "domain/merkle.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define N_MAX 200

static merkle_hash entries[1000];
static int64_t asked; /* entries given back so far */

/* The tree's owner: entries[] holds every entry (merkle_entry_fn). */
static bool entry_of(void *ctx, int64_t index, unsigned char entry[MERKLE_HASH])
{
    (void)ctx;
    if (index < 0 || index >= 1000)
        return false;
    asked++;
    memcpy(entry, entries[index], MERKLE_HASH);
    return true;
}

/* entry i = SHA-256 of the decimal text of i */
static void make_entries(void)
{
    for (int i = 0; i < 1000; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "%d", i);
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, text, (size_t)n);
        sha256_final(&s, entries[i]);
    }
}

static void naive_root(int a, int b, merkle_hash out)
{
    if (b - a == 1) {
        merkle_leaf_hash(entries[a], out);
        return;
    }
    int k = 1;
    while (k * 2 < b - a)
        k *= 2;
    merkle_hash l, r;
    naive_root(a, a + k, l);
    naive_root(a + k, b, r);
    merkle_node_hash(l, r, out);
}

static struct merkle *tree_of(int n)
{
    struct merkle *t = malloc(sizeof *t);
    assert_int_equal(merkle_init(t, entry_of, NULL), SU_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(merkle_append(t, entries[i]), SU_OK);
    return t;
}

static void drop(struct merkle *t)
{
    merkle_free(t);
    free(t);
}

static void test_roots_match_python(void **state)
{
    char hex[65];
    merkle_hash root;
    struct merkle *t = tree_of(1000);
    assert_int_equal(merkle_root(t, 7, root), 0);
    hex_encode(root, 32, hex);
    assert_string_equal(hex, "5653c4ab2514ccd6ea4f0159702d2aba901f2562aa75abcff5a19e344bee038f");
    assert_int_equal(merkle_root(t, 1000, root), 0);
    hex_encode(root, 32, hex);
    assert_string_equal(hex, "3b93b70ed68de7847cfafb398f3df0cf232fe05dfb117f8a8cf9dc31990ddb3b");
    assert_int_equal(merkle_root(t, 0, root), 0);
    hex_encode(root, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    drop(t);
}

/* The worked example of docs/api.md: receipts SHA-256("receipt 1".."3"). */
static void test_worked_example_of_the_docs(void **state)
{
    struct merkle t;
    assert_int_equal(merkle_init(&t, entry_of, NULL), SU_OK);
    for (int i = 1; i <= 3; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "receipt %d", i);
        struct sha256 s;
        merkle_hash receipt;
        sha256_init(&s);
        sha256_update(&s, text, (size_t)n);
        sha256_final(&s, receipt);
        assert_int_equal(merkle_append(&t, receipt), SU_OK);
    }
    char hex[65];
    merkle_hash root, path[MERKLE_PROOF_MAX];
    assert_int_equal(merkle_root(&t, 3, root), 0);
    hex_encode(root, 32, hex);
    assert_string_equal(hex, "a5b5d7c719c9eccbf816a1bc650116cbcd8cff660301195d97b220726da4a7c7");
    assert_int_equal(merkle_inclusion(&t, 0, 3, path), 2);
    hex_encode(path[0], 32, hex);
    assert_string_equal(hex, "820a5d4a72f660e4275c6ffc045cff47a9f325a1557c161b05deee6b5dcb6a80");
    hex_encode(path[1], 32, hex);
    assert_string_equal(hex, "9ca5c1f4a0e8d1678055116ee0b881476e3daa793a30a490cb6da9322704ed40");
    assert_int_equal(merkle_inclusion(&t, 2, 3, path), 1);
    hex_encode(path[0], 32, hex);
    assert_string_equal(hex, "64fd1f5c1f1d8beab54d15ef9c2ad416268c8fa351d649bb5b9e350a4889ab64");
    assert_int_equal(merkle_consistency(&t, 2, 3, path), 1);
    hex_encode(path[0], 32, hex);
    assert_string_equal(hex, "9ca5c1f4a0e8d1678055116ee0b881476e3daa793a30a490cb6da9322704ed40");
    merkle_free(&t);
}

static void test_every_root_and_inclusion(void **state)
{
    struct merkle *t = tree_of(N_MAX);
    for (int n = 1; n <= N_MAX; n++) {
        merkle_hash want, got;
        naive_root(0, n, want);
        assert_int_equal(merkle_root(t, n, got), 0);
        assert_memory_equal(want, got, 32);
        for (int i = 0; i < n; i++) {
            merkle_hash path[MERKLE_PROOF_MAX], leaf;
            int len = merkle_inclusion(t, i, n, path);
            assert_true(len >= 0 && len <= 8);
            merkle_leaf_hash(entries[i], leaf);
            assert_true(merkle_verify_inclusion(leaf, i, n, path, len, want));
            /* Another leaf, index, size or a flipped bit: refused. */
            merkle_hash other;
            merkle_leaf_hash(entries[i + 1], other);
            assert_false(merkle_verify_inclusion(other, i, n, path, len, want));
            if (n > 1)
                assert_false(merkle_verify_inclusion(leaf, (i + 1) % n, n, path, len, want));
            if (len > 0) {
                path[len - 1][5] ^= 1;
                assert_false(merkle_verify_inclusion(leaf, i, n, path, len, want));
                assert_false(merkle_verify_inclusion(leaf, i, n, path, len - 1, want));
            }
        }
    }
    drop(t);
}

static void test_every_consistency(void **state)
{
    struct merkle *t = tree_of(N_MAX);
    merkle_hash roots[N_MAX + 1];
    for (int n = 0; n <= N_MAX; n++)
        assert_int_equal(merkle_root(t, n, roots[n]), 0);
    for (int n = 1; n <= N_MAX; n++) {
        for (int m = 0; m <= n; m++) {
            merkle_hash proof[MERKLE_PROOF_MAX];
            int len = merkle_consistency(t, m, n, proof);
            assert_true(len >= 0 && len <= 16);
            assert_true(merkle_verify_consistency(m, n, roots[m], roots[n], proof, len));
            if (m == 0 || m == n)
                continue;
            /* A different first tree (a rewritten history) is refused. */
            assert_false(merkle_verify_consistency(m, n, roots[m - 1], roots[n], proof, len));
            assert_false(merkle_verify_consistency(m, n, roots[m], roots[n - 1], proof, len));
            proof[0][0] ^= 0x80;
            assert_false(merkle_verify_consistency(m, n, roots[m], roots[n], proof, len));
        }
    }
    drop(t);
}

/* Forgets the recomputed blocks, so the next call pays for what it needs. */
static void forget_blocks(struct merkle *t)
{
    t->cached_block[0] = t->cached_block[1] = -1;
}

/* The tree as it grows, leaf by leaf, so that every size from 0 to N_GROWN
 * is once the whole tree with its incomplete last block (the tests above
 * only see trees of 200 and 1000 leaves, whose last block is complete):
 * every root of an earlier size, every inclusion and every consistency proof
 * against the naive recursion, at the block boundaries (7, 8, 9, 15, 16, 17,
 * 63, 64, 65 ...) and for first == second and first inside a block. Each
 * call, with nothing recomputed before it, asks for at most two blocks' 8
 * entries (merkle.h's bound). */
#define N_GROWN 72
static void test_every_proof_while_the_tree_grows(void **state)
{
    struct merkle t;
    assert_int_equal(merkle_init(&t, entry_of, NULL), SU_OK);
    static merkle_hash roots[N_GROWN + 1];
    for (int n = 0; n <= N_GROWN; n++) {
        if (n > 0)
            naive_root(0, n, roots[n]);
        else
            assert_int_equal(merkle_root(&t, 0, roots[0]), 0);
    }
    for (int size = 0; size <= N_GROWN; size++) {
        if (size > 0)
            assert_int_equal(merkle_append(&t, entries[size - 1]), SU_OK);
        for (int n = 0; n <= size; n++) {
            merkle_hash got, path[MERKLE_PROOF_MAX];
            forget_blocks(&t);
            asked = 0;
            assert_int_equal(merkle_root(&t, n, got), 0);
            assert_memory_equal(got, roots[n], MERKLE_HASH);
            assert_true(asked <= MERKLE_BLOCK); /* the block of leaf n - 1 at most */
            for (int i = 0; i < n; i++) {
                merkle_hash leaf;
                forget_blocks(&t);
                asked = 0;
                int len = merkle_inclusion(&t, i, n, path);
                assert_true(len >= 0 && asked <= 2 * MERKLE_BLOCK);
                merkle_leaf_hash(entries[i], leaf);
                assert_true(merkle_verify_inclusion(leaf, i, n, path, len, roots[n]));
                assert_int_equal(merkle_leaf(&t, i, got), 0);
                assert_memory_equal(got, leaf, MERKLE_HASH);
            }
            for (int m = 0; m <= n; m++) {
                forget_blocks(&t);
                asked = 0;
                int len = merkle_consistency(&t, m, n, path);
                assert_true(len >= 0 && asked <= 2 * MERKLE_BLOCK);
                assert_true(merkle_verify_consistency(m, n, roots[m], roots[n], path, len));
                if (m == n)
                    assert_int_equal(len, 0);
            }
        }
        /* The whole tree's root (the signed head's) never asks for an entry. */
        merkle_hash whole;
        forget_blocks(&t);
        asked = 0;
        assert_int_equal(merkle_root(&t, size, whole), 0);
        assert_int_equal(asked, 0);
    }
    merkle_free(&t);
}

/* Entries from entries[*(int *)ctx] on: another owner's log. */
static bool entry_shifted(void *ctx, int64_t index, unsigned char entry[MERKLE_HASH])
{
    int64_t i = index + *(const int *)ctx;
    if (i < 0 || i >= 1000)
        return false;
    memcpy(entry, entries[i], MERKLE_HASH);
    return true;
}

/* The recomputed blocks are the tree's: a tree freed and built again from
 * other entries (publog_reset before a load) proves its own leaves, never a
 * block remembered from before. */
static void test_a_tree_built_again_forgets_its_blocks(void **state)
{
    (void)state;
    static int from[2] = {0, 500};
    struct merkle t;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(merkle_init(&t, entry_shifted, &from[round]), SU_OK);
        for (int i = 0; i < 20; i++)
            assert_int_equal(merkle_append(&t, entries[from[round] + i]), SU_OK);
        merkle_hash root, leaf, path[MERKLE_PROOF_MAX];
        assert_int_equal(merkle_root(&t, 20, root), 0);
        for (int i = 0; i < 16; i++) { /* both complete blocks, recomputed and kept */
            int len = merkle_inclusion(&t, i, 20, path);
            merkle_leaf_hash(entries[from[round] + i], leaf);
            assert_true(len > 0 && merkle_verify_inclusion(leaf, i, 20, path, len, root));
        }
        merkle_free(&t);
    }
}

static void test_bad_arguments(void **state)
{
    struct merkle *t = tree_of(10);
    merkle_hash p[MERKLE_PROOF_MAX];
    assert_int_equal(merkle_inclusion(t, 10, 10, p), -1);
    assert_int_equal(merkle_inclusion(t, 0, 11, p), -1);
    assert_int_equal(merkle_inclusion(t, -1, 5, p), -1);
    assert_int_equal(merkle_consistency(t, 5, 4, p), -1);
    assert_int_equal(merkle_consistency(t, 5, 11, p), -1);
    assert_int_equal(merkle_consistency(t, 0, 10, p), 0);
    assert_int_equal(merkle_consistency(t, 10, 10, p), 0);
    drop(t);
}

/* Leaves appended one by one after a reserve give the same tree as without,
 * and growing past 2^k many times keeps the stored levels right. */
static void test_growth_and_reserve(void **state)
{
    struct merkle *a = tree_of(1000), b;
    assert_int_equal(merkle_init(&b, entry_of, NULL), SU_OK);
    assert_int_equal(merkle_reserve(&b, 600), SU_OK);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(merkle_append(&b, entries[i]), SU_OK);
        if (i % 37 == 0 || i == 999) {
            merkle_hash ra, rb;
            assert_int_equal(merkle_root(a, i + 1, ra), 0);
            assert_int_equal(merkle_root(&b, i + 1, rb), 0);
            assert_memory_equal(ra, rb, 32);
        }
    }
    assert_int_equal(merkle_size(&b), 1000);
    /* Only subtrees of 8 leaves and more are kept: 1000/8 + 1000/16 + ... */
    assert_int_equal(b.levels[3].n, 125);
    assert_int_equal(b.levels[4].n, 62);
    assert_int_equal(b.levels[9].n, 1);
    assert_int_equal(b.levels[10].n, 0);
    assert_null(b.levels[2].node);
    assert_null(b.levels[0].node);
    merkle_free(&b);

    /* An exact reservation of 16 leaves holds one 16-leaf root: growing past
     * it must grow that level too (it once looped forever on a capacity of 1). */
    struct merkle c;
    merkle_init(&c, entry_of, NULL);
    assert_int_equal(merkle_reserve(&c, 16), SU_OK);
    assert_int_equal(c.levels[4].cap, 1);
    for (int i = 0; i < 40; i++)
        assert_int_equal(merkle_append(&c, entries[i]), SU_OK);
    merkle_hash ra, rc;
    assert_int_equal(merkle_root(a, 40, ra), 0);
    assert_int_equal(merkle_root(&c, 40, rc), 0);
    assert_memory_equal(ra, rc, 32);
    assert_int_equal(c.levels[4].n, 2);
    merkle_free(&c);
    drop(a);
}

int main(void)
{
    make_entries();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roots_match_python),
        cmocka_unit_test(test_worked_example_of_the_docs),
        cmocka_unit_test(test_every_root_and_inclusion),
        cmocka_unit_test(test_every_consistency),
        cmocka_unit_test(test_every_proof_while_the_tree_grows),
        cmocka_unit_test(test_a_tree_built_again_forgets_its_blocks),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_growth_and_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
