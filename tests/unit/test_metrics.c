/* core/metrics: the acknowledgement histogram's buckets as /metrics renders
 * them, fine enough between 1 and 100 ms to tell a p99 of 9 ms from one of
 * 18 ms (loadtest/viewers_ack_bench.py reads them). */
#include "core/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_ack_buckets_between_1_and_100_ms(void **state)
{
    (void)state;
    metrics_init();
    histogram_observe(&g_metrics.ack_seconds, 0.009);
    histogram_observe(&g_metrics.ack_seconds, 0.018);
    histogram_observe(&g_metrics.ack_seconds, 0.070);
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(metrics_render(&out), 0);
    assert_int_equal(buf_append(&out, "", 1), 0);
    const char *text = out.data;
    /* cumulative counts: each observation lands in the first bound above it */
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.0075\"} 0\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.01\"} 1\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.015\"} 1\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.02\"} 2\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.05\"} 2\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"0.075\"} 3\n"));
    assert_non_null(strstr(text, "suara_ack_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
    /* the batch sizes keep their own, shorter list of bounds */
    assert_non_null(strstr(text, "suara_batch_size_bucket{le=\"65536\"} 0\n"
                                 "suara_batch_size_bucket{le=\"+Inf\"} 0\n"));
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_buckets_between_1_and_100_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
