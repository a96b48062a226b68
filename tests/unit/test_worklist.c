/* Worklists kept in step with the tallies, the flagged counter, the
 * cross_contest_voters warning and the seq index of the changes feed. */
#include "domain/ledger.h"
#include "domain/worklist.h"
#include "fixture.h"
#include "ledger_fixture.h"

#include <stdlib.h>
#include <string.h>

struct world {
    struct registry reg;
    struct tallies t;
    struct ledger l;
    int gub, bup;
    int32_t tps1, tps2, tps3, kab1, prov;
    int sid;
    struct op *ops[16];
    int n_ops;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    fixture_registry(&w->reg);
    assert_int_equal(tallies_init(&w->t, &w->reg), 0);
    assert_int_equal(ledger_init(&w->l, &w->reg, &w->t), 0);
    w->gub = registry_contest(&w->reg, "gub-62", 6)->index;
    w->bup = registry_contest(&w->reg, "bup-62.01", 9)->index;
    w->tps1 = fixture_find(&w->reg, "62.01.01.1011.001");
    w->tps2 = fixture_find(&w->reg, "62.01.01.1011.002");
    w->tps3 = fixture_find(&w->reg, "62.02.01.2001.001");
    w->kab1 = fixture_find(&w->reg, "62.01");
    w->prov = fixture_find(&w->reg, "62");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    for (int i = 0; i < w->n_ops; i++)
        free(w->ops[i]);
    ledger_free(&w->l);
    tallies_free(&w->t);
    registry_free(&w->reg);
    free(w);
    return 0;
}

/* A form with `voted_m` DPT men voting and the given check bits. */
static struct form *submit(struct world *w, int contest, int32_t tps, int token, int voted_m,
                           uint32_t checks)
{
    struct form_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.submission_id, sizeof in.submission_id, "sid-%d", ++w->sid);
    in.counts.voted[ROW_DPT][SEX_M] = (uint16_t)voted_m;
    in.counts.valid = (uint16_t)voted_m;
    in.counts.total = (uint16_t)voted_m;
    struct form_resolved res = {.tps = tps, .contest = &w->reg.contests[contest]};
    res.votes[0] = (uint16_t)voted_m;
    struct op *op = fixture_decide_form(&w->l, &in, &res, checks, token, 1000 + w->sid);
    ledger_commit(&w->l, op);
    w->ops[w->n_ops++] = op;
    return op->form;
}

static int64_t count(struct world *w, int contest, int status, int32_t region)
{
    int32_t base = w->reg.contests[contest].region;
    return worklist_count(w->t.worklists, contest, status, region - base,
                          w->reg.regions[region].end - base);
}

static void test_every_tps_starts_missing(void **state)
{
    struct world *w = *state;
    assert_int_equal(count(w, w->gub, WL_MISSING, w->prov), 3);
    assert_int_equal(count(w, w->gub, WL_MISSING, w->kab1), 2);
    assert_int_equal(count(w, w->bup, WL_MISSING, w->kab1), 2);
    for (int s = WL_HELD; s < WL_COUNT; s++)
        assert_int_equal(count(w, w->gub, s, w->prov), 0);
}

static void test_pages_walk_tps_in_code_order(void **state)
{
    struct world *w = *state;
    int32_t got[4];
    int n = worklist_collect(w->t.worklists, w->gub, WL_MISSING, 0,
                             w->reg.regions[w->prov].end - w->prov, got, 2);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], w->tps1 - w->prov);
    assert_int_equal(got[1], w->tps2 - w->prov);
    n = worklist_collect(w->t.worklists, w->gub, WL_MISSING, got[1] + 1,
                         w->reg.regions[w->prov].end - w->prov, got, 2);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], w->tps3 - w->prov);
}

static void test_statuses_follow_the_ledger(void **state)
{
    struct world *w = *state;
    submit(w, w->gub, w->tps1, 1, 100, 0);
    assert_int_equal(count(w, w->gub, WL_MISSING, w->prov), 2);
    assert_int_equal(count(w, w->gub, WL_UNCONFIRMED, w->prov), 1);
    assert_int_equal(count(w, w->gub, WL_NO_PHOTO, w->prov), 1);
    submit(w, w->gub, w->tps1, 2, 101, 0); /* another witness, other numbers */
    assert_int_equal(count(w, w->gub, WL_DISPUTED, w->prov), 1);
    assert_int_equal(count(w, w->gub, WL_UNCONFIRMED, w->prov), 1);
    submit(w, w->gub, w->tps2, 1, 50, 1u << CHECK_VALID_SUM);
    assert_int_equal(count(w, w->gub, WL_HELD, w->prov), 1);
    assert_int_equal(count(w, w->gub, WL_MISSING, w->prov), 2); /* held is not counted */
    submit(w, w->gub, w->tps3, 1, 70, 0);
    submit(w, w->gub, w->tps3, 3, 70, 0); /* confirms */
    assert_int_equal(count(w, w->gub, WL_UNCONFIRMED, w->prov), 1);
    assert_int_equal(count(w, w->gub, WL_MISSING, w->prov), 1);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_confirmed, 1);
}

static void test_warning_flags_the_tps(void **state)
{
    struct world *w = *state;
    submit(w, w->gub, w->tps1, 1, 100, 1u << WARN_INVALID_SHARE);
    assert_int_equal(count(w, w->gub, WL_FLAGGED, w->prov), 1);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_flagged, 1);
    assert_int_equal(tally_node(&w->t, w->gub, w->kab1)->tps_flagged, 1);
    submit(w, w->gub, w->tps1, 1, 100, 0); /* the witness's correction has no warning */
    assert_int_equal(count(w, w->gub, WL_FLAGGED, w->prov), 0);
    assert_int_equal(tally_node(&w->t, w->gub, w->prov)->tps_flagged, 0);
}

static void test_cross_contest_voters_on_the_later_form(void **state)
{
    struct world *w = *state;
    struct form *gub = submit(w, w->gub, w->tps1, 1, 100, 0);
    struct form *bup = submit(w, w->bup, w->tps1, 1, 90, 0);
    assert_false(gub->checks & (1u << WARN_CROSS_CONTEST_VOTERS));
    assert_true(bup->checks & (1u << WARN_CROSS_CONTEST_VOTERS));
    assert_int_equal(tally_node(&w->t, w->bup, w->kab1)->tps_flagged, 1);
    assert_int_equal(tally_node(&w->t, w->gub, w->kab1)->tps_flagged, 0);
    struct form *same = submit(w, w->bup, w->tps2, 1, 10, 0); /* no gub form there */
    assert_false(same->checks & (1u << WARN_CROSS_CONTEST_VOTERS));
    struct form *agree = submit(w, w->gub, w->tps2, 1, 10, 0);
    assert_false(agree->checks & (1u << WARN_CROSS_CONTEST_VOTERS));
}

static void test_every_seq_leads_to_its_form(void **state)
{
    struct world *w = *state;
    struct form *a = submit(w, w->gub, w->tps1, 1, 100, 0);
    struct form *b = submit(w, w->gub, w->tps2, 1, 50, 0);
    assert_ptr_equal(ledger_by_seq(&w->l, a->seq), a);
    assert_ptr_equal(ledger_by_seq(&w->l, b->seq), b);
    assert_null(ledger_by_seq(&w->l, b->seq + 1));
    assert_int_equal(w->t.seq, b->seq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_tps_starts_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_walk_tps_in_code_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statuses_follow_the_ledger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warning_flags_the_tps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_contest_voters_on_the_later_form, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_every_seq_leads_to_its_form, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
