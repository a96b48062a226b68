/* Unit tests for domain/region_code.c: the syntax of Kemendagri codes with
 * dots, parent prefixes and level names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/region_code.h"

#include <string.h>

static enum region_level level_of(const char *code)
{
    return region_code_level(code, strlen(code));
}

static void test_level_of_each_kind(void **state)
{
    assert_int_equal(level_of("62"), LEVEL_PROVINCE);
    assert_int_equal(level_of("62.03"), LEVEL_KABUPATEN);
    assert_int_equal(level_of("62.03.01"), LEVEL_KECAMATAN);
    assert_int_equal(level_of("62.03.01.2001"), LEVEL_DESA);
    assert_int_equal(level_of("62.03.01.2001.001"), LEVEL_TPS);
    assert_int_equal(level_of("00.00.00.0000.000"), LEVEL_TPS);
    assert_int_equal(strlen("62.03.01.2001.001"), REGION_CODE_MAX);
}

static void test_malformed_codes(void **state)
{
    static const char *const bad[] = {
        "",                    /* empty */
        "6",                   /* short province */
        "620",                 /* long province */
        "6a",                  /* not a digit */
        "62.",                 /* dot without segment */
        ".62",                 /* leading dot */
        "62.3",                /* short kabupaten */
        "62.033",              /* long kabupaten */
        "62-03",               /* wrong separator */
        "62..03",              /* empty segment */
        "62.03.01.201",        /* short desa */
        "62.03.01.20011",      /* long desa */
        "62.03.01.2001.01",    /* short TPS number */
        "62.03.01.2001.0011",  /* long TPS number */
        "62.03.01.2001.001.",  /* trailing dot */
        "62.03.01.2001.001.1", /* a sixth level */
        "62.03.01.2001.00x",   /* letter in TPS number */
        " 62",                 /* leading space */
        "62 ",                 /* trailing space */
        "\xd9\xa6\xd9\xa2",    /* Arabic-Indic digits are not digits here */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (level_of(bad[i]) != LEVEL_NONE)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

/* The length bounds the code: no NUL is needed and bytes after it are
 * ignored, so callers can test slices of a longer string. */
static void test_length_delimited(void **state)
{
    const char *tps = "62.03.01.2001.001";
    assert_int_equal(region_code_level(tps, 2), LEVEL_PROVINCE);
    assert_int_equal(region_code_level(tps, 5), LEVEL_KABUPATEN);
    assert_int_equal(region_code_level(tps, 8), LEVEL_KECAMATAN);
    assert_int_equal(region_code_level(tps, 13), LEVEL_DESA);
    assert_int_equal(region_code_level(tps, 17), LEVEL_TPS);
    assert_int_equal(region_code_level(tps, 0), LEVEL_NONE);
    assert_int_equal(region_code_level(tps, 3), LEVEL_NONE);
    assert_int_equal(region_code_level(tps, 16), LEVEL_NONE);
    const char buf[2] = {'6', '2'}; /* no NUL: ASan would flag a read past it */
    assert_int_equal(region_code_level(buf, sizeof buf), LEVEL_PROVINCE);
}

static void test_parent_len(void **state)
{
    const char *tps = "62.03.01.2001.001";
    assert_int_equal(region_code_parent_len(tps, 17), 13);
    assert_int_equal(region_code_parent_len(tps, 13), 8);
    assert_int_equal(region_code_parent_len(tps, 8), 5);
    assert_int_equal(region_code_parent_len(tps, 5), 2);
    assert_int_equal(region_code_parent_len(tps, 2), 0);
    assert_int_equal(region_code_parent_len("62.x", 4), 0);
    assert_int_equal(region_code_parent_len("", 0), 0);
    /* Walking up from a TPS reaches the province in four steps. */
    size_t len = 17;
    int steps = 0;
    for (; region_code_level(tps, len) != LEVEL_PROVINCE; steps++)
        len = region_code_parent_len(tps, len);
    assert_int_equal(steps, 4);
    assert_int_equal(len, 2);
}

static void test_level_names(void **state)
{
    static const struct {
        enum region_level level;
        const char *name;
    } names[] = {
        {LEVEL_PROVINCE, "province"},
        {LEVEL_KABUPATEN, "kabupaten"},
        {LEVEL_KECAMATAN, "kecamatan"},
        {LEVEL_DESA, "desa"},
        {LEVEL_TPS, "tps"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_string_equal(region_level_name(names[i].level), names[i].name);
        assert_int_equal(region_level_parse(names[i].name), names[i].level);
    }
    assert_null(region_level_name(LEVEL_NONE));
    assert_null(region_level_name((enum region_level)6));
    assert_null(region_level_name((enum region_level) - 1));
    assert_int_equal(region_level_parse(""), LEVEL_NONE);
    assert_int_equal(region_level_parse("TPS"), LEVEL_NONE);
    assert_int_equal(region_level_parse("kota"), LEVEL_NONE);
    assert_int_equal(region_level_parse("provinces"), LEVEL_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_of_each_kind), cmocka_unit_test(test_malformed_codes),
        cmocka_unit_test(test_length_delimited),   cmocka_unit_test(test_parent_len),
        cmocka_unit_test(test_level_names),
    };
    return cmocka_run_group_tests_name("region_code", tests, NULL, NULL);
}
