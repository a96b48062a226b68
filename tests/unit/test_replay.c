/* The outcome rules replayed over one TPS and contest (domain/replay.c):
 * histories the ledger makes verify, and each kind of change to a stored
 * status, outcome or decision is named. */
#include "domain/form.h"
#include "domain/replay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static int numbers[4] = {1, 1, 2, 3}; /* forms with equal values have equal numbers */

static bool same(const void *a, const void *b)
{
    return *(const int *)a == *(const int *)b;
}

static struct replay_form form(int64_t id, int32_t token, int numbers_of, int outcome, int status)
{
    return (struct replay_form){.id = id,
                                .seq = id * 10,
                                .token = token,
                                .outcome = (uint8_t)outcome,
                                .status = (uint8_t)status,
                                .numbers = &numbers[numbers_of]};
}

static void decided(struct replay_form *f, bool count, int64_t seq)
{
    f->has_decision = true;
    f->decision_count = count;
    f->decision_id = 1;
    f->decision_seq = seq;
}

static char err[300];

static void test_correction_confirmation_and_dispute(void **state)
{
    /* A counts, B confirms (same numbers), C disputes, A corrects itself. */
    struct replay_form f[] = {
        form(1, 7, 0, FS_COUNTED, FS_SUPERSEDED),
        form(2, 8, 1, FS_CONFIRMATION, FS_CONFIRMATION),
        form(3, 9, 2, FS_DISPUTED, FS_DISPUTED),
        form(4, 7, 3, FS_COUNTED, FS_COUNTED),
    };
    f[1].confirms = 1;
    assert_int_equal(replay_slot(f, 4, same, err, sizeof err), 0);
    /* The correction is what counts: a stored status saying otherwise is named. */
    f[0].status = FS_COUNTED;
    assert_int_equal(replay_slot(f, 4, same, err, sizeof err), -1);
    assert_string_equal(err, "form 1: stored status counted, but replaying the log gives "
                             "superseded (a status or a decision was changed outside the server)");
    f[0].status = FS_SUPERSEDED;
    /* A confirmation claiming another form. */
    f[1].confirms = 4;
    assert_int_equal(replay_slot(f, 4, same, err, sizeof err), -1);
    assert_non_null(strstr(err, "form 2: its receipt says it was confirmation (confirming 4)"));
}

static void test_decisions(void **state)
{
    /* A counts, B disputes; the reviewer counts B; C is held and rejected. */
    struct replay_form f[] = {
        form(1, 7, 0, FS_COUNTED, FS_SUPERSEDED),
        form(2, 8, 2, FS_DISPUTED, FS_COUNTED),
        form(3, 9, 3, FS_HELD, FS_REJECTED),
    };
    f[2].holds = true;
    decided(&f[1], true, 35); /* after form 3 arrived */
    decided(&f[2], false, 36);
    assert_int_equal(replay_slot(f, 3, same, err, sizeof err), 0);
    /* The decision flipped to reject: B rejected, A stays counted. */
    f[1].decision_count = false;
    assert_int_equal(replay_slot(f, 3, same, err, sizeof err), -1);
    assert_string_equal(err, "form 1: stored status superseded, but replaying the log gives "
                             "counted (a status or a decision was changed outside the server)");
    /* A decision on a form that was not waiting. */
    f[1].decision_count = true;
    decided(&f[0], true, 40);
    assert_int_equal(replay_slot(f, 3, same, err, sizeof err), -1);
    assert_string_equal(err, "decision 1 on form 1: the rules say the form was superseded, not "
                             "waiting for review");
}

static void test_own_waiting_form_is_superseded(void **state)
{
    /* A's held form, then A's passing one: the held one is superseded. */
    struct replay_form f[] = {
        form(1, 7, 0, FS_HELD, FS_SUPERSEDED),
        form(2, 7, 0, FS_COUNTED, FS_COUNTED),
    };
    f[0].holds = true;
    assert_int_equal(replay_slot(f, 2, same, err, sizeof err), 0);
    f[0].status = FS_HELD;
    assert_int_equal(replay_slot(f, 2, same, err, sizeof err), -1);
    /* An outcome the rules do not give (a held form stored as counted). */
    f[0].status = FS_SUPERSEDED;
    f[0].outcome = FS_COUNTED;
    assert_int_equal(replay_slot(f, 2, same, err, sizeof err), -1);
    assert_non_null(strstr(err, "form 1: its receipt says it was counted"));
}

static void test_amendment_counts(void **state)
{
    /* A counts; after the pleno an admin's amendment, with other numbers and
     * a failing check, replaces it (docs/form-rules.md). */
    struct replay_form f[] = {
        form(1, 7, 0, FS_COUNTED, FS_SUPERSEDED),
        form(2, 99, 2, FS_COUNTED, FS_COUNTED),
    };
    f[1].holds = true;
    f[1].amended = true;
    assert_int_equal(replay_slot(f, 2, same, err, sizeof err), 0);
    /* Without its amendment the same form would have been held. */
    f[1].amended = false;
    assert_int_equal(replay_slot(f, 2, same, err, sizeof err), -1);
    assert_string_equal(err, "form 2: its receipt says it was counted (confirming 0); the rules "
                             "give held (confirming 0) at its place in the log");
}

/* The status changes the replay reports: the public log's status entries. */
struct change {
    int64_t seq, form_id;
    uint8_t status;
};

struct changes {
    struct change v[8];
    int n;
};

static void record(void *ctx, int64_t seq, int64_t form_id, uint8_t status)
{
    struct changes *c = ctx;
    assert_true(c->n < 8);
    c->v[c->n++] = (struct change){seq, form_id, status};
}

static void assert_change(const struct change *c, int64_t seq, int64_t form_id, int status)
{
    assert_int_equal(c->seq, seq);
    assert_int_equal(c->form_id, form_id);
    assert_int_equal(c->status, status);
}

static void test_status_changes_in_rule_order(void **state)
{
    /* A counts, B disputes, C is held; the reviewer counts B (A is superseded
     * first, then B counts), then rejects C; B's own correction after that
     * supersedes B's first form. No form's arrival status is a change. */
    struct replay_form f[] = {
        form(1, 7, 0, FS_COUNTED, FS_SUPERSEDED),
        form(2, 8, 2, FS_DISPUTED, FS_SUPERSEDED),
        form(3, 9, 3, FS_HELD, FS_REJECTED),
        form(4, 8, 3, FS_COUNTED, FS_COUNTED),
    };
    f[2].holds = true;
    decided(&f[1], true, 35);
    decided(&f[2], false, 36);
    struct changes c = {0};
    assert_int_equal(replay_slot_changes(f, 4, same, record, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 4);
    assert_change(&c.v[0], 35, 1, FS_SUPERSEDED);
    assert_change(&c.v[1], 35, 2, FS_COUNTED);
    assert_change(&c.v[2], 36, 3, FS_REJECTED);
    assert_change(&c.v[3], 40, 2, FS_SUPERSEDED);

    /* A witness's own held form, superseded by its next one. */
    struct replay_form g[] = {
        form(1, 7, 0, FS_HELD, FS_SUPERSEDED),
        form(2, 7, 0, FS_COUNTED, FS_COUNTED),
    };
    g[0].holds = true;
    c.n = 0;
    assert_int_equal(replay_slot_changes(g, 2, same, record, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 1);
    assert_change(&c.v[0], 20, 1, FS_SUPERSEDED);
}

/* A slot beyond the small ones replay.c sorts without the allocator: 40
 * forms, one witness's 39 corrections, and a decision made after all of them
 * on the other witness's disputed form (an event far out of order). */
struct many {
    struct change v[64];
    int n;
};

static void record_many(void *ctx, int64_t seq, int64_t form_id, uint8_t status)
{
    struct many *m = ctx;
    assert_true(m->n < 64);
    m->v[m->n++] = (struct change){seq, form_id, status};
}

static void test_large_slot_in_seq_order(void **state)
{
    (void)state;
    struct replay_form f[40];
    f[0] = form(1, 7, 0, FS_COUNTED, FS_SUPERSEDED);
    f[1] = form(2, 8, 2, FS_DISPUTED, FS_COUNTED);
    for (int i = 2; i < 40; i++)
        f[i] = form(i + 1, 7, 0, FS_COUNTED, FS_SUPERSEDED);
    decided(&f[1], true, 405);
    struct many m = {0};
    assert_int_equal(replay_slot_changes(f, 40, same, record_many, &m, err, sizeof err), 0);
    assert_int_equal(m.n, 40);
    assert_change(&m.v[0], 30, 1, FS_SUPERSEDED);
    for (int k = 4; k <= 40; k++)
        assert_change(&m.v[k - 3], 10 * k, k - 1, FS_SUPERSEDED);
    assert_change(&m.v[38], 405, 40, FS_SUPERSEDED);
    assert_change(&m.v[39], 405, 2, FS_COUNTED);
}

/* A big slot (beyond SMALL_SLOT, where replay.c goes straight to each
 * witness's previous form): 16 witnesses confirm the first count, then
 * witness 9's held form is decided (rejected), its next held form is
 * superseded by its confirmation; witness 10's held form is superseded by
 * its confirmation, whose own newer form replaces nothing. */
static void test_own_waiting_form_in_a_big_slot(void **state)
{
    (void)state;
    struct replay_form f[22];
    f[0] = form(1, 7, 0, FS_COUNTED, FS_COUNTED);
    for (int i = 1; i < 17; i++) {
        f[i] = form(i + 1, 100 + i, 1, FS_CONFIRMATION, FS_CONFIRMATION);
        f[i].confirms = 1;
    }
    f[17] = form(18, 9, 2, FS_HELD, FS_REJECTED);
    f[17].holds = true;
    decided(&f[17], false, 185);
    f[18] = form(19, 9, 2, FS_HELD, FS_SUPERSEDED);
    f[18].holds = true;
    f[19] = form(20, 9, 1, FS_CONFIRMATION, FS_CONFIRMATION);
    f[20] = form(21, 10, 2, FS_HELD, FS_SUPERSEDED);
    f[20].holds = true;
    f[21] = form(22, 10, 1, FS_CONFIRMATION, FS_CONFIRMATION);
    f[19].confirms = f[21].confirms = 1;
    struct changes c = {0};
    assert_int_equal(replay_slot_changes(f, 22, same, record, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 3);
    assert_change(&c.v[0], 185, 18, FS_REJECTED);
    assert_change(&c.v[1], 200, 19, FS_SUPERSEDED);
    assert_change(&c.v[2], 220, 21, FS_SUPERSEDED);
    /* A stored status the rules do not give is still found. */
    f[18].status = FS_HELD;
    assert_int_equal(replay_slot(f, 22, same, err, sizeof err), -1);
    assert_non_null(strstr(err, "form 19: stored status held"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_correction_confirmation_and_dispute),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_own_waiting_form_is_superseded),
        cmocka_unit_test(test_amendment_counts),
        cmocka_unit_test(test_status_changes_in_rule_order),
        cmocka_unit_test(test_large_slot_in_seq_order),
        cmocka_unit_test(test_own_waiting_form_in_a_big_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
