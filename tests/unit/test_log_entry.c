/* The public log with its leaf hashes given back from memory (log_entry.h):
 * a ledger's night of forms, corrections, disputes and decisions, whose
 * leaves are forms, decisions and status changes, checked against the whole
 * tree computed from every leaf hash as it was appended. Every root, every
 * inclusion proof and every consistency proof of the first 1..200 leaves
 * must verify with the RFC's verifiers; a status leaf and leaves in the
 * incomplete last block must prove; and an entry changed in memory (a
 * receipt, a decision) must make the proofs that need it fail, not lie. */
#include "domain/ledger.h"
#include "domain/log_entry.h"
#include "domain/log_status.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#define LEAVES_MAX 400
#define N_CHECKED 200

struct world {
    struct registry reg;
    struct tallies t;
    struct ledger l;
    struct publog log;
    int gub;
    int32_t tps[3];
    int sid;
    /* every leaf's hash as appended (read from the tree's tail right after
     * each commit, before another block can overwrite it) */
    merkle_hash leaf[LEAVES_MAX];
    int64_t seen;
    int kinds[4]; /* leaves of each enum publog_kind */
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    fixture_registry(&w->reg);
    assert_int_equal(tallies_init(&w->t, &w->reg), 0);
    assert_int_equal(ledger_init(&w->l, &w->reg, &w->t), 0);
    assert_int_equal(publog_init(&w->log, NULL), 0);
    log_entry_attach(&w->l, &w->log);
    w->gub = registry_contest(&w->reg, "gub-62", 6)->index;
    w->tps[0] = fixture_find(&w->reg, "62.01.01.1011.001");
    w->tps[1] = fixture_find(&w->reg, "62.01.01.1011.002");
    w->tps[2] = fixture_find(&w->reg, "62.02.01.2001.001");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    ledger_free(&w->l);
    publog_free(&w->log);
    tallies_free(&w->t);
    registry_free(&w->reg);
    free(w);
    return 0;
}

/* The leaves the last commit appended (never more than a block). */
static void capture(struct world *w)
{
    int64_t n = publog_size(&w->log);
    assert_true(n - w->seen <= MERKLE_BLOCK && n <= LEAVES_MAX);
    for (; w->seen < n; w->seen++) {
        memcpy(w->leaf[w->seen], w->log.tree.tail[w->seen % MERKLE_BLOCK], MERKLE_HASH);
        int64_t id;
        w->kinds[publog_locate(&w->log, w->seen, &id)]++;
    }
}

static struct form *submit(struct world *w, int32_t tps, int token, int a, int b, bool held)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", ++w->sid);
    in.counts.registered[ROW_DPT][SEX_M] = 250;
    in.counts.valid = (uint16_t)(a + b);
    in.counts.invalid = 3;
    in.counts.total = (uint16_t)(a + b + 3);
    struct form_resolved res = {.tps = tps, .contest = &w->reg.contests[w->gub]};
    res.votes[0] = (uint16_t)a;
    res.votes[1] = (uint16_t)b;
    struct form *f = form_new(&in, &res, held ? 1u << CHECK_VALID_SUM : 0, token, 1000 + w->sid);
    assert_non_null(f);
    ledger_track(&w->l, f);
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_FORM;
    op->form = f;
    f->pending_op = op;
    ledger_decide_form(&w->l, op);
    ledger_commit(&w->l, op);
    free(op);
    capture(w);
    return f;
}

static void review(struct world *w, struct form *f, bool count)
{
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_DECISION;
    op->form = f;
    op->decision = calloc(1, sizeof *op->decision);
    op->decision->count = count;
    op->decision->reason = strdup("checked the C1 photo");
    op->decision->token_id = 99;
    ledger_decide_review(&w->l, op);
    ledger_commit(&w->l, op);
    free(op);
    capture(w);
}

/* A night over three TPS: four witnesses each, who correct themselves,
 * confirm or dispute each other, and some held forms; about every other
 * pending form is decided, counted or rejected. Then corrections until the
 * last leaf is a status change inside an incomplete block. */
static void night(struct world *w)
{
    for (int r = 0; publog_size(&w->log) < N_CHECKED + 30; r++) {
        int votes = r % 7 == 2 ? 50 : 50 + r; /* now and then the same numbers: a confirmation */
        struct form *f = submit(w, w->tps[r % 3], 1 + r % 4, votes, 40, r % 5 == 3);
        if (form_pending(f) && r % 2 == 0)
            review(w, f, r % 4 == 0);
    }
    for (int r = 0; r < 50; r++) {
        int64_t n = publog_size(&w->log), id;
        if (n % MERKLE_BLOCK >= 2 && publog_locate(&w->log, n - 1, &id) == PUBLOG_STATUS)
            break;
        submit(w, w->tps[0], 9, 100 + r, 40, false); /* witness 9 corrects its counted form */
    }
    assert_true(w->kinds[PUBLOG_FORM] > 0 && w->kinds[PUBLOG_DECISION] > 0 &&
                w->kinds[PUBLOG_STATUS] > 0);
}

static void full_root(const struct world *w, int64_t a, int64_t b, merkle_hash out)
{
    if (b - a == 1) {
        memcpy(out, w->leaf[a], MERKLE_HASH);
        return;
    }
    int64_t k = 1;
    while (k * 2 < b - a)
        k *= 2;
    merkle_hash l, r;
    full_root(w, a, a + k, l);
    full_root(w, a + k, b, r);
    merkle_node_hash(l, r, out);
}

static void test_every_proof_of_the_first_200_leaves(void **state)
{
    struct world *w = *state;
    night(w);
    struct merkle *t = &w->log.tree;
    static merkle_hash roots[N_CHECKED + 1];
    for (int n = 0; n <= N_CHECKED; n++) {
        if (n > 0)
            full_root(w, 0, n, roots[n]);
        else
            assert_int_equal(merkle_root(t, 0, roots[0]), 0);
        merkle_hash got;
        assert_int_equal(merkle_root(t, n, got), 0);
        assert_memory_equal(got, roots[n], MERKLE_HASH);
    }
    for (int n = 1; n <= N_CHECKED; n++) {
        for (int i = 0; i < n; i++) {
            merkle_hash path[MERKLE_PROOF_MAX];
            int len = merkle_inclusion(t, i, n, path);
            assert_true(len >= 0);
            assert_true(merkle_verify_inclusion(w->leaf[i], i, n, path, len, roots[n]));
        }
        for (int m = 0; m <= n; m++) {
            merkle_hash proof[MERKLE_PROOF_MAX];
            int len = merkle_consistency(t, m, n, proof);
            assert_true(len >= 0);
            assert_true(merkle_verify_consistency(m, n, roots[m], roots[n], proof, len));
        }
    }
}

/* The leaf proves in the current tree against its root. */
static void assert_proves(struct world *w, int64_t leaf, const unsigned char entry[32])
{
    int64_t n = publog_size(&w->log);
    merkle_hash root, hash, path[MERKLE_PROOF_MAX];
    assert_int_equal(merkle_root(&w->log.tree, n, root), 0);
    merkle_leaf_hash(entry, hash);
    assert_memory_equal(hash, w->leaf[leaf], MERKLE_HASH);
    int len = merkle_inclusion(&w->log.tree, leaf, n, path);
    assert_true(len > 0);
    assert_true(merkle_verify_inclusion(hash, leaf, n, path, len, root));
}

static void test_a_status_leaf_and_the_tail_prove(void **state)
{
    struct world *w = *state;
    night(w);
    int64_t n = publog_size(&w->log), tail = n - n % MERKLE_BLOCK;
    /* A status change inside a complete block: recomputed by the replay. */
    bool in_block = false, in_tail = false;
    for (int64_t id = 1; id < w->l.next_form_id; id++) {
        struct log_status st[LOG_STATUS_MAX];
        int k = log_status_of(&w->l, ledger_by_id(&w->l, id), n, st);
        assert_true(k >= 0);
        for (int i = 0; i < k; i++) {
            assert_proves(w, st[i].leaf, st[i].receipt);
            in_block |= st[i].leaf < tail;
            in_tail |= st[i].leaf >= tail;
        }
    }
    assert_true(in_block && in_tail);
    /* The newest form, in the tail too, and a decision. */
    const struct form *last = ledger_by_id(&w->l, w->l.next_form_id - 1);
    int64_t leaf = publog_leaf_of_form(&w->log, last->id);
    assert_true(leaf >= tail);
    assert_proves(w, leaf, last->receipt);
    const struct form *decided = NULL;
    for (int64_t id = 1; id < w->l.next_form_id && !decided; id++) {
        const struct form *f = ledger_by_id(&w->l, id);
        decided = f->decision ? f : NULL;
    }
    assert_non_null(decided);
    assert_proves(w, publog_leaf_of_decision(&w->log, decided->decision->id),
                  decided->decision->receipt);
}

/* A proof needing leaf `leaf`'s block, in the tree of the first n leaves. */
static int proof_over(struct world *w, int64_t leaf)
{
    merkle_hash path[MERKLE_PROOF_MAX];
    return merkle_inclusion(&w->log.tree, leaf, publog_size(&w->log), path);
}

static void test_an_entry_changed_in_memory_fails_the_proof(void **state)
{
    struct world *w = *state;
    night(w);
    /* A form's receipt rewritten: its block no longer checks. */
    struct form *f = ledger_by_id(&w->l, 3);
    int64_t leaf = publog_leaf_of_form(&w->log, f->id);
    f->receipt[0] ^= 1;
    assert_int_equal(proof_over(w, leaf), MERKLE_MISMATCH);
    assert_false(publog_leaf_is(&w->log, leaf, f->receipt));
    f->receipt[0] ^= 1;
    assert_true(proof_over(w, leaf) > 0);
    assert_true(publog_leaf_is(&w->log, leaf, f->receipt));

    /* A decision turned round: the status changes the replay finds after
     * it are not the logged ones. */
    struct form *decided = NULL;
    for (int64_t id = 1; id < w->l.next_form_id && !decided; id++) {
        struct form *g = ledger_by_id(&w->l, id);
        int64_t at = g->decision ? publog_leaf_of_decision(&w->log, g->decision->id) : -1, kid;
        if (at >= 0 && at + 1 < publog_size(&w->log) - MERKLE_BLOCK &&
            publog_locate(&w->log, at + 1, &kid) == PUBLOG_STATUS &&
            (at + 1) / MERKLE_BLOCK != leaf / MERKLE_BLOCK)
            decided = g;
    }
    assert_non_null(decided);
    int64_t status_leaf = publog_leaf_of_decision(&w->log, decided->decision->id) + 1;
    decided->decision->count = !decided->decision->count;
    assert_int_equal(proof_over(w, status_leaf), MERKLE_MISMATCH);
    struct log_status st[LOG_STATUS_MAX];
    assert_int_equal(log_status_of(&w->l, decided, publog_size(&w->log), st), -1);
    decided->decision->count = !decided->decision->count;
    assert_true(proof_over(w, status_leaf) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_proof_of_the_first_200_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_status_leaf_and_the_tail_prove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_entry_changed_in_memory_fails_the_proof, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
