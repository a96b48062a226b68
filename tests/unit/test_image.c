/* domain/image.c and domain/photo_index.c: each corpus image of
 * tests/fuzz/corpus/fuzz_image/ gets the one answer it must get (the first
 * byte of a file is the declared type, as in the fuzz target). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "domain/image.h"
#include "domain/photo_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS SUARA_SOURCE_DIR "/tests/fuzz/corpus/fuzz_image/"

static unsigned char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", CORPUS, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[65536];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static bool check_file(const char *name, enum image_type t, struct image_info *info)
{
    size_t len;
    unsigned char *data = slurp(name, &len);
    const char *why = NULL;
    bool ok = image_check(t, data + 1, len - 1, info, &why);
    if (!ok)
        assert_non_null(why);
    return ok;
}

static void test_valid_images_decode_with_their_size(void **state)
{
    (void)state;
    struct image_info info;
    assert_true(check_file("jpeg", IMAGE_JPEG, &info));
    assert_int_equal(info.width, 24);
    assert_int_equal(info.height, 16);
    assert_true(check_file("jpeg_96x64", IMAGE_JPEG, &info)); /* decoded at 1/8 scale */
    assert_int_equal(info.width, 96);
    assert_int_equal(info.height, 64);
    assert_true(check_file("jpeg_progressive", IMAGE_JPEG, &info));
    assert_int_equal(info.width, 20);
    assert_true(check_file("png", IMAGE_PNG, &info));
    assert_int_equal(info.width, 12);
    assert_int_equal(info.height, 9);
    assert_true(check_file("webp", IMAGE_WEBP, &info));
    assert_int_equal(info.width, 16);
    assert_int_equal(info.height, 12);
}

static void test_truncated_and_mislabelled_images_are_refused(void **state)
{
    (void)state;
    struct image_info info;
    assert_false(check_file("jpeg_truncated", IMAGE_JPEG, &info));
    /* jpeg_96x64 with 8 bytes of its entropy data forged, length unchanged:
     * the scaled decode discards AC coefficients but still decodes them. */
    assert_false(check_file("jpeg_forged", IMAGE_JPEG, &info));
    assert_false(check_file("png_truncated", IMAGE_PNG, &info));
    assert_false(check_file("webp_truncated", IMAGE_WEBP, &info));
    assert_false(check_file("png_as_jpeg", IMAGE_JPEG, &info));
    assert_false(check_file("jpeg_as_webp", IMAGE_WEBP, &info));
    assert_false(check_file("jpeg", IMAGE_PNG, &info));
    assert_false(check_file("jpeg", IMAGE_NONE, &info));
    assert_false(image_check(IMAGE_JPEG, (const unsigned char *)"", 0, &info, NULL));
}

static void test_media_types(void **state)
{
    (void)state;
    assert_int_equal(image_type_parse("image/jpeg"), IMAGE_JPEG);
    assert_int_equal(image_type_parse("IMAGE/PNG; charset=binary"), IMAGE_PNG);
    assert_int_equal(image_type_parse("image/webp "), IMAGE_WEBP);
    assert_int_equal(image_type_parse("image/jpg"), IMAGE_NONE);
    assert_int_equal(image_type_parse("image/jpegx"), IMAGE_NONE);
    assert_int_equal(image_type_parse(""), IMAGE_NONE);
    assert_string_equal(image_type_mime(IMAGE_WEBP), "image/webp");
}

static void test_index_adds_once_and_counts_bytes(void **state)
{
    (void)state;
    struct photo_index x;
    photo_index_init(&x);
    struct photo_entry e = {.type = IMAGE_JPEG, .bytes = 1000, .width = 4, .height = 3};
    memset(e.sha256, 'a', PHOTO_HASH_LEN);
    assert_int_equal(photo_index_add(&x, &e), SU_OK);
    e.bytes = 5;
    assert_int_equal(photo_index_add(&x, &e), SU_AGAIN);
    assert_int_equal(x.count, 1);
    assert_int_equal(x.bytes, 1000);
    assert_int_equal(photo_index_get(&x, e.sha256)->bytes, 1000);
    e.sha256[0] = 'b';
    assert_null(photo_index_get(&x, e.sha256));
    photo_index_free(&x);
    assert_true(
        photo_hash_valid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64));
    assert_false(
        photo_hash_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 64));
    assert_false(photo_hash_valid("abc", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_images_decode_with_their_size),
        cmocka_unit_test(test_truncated_and_mislabelled_images_are_refused),
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_index_adds_once_and_counts_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
