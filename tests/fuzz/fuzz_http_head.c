/* libFuzzer target: core/http_client's http_head_parse on arbitrary bytes, as
 * a misbehaving or hostile publisher endpoint could answer. The bytes are
 * copied to a buffer of exactly their length, so ASan catches any read past
 * them. Invariants: a complete head lies inside the input and ends with a
 * blank line, its status is a three-digit number, and a bodiless status has
 * no body. */
#include "core/http_client.h"
#include "fuzz_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_HTTP_HEAD_ENTRY
#define FUZZ_HTTP_HEAD_ENTRY LLVMFuzzerTestOneInput
#endif

#define HEAD_CHECK(cond) FUZZ_CHECK("fuzz_http_head", cond)

int FUZZ_HTTP_HEAD_ENTRY(const uint8_t *data, size_t size);

int FUZZ_HTTP_HEAD_ENTRY(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    HEAD_CHECK(copy != NULL);
    memcpy(copy, data, size);
    struct http_head h;
    enum http_head_result r = http_head_parse(copy, size, &h);
    if (r == HTTP_HEAD_COMPLETE) {
        HEAD_CHECK(h.head_len >= 4 && h.head_len <= size && h.head_len <= HTTP_HEAD_MAX);
        HEAD_CHECK(memcmp(copy + h.head_len - 4, "\r\n\r\n", 4) == 0);
        HEAD_CHECK(h.status >= 100 && h.status <= 999);
        if (h.status < 200 || h.status == 204 || h.status == 304)
            HEAD_CHECK(h.body_len == 0);
    } else {
        HEAD_CHECK(r == HTTP_HEAD_PARTIAL || r == HTTP_HEAD_INVALID);
        if (r == HTTP_HEAD_PARTIAL)
            HEAD_CHECK(size < HTTP_HEAD_MAX);
    }
    free(copy);
    return 0;
}
