/* Suggestions on held forms: every single count change that makes all failing
 * checks pass, tried on the misreadings Sirekap's OCR made in 2024 (157 read
 * as 457, 84 as 884, 17 as 817). */
#include "domain/suggest.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#define ROLL 420

struct world {
    struct registry reg;
    const struct contest *gub4;
    struct form_counts c;
    uint16_t votes[4];
};

/* A form of a TPS with 420 on the roll that passes every check: 310 voted,
 * 303 valid as 157 + 84 + 45 + 17, 7 invalid. */
static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    char err[128];
    registry_init(&w->reg);
    assert_int_equal(registry_add_region(&w->reg, "62", "Kalimantan Tengah", 0), 0);
    assert_int_equal(registry_add_contest(&w->reg, "gub-62", "gubernur", "62", "Pilgub"), 0);
    for (int k = 1; k <= 4; k++)
        assert_int_equal(registry_add_candidate(&w->reg, "gub-62", k, "H", "D"), 0);
    assert_int_equal(registry_finish(&w->reg, err, sizeof err), 0);
    w->gub4 = registry_contest(&w->reg, "gub-62", 6);
    struct form_counts *c = &w->c;
    c->registered[ROW_DPT][SEX_M] = 210;
    c->registered[ROW_DPT][SEX_F] = 210;
    c->voted[ROW_DPT][SEX_M] = 150;
    c->voted[ROW_DPT][SEX_F] = 160;
    c->ballots[BALLOT_RECEIVED] = 430;
    c->ballots[BALLOT_RETURNED] = 2;
    c->ballots[BALLOT_UNUSED] = 118;
    c->ballots[BALLOT_USED] = 310;
    c->disability[DISABILITY_REGISTERED] = 3;
    c->disability[DISABILITY_VOTED] = 2;
    c->valid = 303;
    c->invalid = 7;
    c->total = 310;
    uint16_t votes[4] = {157, 84, 45, 17};
    memcpy(w->votes, votes, sizeof votes);
    assert_int_equal(form_checks(c, w->votes, 4, ROLL), 0);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    registry_free(&w->reg);
    free(w);
    return 0;
}

static int suggest(struct world *w, struct suggestion *s)
{
    return suggest_fixes(&w->c, w->votes, w->gub4, ROLL, s, SUGGEST_MAX);
}

static void assert_suggestion(const struct suggestion *s, const char *field, int value,
                              uint32_t fixes)
{
    assert_string_equal(s->field, field);
    assert_int_equal(s->value, value);
    assert_int_equal(s->fixes, fixes);
}

static void test_passing_form_has_none(void **state)
{
    struct suggestion s[SUGGEST_MAX];
    assert_int_equal(suggest(*state, s), 0);
}

static void test_157_read_as_457(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->votes[0] = 457;
    assert_int_equal(suggest(w, s), 1);
    assert_suggestion(&s[0], "votes.1", 157, 1u << CHECK_VALID_SUM);
}

static void test_84_read_as_884(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->votes[1] = 884;
    assert_int_equal(suggest(w, s), 1);
    assert_suggestion(&s[0], "votes.2", 84, 1u << CHECK_VALID_SUM);
}

static void test_17_read_as_817(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->votes[3] = 817;
    assert_int_equal(suggest(w, s), 1);
    assert_suggestion(&s[0], "votes.4", 17, 1u << CHECK_VALID_SUM);
}

/* A small misreading can be undone at any pair's count: each is listed. */
static void test_every_single_change_is_listed(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->votes[0] = 167;
    assert_int_equal(suggest(w, s), 4);
    assert_suggestion(&s[0], "votes.1", 157, 1u << CHECK_VALID_SUM);
    assert_suggestion(&s[1], "votes.2", 74, 1u << CHECK_VALID_SUM);
    assert_suggestion(&s[2], "votes.3", 35, 1u << CHECK_VALID_SUM);
    assert_suggestion(&s[3], "votes.4", 7, 1u << CHECK_VALID_SUM);
}

/* One misread count can break two checks; the fix names both. */
static void test_one_fix_for_two_checks(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->c.total = 810;
    assert_int_equal(suggest(w, s), 1);
    assert_suggestion(&s[0], "total", 310, (1u << CHECK_TOTAL_SUM) | (1u << CHECK_TURNOUT_MATCH));
}

static void test_roll_mismatch_names_either_sex(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->c.registered[ROW_DPT][SEX_F] = 510; /* 210 misread: 720 is also over capacity */
    assert_int_equal(suggest(w, s), 1);
    assert_suggestion(&s[0], "registered.dpt.f", 210,
                      (1u << CHECK_DPT_MATCHES_ROLL) | (1u << CHECK_TPS_CAPACITY));
}

static void test_two_misreadings_have_no_single_fix(void **state)
{
    struct world *w = *state;
    struct suggestion s[SUGGEST_MAX];
    w->votes[0] = 457;
    w->c.total = 810;
    assert_int_equal(suggest(w, s), 0);
}

/* A contest of 40 candidates whose first count was read one too high: every
 * candidate's count could be the one misread, and each is listed (a list cut
 * at a fixed length would not be "every change"). */
static void test_every_change_of_many_candidates(void **state)
{
    struct world *w = *state;
    struct registry reg;
    char err[128];
    registry_init(&reg);
    assert_int_equal(registry_add_region(&reg, "62", "Kalimantan Tengah", 0), 0);
    assert_int_equal(registry_add_contest(&reg, "bup-62", "bupati", "62", "Many"), 0);
    for (int k = 1; k <= 40; k++)
        assert_int_equal(registry_add_candidate(&reg, "bup-62", k, "H", "D"), 0);
    assert_int_equal(registry_finish(&reg, err, sizeof err), 0);
    uint16_t votes[40];
    for (int k = 0; k < 39; k++)
        votes[k] = 7; /* 273, and 30 for the last: the form's 303 valid votes */
    votes[39] = 30;
    const struct contest *many = registry_contest(&reg, "bup-62", 6);
    assert_int_equal(form_checks(&w->c, votes, 40, ROLL), 0);
    votes[0] = 8;
    struct suggestion *s = calloc(SUGGEST_MAX, sizeof *s);
    assert_int_equal(suggest_fixes(&w->c, votes, many, ROLL, s, SUGGEST_MAX), 40);
    assert_suggestion(&s[0], "votes.1", 7, 1u << CHECK_VALID_SUM);
    assert_suggestion(&s[38], "votes.39", 6, 1u << CHECK_VALID_SUM);
    assert_suggestion(&s[39], "votes.40", 29, 1u << CHECK_VALID_SUM);
    free(s);
    registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_passing_form_has_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_157_read_as_457, setup, teardown),
        cmocka_unit_test_setup_teardown(test_84_read_as_884, setup, teardown),
        cmocka_unit_test_setup_teardown(test_17_read_as_817, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_single_change_is_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_fix_for_two_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_mismatch_names_either_sex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_misreadings_have_no_single_fix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_change_of_many_candidates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
