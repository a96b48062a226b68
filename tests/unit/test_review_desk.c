/* Unit tests for domain/review_desk.c: claims (one holder, renewal, expiry,
 * release, the bounds in all and per token, the sorted table) and requests
 * (newest first, the per-form limit, ids). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "domain/review_desk.h"

#include <stdlib.h>
#include <string.h>

#define CLAIM_MS 1000

static int setup(void **state)
{
    struct review_desk *d = calloc(1, sizeof *d);
    assert_non_null(d);
    assert_int_equal(review_desk_init(d, 4, 2, CLAIM_MS), SU_OK);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    review_desk_free(*state);
    free(*state);
    return 0;
}

static void test_one_holder_until_expiry(void **state)
{
    struct review_desk *d = *state;
    const struct review_claim *c = NULL;
    assert_int_equal(review_claim(d, 42, 7, 100, &c), CLAIM_OK);
    assert_int_equal(c->token_id, 7);
    assert_int_equal(c->expires_ms, 100 + CLAIM_MS);
    assert_int_equal(review_claim(d, 42, 8, 500, &c), CLAIM_TAKEN);
    assert_int_equal(c->token_id, 7);
    /* renewal by the holder moves the expiry */
    assert_int_equal(review_claim(d, 42, 7, 600, &c), CLAIM_OK);
    assert_int_equal(c->expires_ms, 600 + CLAIM_MS);
    assert_int_equal(review_claim(d, 42, 8, 1599, NULL), CLAIM_TAKEN);
    assert_null(review_claim_of(d, 42, 1600));
    assert_int_equal(review_claim(d, 42, 8, 1600, &c), CLAIM_OK);
    assert_int_equal(c->token_id, 8);
}

static void test_release_and_forget(void **state)
{
    struct review_desk *d = *state;
    assert_int_equal(review_claim(d, 5, 1, 0, NULL), CLAIM_OK);
    assert_false(review_release(d, 5, 2, 10));
    assert_true(review_release(d, 5, 1, 10));
    assert_false(review_release(d, 5, 1, 10));
    assert_null(review_claim_of(d, 5, 10));
    assert_int_equal(review_claim(d, 6, 1, 0, NULL), CLAIM_OK);
    review_forget(d, 6);
    assert_null(review_claim_of(d, 6, 0));
    assert_int_equal(d->n_claims, 0);
}

static void test_bounds(void **state)
{
    struct review_desk *d = *state;
    assert_int_equal(review_claim(d, 30, 1, 0, NULL), CLAIM_OK);
    assert_int_equal(review_claim(d, 10, 1, 0, NULL), CLAIM_OK);
    assert_int_equal(review_claim(d, 20, 1, 0, NULL), CLAIM_TOKEN_FULL);
    assert_int_equal(review_claim(d, 10, 1, 5, NULL), CLAIM_OK); /* renewing is not a new one */
    assert_int_equal(review_claim(d, 20, 2, 0, NULL), CLAIM_OK);
    assert_int_equal(review_claim(d, 40, 2, 0, NULL), CLAIM_OK);
    assert_int_equal(review_claim(d, 50, 3, 0, NULL), CLAIM_FULL);
    /* the table stays sorted by form id */
    for (int i = 1; i < d->n_claims; i++)
        assert_true(d->claims[i - 1].form_id < d->claims[i].form_id);
    /* expired claims make room when it is needed */
    assert_int_equal(review_claim(d, 50, 3, CLAIM_MS + 4, NULL), CLAIM_OK);
    assert_int_equal(d->n_claims, 2); /* 10 (renewed at 5) and 50 */
    assert_non_null(review_claim_of(d, 10, CLAIM_MS + 4));
    assert_non_null(review_claim_of(d, 50, CLAIM_MS + 4));
}

static void test_requests(void **state)
{
    struct review_desk *d = *state;
    struct review_request *r = NULL;
    assert_int_equal(review_request_kind_parse("photo"), REQUEST_PHOTO);
    assert_int_equal(review_request_kind_parse("recount"), REQUEST_RECOUNT);
    assert_int_equal(review_request_kind_parse("Photo"), -1);
    assert_string_equal(review_request_kind_name(REQUEST_RECOUNT), "recount");
    assert_int_equal(review_request_add(d, 0, 9, 3, REQUEST_PHOTO, strdup("a"), 100, &r), SU_OK);
    assert_int_equal(r->id, 1);
    assert_int_equal(review_request_add(d, 17, 9, 3, REQUEST_RECOUNT, strdup("b"), 200, &r), SU_OK);
    assert_int_equal(d->next_request_id, 18);
    const struct review_request *first = review_requests_of(d, 9);
    assert_string_equal(first->note, "b");
    assert_string_equal(first->next->note, "a");
    assert_null(first->next->next);
    assert_null(review_requests_of(d, 10));
    for (int i = 2; i < REVIEW_REQUESTS_PER_FORM; i++)
        assert_int_equal(review_request_add(d, 0, 9, 3, REQUEST_PHOTO, strdup("x"), 300, NULL),
                         SU_OK);
    assert_int_equal(review_request_count(d, 9), REVIEW_REQUESTS_PER_FORM);
    assert_int_equal(review_request_add(d, 0, 9, 3, REQUEST_PHOTO, strdup("y"), 400, NULL),
                     SU_TOOBIG);
    assert_int_equal(review_request_count(d, 9), REVIEW_REQUESTS_PER_FORM);
    assert_int_equal(d->n_requests, REVIEW_REQUESTS_PER_FORM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_holder_until_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_and_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
    };
    return cmocka_run_group_tests_name("review_desk", tests, NULL, NULL);
}
