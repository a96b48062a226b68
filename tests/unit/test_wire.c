/* net/wire.c: the request heads and WebSocket frames followed byte by byte,
 * whatever the reads' boundaries. */
#include "net/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Feeds text in pieces of `step` bytes; returns the first verdict that is
 * not WIRE_PASS (or WIRE_PASS) and the bytes passed in total. */
static enum wire_verdict feed(struct wire_conn *c, const char *text, size_t len, size_t step,
                              size_t *passed)
{
    *passed = 0;
    for (size_t at = 0; at < len; at += step) {
        size_t n = len - at < step ? len - at : step, pass;
        enum wire_verdict v = wire_feed(c, (const unsigned char *)text + at, n, &pass);
        *passed += pass;
        if (v != WIRE_PASS)
            return v;
    }
    return WIRE_PASS;
}

static void test_heads_and_bodies_pass(void **state)
{
    (void)state;
    static const char two[] = "POST /api/v1/forms HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                              "GET /x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t step = 1; step <= sizeof two; step++) {
        struct wire_conn c;
        wire_conn_init(&c);
        size_t passed;
        /* the body "GET /x\r\n\r\n" (5 bytes of it) is skipped, not read as a head */
        assert_int_equal(feed(&c, two, sizeof two - 1, step, &passed), WIRE_PASS);
        assert_int_equal(passed, sizeof two - 1);
        assert_int_equal(c.mode, WIRE_HEAD);
        assert_int_equal(c.head_bytes, 0);
    }
}

static void test_oversized_heads(void **state)
{
    (void)state;
    static char text[8192];
    struct wire_conn c;
    size_t passed;
    int n = snprintf(text, sizeof text, "GET / HTTP/1.1\r\nX-Pad: %4090s\r\n\r\n", "p");
    wire_conn_init(&c);
    assert_int_equal(feed(&c, text, (size_t)n, 1000, &passed), WIRE_HEAD_TOO_BIG);
    n = snprintf(text, sizeof text, "GET /?%4100s HTTP/1.1\r\n\r\n", "q");
    wire_conn_init(&c);
    assert_int_equal(feed(&c, text, (size_t)n, 7, &passed), WIRE_URI_TOO_BIG);
    size_t at = (size_t)snprintf(text, sizeof text, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < WIRE_LINES_MAX; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "A: b\r\n");
    wire_conn_init(&c);
    assert_int_equal(feed(&c, text, at, 64, &passed), WIRE_HEAD_TOO_BIG); /* 65 lines */
    at = (size_t)snprintf(text, sizeof text, "GET /?");
    for (int i = 0; i <= WIRE_LINES_MAX; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "&a");
    wire_conn_init(&c);
    assert_int_equal(feed(&c, text, at, 64, &passed), WIRE_URI_TOO_BIG);
}

static void test_frames_after_the_upgrade(void **state)
{
    (void)state;
    static const char upgrade[] = "GET /api/v1/live HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
    /* a masked 200-byte frame (16-bit length), a masked ping, then an unmasked text frame */
    static unsigned char stream[512];
    size_t at = 0;
    memcpy(stream, upgrade, sizeof upgrade - 1);
    at += sizeof upgrade - 1;
    const unsigned char big[] = {0x81, 0x80 | 126, 0, 200, 1, 2, 3, 4};
    memcpy(stream + at, big, sizeof big);
    at += sizeof big + 200;
    const unsigned char ping[] = {0x89, 0x80, 9, 9, 9, 9};
    memcpy(stream + at, ping, sizeof ping);
    at += sizeof ping;
    size_t bad = at;
    const unsigned char unmasked[] = {0x81, 5, 'h', 'e', 'l', 'l', 'o'};
    memcpy(stream + at, unmasked, sizeof unmasked);
    at += sizeof unmasked;
    for (size_t step = 1; step <= at; step++) {
        struct wire_conn c;
        wire_conn_init(&c);
        size_t passed;
        assert_int_equal(feed(&c, (const char *)stream, at, step, &passed), WIRE_UNMASKED);
        /* what came before the unmasked frame went on; nothing of it did,
         * except its first byte when an earlier read held it */
        assert_true(passed >= bad);
        assert_true(passed <= bad + 1);
        assert_int_equal(c.mode, WIRE_DISCARD);
        size_t pass;
        assert_int_equal(wire_feed(&c, (const unsigned char *)"x", 1, &pass), WIRE_PASS);
        assert_int_equal(pass, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heads_and_bodies_pass),
        cmocka_unit_test(test_oversized_heads),
        cmocka_unit_test(test_frames_after_the_upgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
