/* Core helpers: SHA-256 vectors, the bounded buffer, the string map, and the
 * COPY text parsing the start-up loader relies on. */
#include "core/buf.h"
#include "core/err.h"
#include "core/sha256.h"
#include "core/strmap.h"
#include "core/utf8.h"
#include "db/copy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_sha256_vectors(void **state)
{
    char hex[65];
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two_blocks, strlen(two_blocks), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Fed in odd pieces, the same digest. */
    struct sha256 s;
    unsigned char d[32];
    sha256_init(&s);
    for (size_t i = 0; i < strlen(two_blocks); i += 7)
        sha256_update(&s, two_blocks + i, strlen(two_blocks + i) < 7 ? strlen(two_blocks + i) : 7);
    sha256_final(&s, d);
    hex_encode(d, 32, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_buf_is_bounded(void **state)
{
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "hello"), SU_OK);
    assert_int_equal(buf_printf(&b, "%d", 12345), SU_OK);
    assert_string_equal(b.data, "hello12345");
    assert_int_equal(buf_error(&b), SU_OK);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    size_t len;
    buf_puts(&b, "abc");
    char *p = buf_steal(&b, &len);
    assert_string_equal(p, "abc");
    assert_int_equal(len, 3);
    assert_null(b.data);
    free(p);
    buf_free(&b);
}

/* curl's dynbuf rule: a failed append frees the content, and the failure
 * sticks until a reset, so an encoder checks once at the end. */
static void test_buf_failure_frees_and_sticks(void **state)
{
    struct buf b;
    buf_init(&b, 10);
    buf_puts(&b, "hello");
    assert_int_equal(buf_puts(&b, "world!"), SU_TOOBIG);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_puts(&b, "x"), SU_TOOBIG); /* fits, but the failure stuck */
    assert_int_equal(buf_printf(&b, "%d", 1), SU_TOOBIG);
    assert_int_equal(buf_error(&b), SU_TOOBIG);
    size_t len = 99;
    assert_null(buf_steal(&b, &len));
    assert_int_equal(len, 0);
    assert_int_equal(buf_error(&b), SU_OK); /* steal leaves a fresh buffer */
    assert_int_equal(buf_puts(&b, "again"), SU_OK);
    assert_string_equal(b.data, "again");
    buf_free(&b);
}

static void test_buf_fixed_never_allocates(void **state)
{
    char storage[8];
    struct buf b;
    buf_init_fixed(&b, storage, sizeof storage);
    assert_int_equal(buf_puts(&b, "1234567"), SU_OK);
    assert_ptr_equal(b.data, storage);
    assert_int_equal(buf_puts(&b, "8"), SU_TOOBIG);
    assert_ptr_equal(b.data, storage); /* the caller's storage is never freed */
    assert_string_equal(b.data, "");
    buf_reset(&b);
    assert_int_equal(buf_puts(&b, "ok"), SU_OK);
    assert_string_equal(storage, "ok");
    buf_free(&b);
}

static void test_strmap_grows_and_replaces(void **state)
{
    struct strmap m;
    strmap_init(&m);
    static char keys[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof keys[i], "key-%d", i);
        assert_int_equal(strmap_put(&m, keys[i], (void *)(intptr_t)(i + 1)), SU_OK);
    }
    assert_int_equal(m.len, 2000);
    for (int i = 0; i < 2000; i++)
        assert_int_equal((intptr_t)strmap_get(&m, keys[i]), i + 1);
    assert_null(strmap_get(&m, "key-2000"));
    assert_int_equal((intptr_t)strmap_getn(&m, "key-12xyz", 6), 13);
    strmap_put(&m, keys[5], (void *)(intptr_t)77);
    assert_int_equal(m.len, 2000);
    assert_int_equal((intptr_t)strmap_get(&m, "key-5"), 77);
    strmap_free(&m);
}

static void test_copy_split_line(void **state)
{
    char line[] = "62.01\tKumai\\tHulu\t\\N\tback\\\\slash\n";
    char *f[8];
    int n = copy_split_line(line, strlen(line), f, 8);
    assert_int_equal(n, 4);
    assert_string_equal(f[0], "62.01");
    assert_string_equal(f[1], "Kumai\tHulu");
    assert_null(f[2]);
    assert_string_equal(f[3], "back\\slash");
    char many[] = "a\tb\tc";
    assert_int_equal(copy_split_line(many, strlen(many), f, 2), -1);
}

static void test_copy_int_array(void **state)
{
    long v[4];
    assert_int_equal(copy_parse_int_array("{1,22,333}", v, 4), 3);
    assert_int_equal(v[2], 333);
    assert_int_equal(copy_parse_int_array("{}", v, 4), 0);
    assert_int_equal(copy_parse_int_array("{1,2,3,4,5}", v, 4), -1);
    assert_int_equal(copy_parse_int_array("1,2", v, 4), -1);
    assert_int_equal(copy_parse_int_array("{1;2}", v, 4), -1);
    assert_int_equal(copy_parse_int_array(NULL, v, 4), -1);
}

static void test_utf8(void **state)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"", true},
        {"plain", true},
        {"Pemilihan \xc3\xa9", true},
        {"\xe2\x82\xac", true},
        {"\xf0\x9f\x97\xb3", true},
        {"\xff", false},
        {"\xc0\xaf", false},     /* overlong */
        {"\xed\xa0\x80", false}, /* surrogate */
        {"\xe0\x80\xaf", false},
        {"\xf4\x90\x80\x80", false},
        {"\xc3", false}, /* truncated */
        {"\xe2\x82", false},
        {"a\x80"
         "b",
         false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_buf_is_bounded),
        cmocka_unit_test(test_buf_failure_frees_and_sticks),
        cmocka_unit_test(test_buf_fixed_never_allocates),
        cmocka_unit_test(test_strmap_grows_and_replaces),
        cmocka_unit_test(test_copy_split_line),
        cmocka_unit_test(test_copy_int_array),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
