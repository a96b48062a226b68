/* Content-Length values as net/framing.c reads them: plain digits only, so
 * that no two parsers can disagree on where a body ends. */
#include "net/framing.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static bool parse(const char *text, long long *out)
{
    return http_content_length_parse(text, strlen(text), out);
}

static void test_plain_digits(void **state)
{
    (void)state;
    long long n = -1;
    assert_true(parse("0", &n));
    assert_int_equal(n, 0);
    assert_true(parse("65536", &n));
    assert_int_equal(n, 65536);
    assert_true(parse("007", &n));
    assert_int_equal(n, 7);
}

static void test_everything_else_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"",     "10abc", "+10",   "-1",  " 10", "10 ",
                                      "0x10", "1e3",   "10,10", "1 0", "١٠"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long n = 42;
        assert_false(parse(bad[i], &n));
        assert_int_equal(n, 42); /* untouched */
    }
}

static void test_huge_numbers_saturate(void **state)
{
    (void)state;
    long long n = 0;
    assert_true(parse("99999999999999999999999999999999", &n));
    assert_int_equal(n, 999999999999999LL); /* above every body limit: 413, never a wrap */
    assert_true(parse("18446744073709551617", &n));
    assert_int_equal(n, 999999999999999LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_digits),
        cmocka_unit_test(test_everything_else_is_refused),
        cmocka_unit_test(test_huge_numbers_saturate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
