/* libFuzzer target: an uploaded photo's bytes through image_check, the check
 * a stranger's PUT /api/v1/photos body reaches. The first byte picks the
 * declared type (JPEG, PNG, WebP, or a type the server does not take), the
 * rest is the body. Invariants: an accepted image has a size within the
 * limits; a refusal says why; an undeclared type is never accepted; and the
 * answer is the same twice (the decoders keep no state between calls, which
 * the thread pool relies on).
 *
 * tests/unit/test_fuzz_regressions.c includes this file with FUZZ_IMAGE_ENTRY
 * renamed, to replay the corpus in the ordinary test run. */
#include "domain/image.h"
#include "fuzz_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_IMAGE_ENTRY
#define FUZZ_IMAGE_ENTRY LLVMFuzzerTestOneInput
#endif

#define IMAGE_CHECK(cond) FUZZ_CHECK("fuzz_image", cond)

int FUZZ_IMAGE_ENTRY(const uint8_t *data, size_t size);

int FUZZ_IMAGE_ENTRY(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum image_type types[4] = {IMAGE_JPEG, IMAGE_PNG, IMAGE_WEBP, IMAGE_NONE};
    enum image_type t = types[data[0] % 4];
    /* A copy of exactly the body, so ASan sees any read past its end. */
    size_t len = size - 1;
    unsigned char *body = malloc(len ? len : 1);
    IMAGE_CHECK(body != NULL);
    memcpy(body, data + 1, len);

    struct image_info info, again;
    const char *why = NULL, *why2 = NULL;
    bool ok = image_check(t, body, len, &info, &why);
    bool ok2 = image_check(t, body, len, &again, &why2);
    IMAGE_CHECK(ok == ok2);
    if (ok) {
        IMAGE_CHECK(t != IMAGE_NONE);
        IMAGE_CHECK(info.width >= 1 && info.width <= IMAGE_MAX_SIDE);
        IMAGE_CHECK(info.height >= 1 && info.height <= IMAGE_MAX_SIDE);
        IMAGE_CHECK((long)info.width * info.height <= IMAGE_MAX_PIXELS);
        IMAGE_CHECK(info.width == again.width && info.height == again.height);
    } else {
        IMAGE_CHECK(why != NULL && why[0] != '\0');
    }
    free(body);
    return 0;
}
