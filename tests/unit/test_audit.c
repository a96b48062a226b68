/* The audit trail's aggregation: a flood of events from any number of
 * sources costs at most (sources_max + one shared bucket per kind) rows per
 * window, and every event is counted. */
#include "domain/audit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void free_rows(struct audit_row **rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i]->detail);
        free(rows[i]);
    }
    free(rows);
}

static void test_one_row_per_source_and_window(void **state)
{
    (void)state;
    struct audit_agg a;
    assert_int_equal(audit_agg_init(&a, 10, 60000), 0);
    for (int i = 0; i < 10000; i++)
        audit_agg_count(&a, "auth_failed", i % 2 ? "10.0.0.1" : "10.0.0.2", "");
    audit_agg_count(&a, "export", "10.0.0.1", "gub-62 desa");
    int n;
    struct audit_row **rows = audit_agg_flush(&a, 120000, 60, &n);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0]->kind, "auth_failed");
    assert_string_equal(rows[0]->detail, "{\"source\":\"10.0.0.2\",\"count\":5000,"
                                         "\"from\":\"1970-01-01T00:01:00.000Z\",\"window_s\":60}");
    assert_int_equal(rows[0]->at_ms, 60000);
    assert_string_equal(rows[0]->ref, "60000|auth_failed|10.0.0.2|");
    assert_string_equal(rows[2]->detail, "{\"source\":\"10.0.0.1\",\"what\":\"gub-62 desa\","
                                         "\"count\":1,\"from\":\"1970-01-01T00:01:00.000Z\","
                                         "\"window_s\":60}");
    free_rows(rows, n);
    /* The next window starts empty. */
    rows = audit_agg_flush(&a, 180000, 60, &n);
    assert_int_equal(n, 0);
    assert_null(rows);
    audit_agg_free(&a);
}

static void test_many_sources_share_one_bucket_beyond_the_cap(void **state)
{
    (void)state;
    struct audit_agg a;
    assert_int_equal(audit_agg_init(&a, 3, 0), 0);
    char source[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(source, sizeof source, "10.1.%d.%d", i / 256, i % 256);
        audit_agg_count(&a, "auth_failed", source, "");
    }
    int n;
    struct audit_row **rows = audit_agg_flush(&a, 1000, 60, &n);
    assert_int_equal(n, 4);
    assert_non_null(strstr(rows[3]->detail, "\"source\":\"*\""));
    assert_non_null(strstr(rows[3]->detail, "\"count\":4997"));
    assert_int_equal(a.overflowed, 4997);
    free_rows(rows, n);
    audit_agg_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_row_per_source_and_window),
        cmocka_unit_test(test_many_sources_share_one_bucket_beyond_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
