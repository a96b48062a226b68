/* The public log with its leaf hashes given back from memory (log_entry.h):
 * a ledger's night of forms, corrections, disputes and decisions, whose
 * leaves are forms, decisions and status changes, checked against the whole
 * tree computed from every leaf hash as it was appended. Every root, every
 * inclusion proof and every consistency proof of the first 1..200 leaves
 * must verify with the RFC's verifiers; a status leaf and leaves in the
 * incomplete last block must prove; and an entry changed in memory (a
 * receipt, a decision) must make the proofs that need it fail, not lie.
 * Status leaves are recomputed by replaying their slot as it is now: after
 * later events in the same slot (corrections, a confirmation, decisions, the
 * region made final, an amendment, one more decided and not yet committed)
 * every older leaf must come back as it was appended; and after a restart
 * (the log rebuilt from the stored forms by a second ledger) the same leaves,
 * roots and proofs. */
#include "domain/ledger.h"
#include "domain/log_entry.h"
#include "domain/log_status.h"
#include "fixture.h"
#include "ledger_fixture.h"

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

/* A form decided (it has its seq and has changed statuses in memory) but not
 * committed: its op, to commit later or never. */
static struct op *decide(struct world *w, int32_t tps, int token, int a, int b, bool held,
                         const char *amendment)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", ++w->sid);
    if (amendment) {
        in.has_amendment = true;
        snprintf(in.amendment_reason, sizeof in.amendment_reason, "%s", amendment);
    }
    in.counts.registered[ROW_DPT][SEX_M] = 250;
    in.counts.valid = (uint16_t)(a + b);
    in.counts.invalid = 3;
    in.counts.total = (uint16_t)(a + b + 3);
    struct form_resolved res = {.tps = tps, .contest = &w->reg.contests[w->gub]};
    res.votes[0] = (uint16_t)a;
    res.votes[1] = (uint16_t)b;
    return fixture_decide_form(&w->l, &in, &res, held ? 1u << CHECK_VALID_SUM : 0, token,
                               1000 + w->sid);
}

static void commit(struct world *w, struct op *op)
{
    ledger_commit(&w->l, op);
    free(op);
    capture(w);
}

/* A form (an amendment when `amendment` is its reason) decided and committed:
 * NULL when it was refused (a final region). */
static struct form *submit_as(struct world *w, int32_t tps, int token, int a, int b, bool held,
                              const char *amendment)
{
    struct op *op = decide(w, tps, token, a, b, held, amendment);
    struct form *f = op->refused ? NULL : op->form;
    commit(w, op);
    return f;
}

static struct form *submit(struct world *w, int32_t tps, int token, int a, int b, bool held)
{
    return submit_as(w, tps, token, a, b, held, NULL);
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
    if (op->decision) { /* refused: never attached to the form */
        free(op->decision->reason);
        free(op->decision);
    }
    free(op);
    capture(w);
}

/* The region's result made final (no leaf of its own). */
static void finalize(struct world *w, int32_t region)
{
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_FINALIZE;
    op->final = calloc(1, sizeof *op->final);
    *op->final = (struct final_req){w->gub, region, 7, 4242, strdup("pleno"), NULL};
    ledger_decide_finalize(&w->l, op);
    assert_int_equal(op->refused, REFUSAL_NONE);
    ledger_commit(&w->l, op);
    op_free(op);
    capture(w);
}

/* Forms of one leaf each at another TPS (new witnesses confirming its first
 * count) until the log's size is a multiple of a block, so that every leaf
 * so far lies in a complete block (recomputed by proofs). */
static void fill_block(struct world *w)
{
    while (publog_size(&w->log) % MERKLE_BLOCK != 0)
        submit(w, w->tps[2], 100 + w->sid, 10, 5, false);
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

/* Every leaf as the tree gives it back now (its block recomputed, nothing
 * cached) is the leaf appended; every root, inclusion proof of a leaf below
 * `early` and the consistency proofs from early to the whole tree verify. */
static void assert_every_leaf_as_appended(struct world *w, struct publog *log, int64_t early)
{
    struct merkle *t = &log->tree;
    int64_t n = publog_size(log);
    assert_int_equal(n, w->seen);
    for (int64_t i = 0; i < n; i++) {
        merkle_hash got;
        t->cached_block[0] = t->cached_block[1] = -1;
        assert_int_equal(merkle_leaf(t, i, got), 0);
        assert_memory_equal(got, w->leaf[i], MERKLE_HASH);
    }
    merkle_hash root_early, root_now, path[MERKLE_PROOF_MAX];
    full_root(w, 0, early, root_early);
    full_root(w, 0, n, root_now);
    assert_int_equal(merkle_root(t, early, path[0]), 0);
    assert_memory_equal(path[0], root_early, MERKLE_HASH);
    assert_int_equal(merkle_root(t, n, path[0]), 0);
    assert_memory_equal(path[0], root_now, MERKLE_HASH);
    for (int64_t i = 0; i < early; i++) {
        int len = merkle_inclusion(t, i, early, path);
        assert_true(len >= 0);
        assert_true(merkle_verify_inclusion(w->leaf[i], i, early, path, len, root_early));
        len = merkle_inclusion(t, i, n, path);
        assert_true(len >= 0);
        assert_true(merkle_verify_inclusion(w->leaf[i], i, n, path, len, root_now));
    }
    for (int64_t m = early - MERKLE_BLOCK + 1; m <= early; m++) {
        merkle_hash root_m;
        full_root(w, 0, m, root_m);
        int len = merkle_consistency(t, m, n, path);
        assert_true(len >= 0);
        assert_true(merkle_verify_consistency(m, n, root_m, root_now, path, len));
    }
}

/* Status leaves of one TPS, then later events of the same TPS and contest:
 * another witness, a decision, corrections, a confirmation, the region made
 * final, forms and a decision refused there, an amendment, and one more
 * decided but not yet committed. The replay that gives an older status leaf
 * back must give it as it was when it was appended, not the slot's state
 * now. Returns the log's size before the later events. */
static int64_t later_events_night(struct world *w)
{
    int32_t tps = w->tps[0];
    int32_t kab = fixture_find(&w->reg, "62.01");
    submit(w, tps, 1, 60, 40, false);                  /* counted */
    struct form *b = submit(w, tps, 2, 61, 40, false); /* disputed */
    struct form *c = submit(w, tps, 3, 60, 40, true);  /* held */
    submit(w, tps, 1, 62, 40, false);                  /* a correction: the first superseded */
    review(w, b, true);                                /* the correction superseded, b counted */
    fill_block(w);
    int64_t early = publog_size(&w->log);
    assert_true(early >= MERKLE_BLOCK && early % MERKLE_BLOCK == 0);
    submit(w, tps, 2, 63, 40, false);               /* b's witness corrects: b superseded */
    submit(w, tps, 4, 63, 40, false);               /* a confirmation */
    review(w, c, false);                            /* c rejected */
    struct form *e = submit(w, tps, 3, 1, 1, true); /* held again */
    fill_block(w);
    finalize(w, kab);
    int64_t before = publog_size(&w->log);
    assert_null(submit(w, tps, 5, 70, 30, false)); /* refused: the region is final */
    review(w, e, true);                            /* refused too */
    assert_int_equal(e->status, FS_HELD);
    assert_int_equal(publog_size(&w->log), before);
    assert_non_null(submit_as(w, tps, 9, 70, 30, false, "putusan MK")); /* counted */
    fill_block(w);
    /* One more amendment decided: statuses changed in memory, no leaf yet. */
    struct op *queued = decide(w, tps, 9, 71, 30, false, "putusan MK kedua");
    assert_int_equal(queued->refused, REFUSAL_NONE);
    assert_every_leaf_as_appended(w, &w->log, early);
    commit(w, queued);
    fill_block(w);
    submit(w, w->tps[2], 21, 1, 1, false); /* and a tail */
    return early;
}

static void test_older_status_leaves_after_later_events_in_their_slot(void **state)
{
    struct world *w = *state;
    int64_t early = later_events_night(w);
    assert_every_leaf_as_appended(w, &w->log, early);
    /* Every status change of the TPS's forms proves, from the replay. */
    int n_changes = 0;
    for (int64_t id = 1; id < w->l.next_form_id; id++) {
        const struct form *f = ledger_by_id(&w->l, id);
        if (!f || f->tps != w->tps[0])
            continue;
        struct log_status st[LOG_STATUS_MAX];
        int k = log_status_of(&w->l, f, publog_size(&w->log), st);
        assert_true(k >= 0);
        for (int i = 0; i < k; i++)
            assert_proves(w, st[i].leaf, st[i].receipt);
        n_changes += k;
    }
    /* the first count and the correction superseded, b counted, b superseded,
     * c rejected, b's correction and the first amendment superseded */
    assert_int_equal(n_changes, 7);
}

/* A copy of a committed form for a second ledger, with its decision and
 * amendment (what the database load gives). */
static struct form *copy_form(const struct form *f)
{
    size_t size = sizeof *f + f->n_votes * sizeof f->votes[0];
    struct form *copy = malloc(size);
    memcpy(copy, f, size);
    copy->next_in_slot = NULL;
    copy->pending_op = NULL;
    copy->photos = NULL;
    copy->n_photos = 0;
    copy->tallied = false;
    copy->amendment = f->amendment ? strdup(f->amendment) : NULL;
    copy->decision = NULL;
    if (f->decision) {
        copy->decision = malloc(sizeof *copy->decision);
        *copy->decision = *f->decision;
        copy->decision->reason = strdup(f->decision->reason);
    }
    return copy;
}

/* After a restart the log is rebuilt from the stored forms and decisions
 * (ledger_finish_load) and its entries given back by the new ledger: the
 * same leaves, roots and proofs as the night's. */
static void test_a_restart_gives_back_the_same_leaves(void **state)
{
    struct world *w = *state;
    night(w);
    int64_t early = later_events_night(w);
    struct tallies t2;
    struct ledger l2;
    struct publog log2;
    assert_int_equal(tallies_init(&t2, &w->reg), 0);
    assert_int_equal(ledger_init(&l2, &w->reg, &t2), 0);
    assert_int_equal(publog_init(&log2, NULL), 0);
    log_entry_attach(&l2, &log2);
    assert_int_equal(ledger_reserve(&l2, w->l.n_forms), 0);
    for (int64_t id = 1; id < w->l.next_form_id; id++) {
        const struct form *f = ledger_by_id(&w->l, id);
        if (f && f->committed)
            assert_int_equal(ledger_load_form(&l2, copy_form(f)), 0);
    }
    char err[512] = "";
    assert_int_equal(ledger_finish_load(&l2, err, sizeof err), 0);
    ledger_rebuild_tallies(&l2);
    assert_int_equal(publog_size(&log2), publog_size(&w->log));
    assert_every_leaf_as_appended(w, &log2, early);
    ledger_free(&l2);
    publog_free(&log2);
    tallies_free(&t2);
}

/* A locator holds the kind in its top two bits and the form's id below: at
 * the largest id (PUBLOG_ID_MAX, 2^30 - 1, far beyond any election; past it
 * appending ends the process, never a wrong locator) neither bleeds into
 * the other. */
static void test_locators_at_their_limit(void **state)
{
    struct world *w = *state;
    unsigned char receipt[32] = {1};
    publog_add_status(&w->log, PUBLOG_ID_MAX, receipt);
    publog_add_decision(&w->log, 1, PUBLOG_ID_MAX, receipt);
    publog_add_status(&w->log, 1, receipt);
    int64_t id;
    assert_int_equal(publog_locate(&w->log, 0, &id), PUBLOG_STATUS);
    assert_int_equal(id, PUBLOG_ID_MAX);
    assert_int_equal(publog_locate(&w->log, 1, &id), PUBLOG_DECISION);
    assert_int_equal(id, PUBLOG_ID_MAX);
    assert_int_equal(publog_locate(&w->log, 2, &id), PUBLOG_STATUS);
    assert_int_equal(id, 1);
    assert_int_equal(publog_leaf_of_decision(&w->log, 1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_proof_of_the_first_200_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_status_leaf_and_the_tail_prove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_entry_changed_in_memory_fails_the_proof, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_older_status_leaves_after_later_events_in_their_slot,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_restart_gives_back_the_same_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locators_at_their_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
