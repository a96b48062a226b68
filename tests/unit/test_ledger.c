/* The outcome rules of the contract (counted, correction, confirmation,
 * dispute, held, review) and how they move the tallies at every level. */
#include "domain/form_photos.h"
#include "domain/ledger.h"
#include "fixture.h"
#include "ledger_fixture.h"

#include <stdlib.h>
#include <string.h>

struct world {
    struct registry reg;
    struct tallies t;
    struct ledger l;
    int gub;
    int32_t tps1, tps2, desa, kab, prov;
    int sid;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    fixture_registry(&w->reg);
    assert_int_equal(tallies_init(&w->t, &w->reg), 0);
    assert_int_equal(ledger_init(&w->l, &w->reg, &w->t), 0);
    w->gub = registry_contest(&w->reg, "gub-62", 6)->index;
    w->tps1 = fixture_find(&w->reg, "62.01.01.1011.001");
    w->tps2 = fixture_find(&w->reg, "62.01.01.1011.002");
    w->desa = fixture_find(&w->reg, "62.01.01.1011");
    w->kab = fixture_find(&w->reg, "62.01");
    w->prov = fixture_find(&w->reg, "62");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    ledger_free(&w->l);
    tallies_free(&w->t);
    registry_free(&w->reg);
    free(w);
    return 0;
}

/* A gub-62 form with votes a and b, decided and not committed; `held` sets a
 * failing check; photos names its pages by one letter each (the hash is that
 * letter 64 times). */
static struct op *decide_pages(struct world *w, int32_t tps, int token, int a, int b, bool held,
                               const char *photos)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    for (; photos && *photos; photos++, in.n_photos++)
        memset(in.photos[in.n_photos], *photos, FORM_PHOTO_HEX);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", ++w->sid);
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

/* The same, committed. */
static struct op *submit_pages(struct world *w, int32_t tps, int token, int a, int b, bool held,
                               const char *photos)
{
    struct op *op = decide_pages(w, tps, token, a, b, held, photos);
    ledger_commit(&w->l, op);
    return op;
}

static struct op *submit(struct world *w, int32_t tps, int token, int a, int b, bool held)
{
    return submit_pages(w, tps, token, a, b, held, NULL);
}

static struct op *review(struct world *w, struct form *f, bool count)
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
    return op;
}

static void assert_votes(struct world *w, int32_t region, long a, long b)
{
    const int64_t *v = tally_votes(&w->t, w->gub, region);
    assert_int_equal(v[0], a);
    assert_int_equal(v[1], b);
    assert_int_equal(tally_node(&w->t, w->gub, region)->valid, a + b);
}

static void assert_everywhere(struct world *w, long a, long b)
{
    assert_votes(w, w->tps1, a, b);
    assert_votes(w, w->desa, a, b);
    assert_votes(w, w->kab, a, b);
    assert_votes(w, w->prov, a, b);
}

static void test_first_form_is_counted_at_every_level(void **state)
{
    struct world *w = *state;
    struct op *op = submit(w, w->tps1, 1, 60, 40, false);
    struct form *f = op->form;
    assert_int_equal(f->status, FS_COUNTED);
    assert_int_equal(f->outcome, FS_COUNTED);
    assert_int_equal(f->revision, 1);
    assert_int_equal(f->id, 1);
    assert_true(f->committed);
    assert_everywhere(w, 60, 40);
    const struct tally_node *p = tally_node(&w->t, w->gub, w->prov);
    assert_int_equal(p->tps_total, 3);
    assert_int_equal(p->tps_counted, 1);
    assert_int_equal(p->registered, 250);
    assert_int_equal(p->voted, 103);
    assert_int_equal(p->invalid, 3);
    assert_int_equal(p->seq, f->seq);
    assert_int_equal(tally_node(&w->t, w->gub, fixture_find(&w->reg, "62.02"))->seq, 0);
    free(op);
}

static void test_correction_moves_by_the_difference(void **state)
{
    struct world *w = *state;
    struct op *a = submit(w, w->tps1, 1, 60, 40, false);
    struct op *other = submit(w, w->tps2, 2, 10, 20, false);
    struct op *b = submit(w, w->tps1, 1, 65, 30, false);
    assert_int_equal(b->form->status, FS_COUNTED);
    assert_int_equal(b->form->revision, 2);
    assert_int_equal(a->form->status, FS_SUPERSEDED);
    assert_int_equal(b->n_changes, 1); /* the superseded form, for the UPDATE */
    assert_ptr_equal(b->changes[0].form, a->form);
    assert_votes(w, w->tps1, 65, 30);
    assert_votes(w, w->prov, 75, 50);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_counted, 2);
    free(a), free(other), free(b);
}

/* The writer's pipeline: a correction decided while the corrected form's
 * batch is written but not committed must UPDATE it, since its INSERT went
 * with the first batch (and the form's status in memory moves on). */
static void test_correction_of_a_form_in_flight_updates_it(void **state)
{
    struct world *w = *state;
    struct op *a = decide_pages(w, w->tps1, 1, 60, 40, false, NULL);
    ledger_written(a); /* its batch went to the writer */
    struct op *b = decide_pages(w, w->tps1, 1, 65, 30, false, NULL);
    assert_int_equal(a->form->status, FS_SUPERSEDED);
    assert_int_equal(b->n_changes, 1);
    assert_ptr_equal(b->changes[0].form, a->form);
    ledger_commit(&w->l, a);
    ledger_commit(&w->l, b);
    assert_votes(w, w->tps1, 65, 30);
    free(a), free(b);
}

/* In the same batch the INSERT carries the final status: no UPDATE. */
static void test_correction_in_the_same_batch_sends_no_update(void **state)
{
    struct world *w = *state;
    struct op *a = decide_pages(w, w->tps1, 1, 60, 40, false, NULL);
    struct op *b = decide_pages(w, w->tps1, 1, 65, 30, false, NULL);
    assert_int_equal(b->n_changes, 0);
    ledger_commit(&w->l, a);
    ledger_commit(&w->l, b);
    free(a), free(b);
}

static void test_confirmation_and_dispute(void **state)
{
    struct world *w = *state;
    struct op *a = submit(w, w->tps1, 1, 60, 40, false);
    struct op *same = submit(w, w->tps1, 2, 60, 40, false);
    assert_int_equal(same->form->status, FS_CONFIRMATION);
    assert_int_equal(same->form->confirms, a->form->id);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_confirmed, 1);
    assert_everywhere(w, 60, 40);

    struct op *diff = submit(w, w->tps1, 3, 59, 41, false);
    assert_int_equal(diff->form->status, FS_DISPUTED);
    assert_int_equal(a->form->status, FS_COUNTED); /* stays counted */
    assert_everywhere(w, 60, 40);
    assert_int_equal(tally_node(&w->t, w->gub, w->kab)->tps_disputed, 1);

    /* A reviewer counts the disputed form: it replaces the counted one. */
    struct op *r = review(w, diff->form, true);
    assert_int_equal(r->refused, REFUSAL_NONE);
    assert_int_equal(diff->form->status, FS_COUNTED);
    assert_int_equal(a->form->status, FS_SUPERSEDED);
    assert_everywhere(w, 59, 41);
    const struct tally_node *p = tally_node(&w->t, w->gub, w->prov);
    assert_int_equal(p->tps_disputed, 0);
    assert_int_equal(p->tps_confirmed, 0); /* the confirmation was of the old form */
    assert_int_equal(p->tps_counted, 1);
    assert_int_equal(p->seq, r->seq);

    /* Deciding again is refused: the form is no longer pending. */
    struct op *again = review(w, diff->form, false);
    assert_int_equal(again->refused, REFUSAL_NOT_PENDING);
    free(again->decision->reason), free(again->decision);
    free(a), free(same), free(diff), free(r), free(again);
}

static void test_held_form_is_not_counted(void **state)
{
    struct world *w = *state;
    struct op *a = submit(w, w->tps1, 1, 60, 40, false);
    struct op *bad = submit(w, w->tps1, 1, 70, 40, true);
    assert_int_equal(bad->form->status, FS_HELD);
    assert_int_equal(bad->form->outcome, FS_HELD);
    assert_int_equal(a->form->status, FS_COUNTED);
    assert_everywhere(w, 60, 40);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_held, 1);

    /* The reviewer rejects it: nothing moves but the held count. */
    struct op *r = review(w, bad->form, false);
    assert_int_equal(bad->form->status, FS_REJECTED);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_held, 0);
    assert_everywhere(w, 60, 40);
    free(a), free(bad), free(r);
}

static void test_newer_form_replaces_own_pending(void **state)
{
    struct world *w = *state;
    struct op *bad = submit(w, w->tps2, 1, 70, 40, true);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_held, 1);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_counted, 0);
    struct op *fixed = submit(w, w->tps2, 1, 60, 40, false);
    assert_int_equal(fixed->form->status, FS_COUNTED);
    assert_int_equal(fixed->form->revision, 2);
    assert_int_equal(bad->form->status, FS_SUPERSEDED);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_held, 0);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_counted, 1);
    /* Another witness's pending form is left for the reviewer. */
    struct op *d = submit(w, w->tps2, 2, 1, 2, false);
    struct op *corr = submit(w, w->tps2, 1, 61, 39, false);
    assert_int_equal(d->form->status, FS_DISPUTED);
    assert_int_equal(corr->form->status, FS_COUNTED);
    free(bad), free(fixed), free(d), free(corr);
}

static void test_idempotency_lookup(void **state)
{
    struct world *w = *state;
    struct op *a = submit(w, w->tps1, 1, 60, 40, false);
    assert_ptr_equal(ledger_by_submission(&w->l, a->form->submission_id), a->form);
    assert_ptr_equal(ledger_by_id(&w->l, a->form->id), a->form);
    assert_null(ledger_by_id(&w->l, 999));
    assert_null(ledger_by_submission(&w->l, "nope"));
    free(a);
}

/* Loading the same forms with their statuses rebuilds identical tallies. */
static void test_rebuild_equals_live(void **state)
{
    struct world *w = *state;
    struct op *ops[6] = {
        submit(w, w->tps1, 1, 60, 40, false), submit(w, w->tps1, 2, 60, 40, false),
        submit(w, w->tps2, 1, 5, 6, false),   submit(w, w->tps2, 3, 7, 6, false),
        submit(w, w->tps2, 1, 9, 9, true),    submit(w, w->tps1, 1, 61, 40, false),
    };
    struct tallies t2;
    struct ledger l2;
    assert_int_equal(tallies_init(&t2, &w->reg), 0);
    assert_int_equal(ledger_init(&l2, &w->reg, &t2), 0);
    for (int i = 0; i < 6; i++) {
        const struct form *f = ops[i]->form;
        struct form *copy = malloc(sizeof *f + f->n_votes * sizeof f->votes[0]);
        memcpy(copy, f, sizeof *f + f->n_votes * sizeof f->votes[0]);
        copy->next_in_slot = NULL;
        copy->photos = NULL;
        copy->n_photos = 0;
        copy->tallied = false;
        copy->decision = NULL;
        assert_int_equal(ledger_load_form(&l2, copy), 0);
    }
    ledger_rebuild_tallies(&l2);
    const struct contest_tally *a = &w->t.contests[w->gub], *b = &t2.contests[w->gub];
    assert_memory_equal(a->nodes, b->nodes, (size_t)a->n * sizeof *a->nodes);
    assert_memory_equal(a->votes, b->votes, (size_t)a->n * 2 * sizeof *a->votes);
    assert_int_equal(l2.next_form_id, w->l.next_form_id);
    assert_int_equal(l2.next_seq, w->l.next_seq);
    ledger_free(&l2);
    tallies_free(&t2);
    for (int i = 0; i < 6; i++)
        free(ops[i]);
}

static void store_photo(struct world *w, struct photo_index *x, char letter)
{
    struct photo_entry e = {.type = IMAGE_JPEG, .bytes = 1, .width = 1, .height = 1};
    memset(e.sha256, letter, FORM_PHOTO_HEX);
    assert_int_equal(photo_index_add(x, &e), 0);
    form_photos_stored_one(&w->l, e.sha256);
}

static int with_photo(struct world *w, int32_t region)
{
    return tally_node(&w->t, w->gub, region)->tps_with_photo;
}

/* with_photo counts a TPS once every page of its counted form is stored,
 * and moves with the counted form: a correction without photos takes it
 * back, a held form changes nothing. */
static void test_with_photo_follows_the_counted_form_and_its_pages(void **state)
{
    struct world *w = *state;
    struct photo_index x;
    photo_index_init(&x);
    w->l.photos = &x;
    struct op *ops[5];
    ops[0] = submit_pages(w, w->tps1, 1, 60, 40, false, "ab");
    ops[1] = submit_pages(w, w->tps2, 2, 10, 20, false, "c");
    assert_int_equal(with_photo(w, w->prov), 0);
    store_photo(w, &x, 'a');
    assert_int_equal(with_photo(w, w->tps1), 0); /* page b is still missing */
    store_photo(w, &x, 'b');
    store_photo(w, &x, 'c');
    assert_int_equal(with_photo(w, w->tps1), 1);
    assert_int_equal(with_photo(w, w->desa), 2);
    assert_int_equal(with_photo(w, w->prov), 2);
    ops[2] = submit_pages(w, w->tps1, 1, 61, 40, true, NULL); /* held: tps1 keeps its count */
    assert_int_equal(with_photo(w, w->prov), 2);
    ops[3] = submit_pages(w, w->tps1, 1, 61, 40, false, NULL); /* a correction without pages */
    assert_int_equal(with_photo(w, w->tps1), 0);
    assert_int_equal(with_photo(w, w->prov), 1);
    ops[4] = submit_pages(w, w->tps1, 1, 62, 40, false, "d");
    assert_int_equal(with_photo(w, w->prov), 1);
    store_photo(w, &x, 'd');
    assert_int_equal(with_photo(w, w->prov), 2);
    assert_int_equal(with_photo(w, w->kab), 2);
    for (int i = 0; i < 5; i++)
        free(ops[i]);
    w->l.photos = NULL;
    photo_index_free(&x);
}

/* A form for tps made and tracked, not yet decided (it waits in the queue). */
static struct op *queued_form(struct world *w, int32_t tps, int token, int a, int b,
                              const char *amendment)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", ++w->sid);
    in.counts.valid = (uint16_t)(a + b);
    in.counts.total = (uint16_t)(a + b);
    if (amendment) {
        in.has_amendment = true;
        snprintf(in.amendment_reason, sizeof in.amendment_reason, "%s", amendment);
    }
    struct form_resolved res = {.tps = tps, .contest = &w->reg.contests[w->gub]};
    res.votes[0] = (uint16_t)a;
    res.votes[1] = (uint16_t)b;
    struct form *f = form_new(&in, &res, 0, token, 5000 + w->sid);
    assert_non_null(f);
    ledger_track(&w->l, f);
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_FORM;
    op->form = f;
    f->pending_op = op;
    return op;
}

/* A form still queued at shutdown is never sealed, but it stays in the
 * submission index (which has no deletion): it must stay readable until the
 * ledger is freed, as a form that is not committed and has no op, so that a
 * retry arriving during teardown is refused (503) instead of reading freed
 * memory. The ledger frees it (LeakSanitizer and valgrind see it if not). */
static void test_dropped_form_stays_findable_until_the_ledger_is_freed(void **state)
{
    struct world *w = *state;
    struct op *op = queued_form(w, w->tps1, 1, 60, 40, NULL);
    struct form *f = op->form;
    ledger_drop(&w->l, f);
    free(op);
    struct form *found = ledger_by_submission(&w->l, "sid-1");
    assert_ptr_equal(found, f);
    assert_null(found->pending_op);
    assert_false(found->committed);
    assert_int_equal(found->id, 0); /* never sealed: no id, nothing stored */
}

static struct op *finalize_op(struct world *w, int32_t region)
{
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_FINALIZE;
    op->final = calloc(1, sizeof *op->final);
    *op->final = (struct final_req){w->gub, region, 7, 4242, strdup("pleno"), NULL};
    return op;
}

/* A form queued before the finalisation but sealed after it is refused at
 * seal (the HTTP check cannot see it); an amendment is counted; reads show
 * the region final only once the finalisation is committed. */
static void test_final_region_refuses_at_seal_but_counts_amendments(void **state)
{
    struct world *w = *state;
    struct op *first = submit(w, w->tps1, 1, 60, 40, false);
    struct op *held = submit(w, w->tps2, 1, 5, 5, true);
    struct op *late = queued_form(w, w->tps1, 1, 61, 40, NULL);
    struct op *fin = finalize_op(w, w->kab);
    ledger_decide_finalize(&w->l, fin);
    assert_int_equal(fin->refused, REFUSAL_NONE);
    const struct tally_node *kab = tally_node(&w->t, w->gub, w->kab);
    assert_int_equal(kab->final, TALLY_FINAL_SEALED);
    ledger_decide_form(&w->l, late);
    assert_int_equal(late->refused, REFUSAL_REGION_FINAL);
    assert_int_equal(late->form->refused, REFUSAL_REGION_FINAL);
    assert_ptr_equal(ledger_by_submission(&w->l, late->form->submission_id), late->form);
    assert_int_equal(late->form->id, 0); /* never got an id: never stored */
    ledger_commit(&w->l, late);
    ledger_commit(&w->l, fin);
    assert_int_equal(tally_node(&w->t, w->gub, w->tps1)->final,
                     TALLY_FINAL_SEALED | TALLY_FINAL_SHOWN);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->final, 0);
    assert_int_equal(w->l.finals.n, 1);
    assert_int_equal(w->l.finals.list[0].region, w->kab);
    assert_everywhere(w, 60, 40);

    struct op *decision = review(w, held->form, true);
    assert_int_equal(decision->refused, REFUSAL_REGION_FINAL);
    assert_int_equal(held->form->status, FS_HELD);

    struct op *amend = queued_form(w, w->tps1, 9, 70, 30, "putusan MK");
    ledger_decide_form(&w->l, amend);
    ledger_commit(&w->l, amend);
    assert_int_equal(amend->refused, REFUSAL_NONE);
    assert_int_equal(amend->form->status, FS_COUNTED);
    assert_int_equal(amend->form->revision, 2);
    assert_int_equal(first->form->status, FS_SUPERSEDED);
    assert_everywhere(w, 70, 30);

    struct op *again = finalize_op(w, w->desa);
    ledger_decide_finalize(&w->l, again);
    assert_int_equal(again->refused, REFUSAL_ALREADY_FINAL);
    op_free(again);
    op_free(fin);
    op_free(decision);
    free(first), free(held), free(late), free(amend);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_with_photo_follows_the_counted_form_and_its_pages,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_form_is_counted_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correction_moves_by_the_difference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correction_of_a_form_in_flight_updates_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_correction_in_the_same_batch_sends_no_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_confirmation_and_dispute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_form_is_not_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_form_replaces_own_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_form_stays_findable_until_the_ledger_is_freed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_equals_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_region_refuses_at_seal_but_counts_amendments,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
