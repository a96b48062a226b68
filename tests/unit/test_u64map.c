/* core/u64map: inserts, lookups and backward-shift deletes, checked against
 * a plain array over a long random churn (as live topics come and go). */
#include "core/u64map.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define KEYS 4096

static void test_churn_matches_a_plain_array(void **state)
{
    (void)state;
    static int present[KEYS];
    static int values[KEYS];
    struct u64map m;
    u64map_init(&m);
    size_t expected_len = 0;
    srand(7);
    for (int step = 0; step < 200000; step++) {
        int k = rand() % KEYS;
        /* Keys alike in their low bits, like (contest << 32 | region). */
        uint64_t key = (uint64_t)(k % 16) << 32 | (uint64_t)(k / 16);
        if (rand() % 3) {
            if (!present[k])
                expected_len++;
            present[k] = 1;
            assert_int_equal(u64map_put(&m, key, &values[k]), 0);
        } else {
            void *v = u64map_del(&m, key);
            assert_ptr_equal(v, present[k] ? &values[k] : NULL);
            if (present[k])
                expected_len--;
            present[k] = 0;
        }
        if (step % 997 == 0) {
            for (int j = 0; j < KEYS; j++) {
                uint64_t kj = (uint64_t)(j % 16) << 32 | (uint64_t)(j / 16);
                assert_ptr_equal(u64map_get(&m, kj), present[j] ? &values[j] : NULL);
            }
        }
        assert_int_equal(m.len, expected_len);
    }
    size_t pos = 0, seen = 0;
    while (u64map_next(&m, &pos))
        seen++;
    assert_int_equal(seen, expected_len);
    u64map_free(&m);
    assert_null(u64map_get(&m, 1));
    assert_null(u64map_del(&m, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn_matches_a_plain_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
