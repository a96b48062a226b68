/* core/http_client: the publisher's URL and the framing of the answers it
 * reads from nginx nchan. */
#include "core/http_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static void test_url_forms(void **state)
{
    (void)state;
    struct http_url u;
    assert_int_equal(http_url_parse("http://127.0.0.1:8081/pub", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8081);
    assert_string_equal(u.path, "/pub");
    assert_int_equal(http_url_parse("http://edge.example/pub/suara///", &u), 0);
    assert_string_equal(u.host, "edge.example");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/pub/suara");
    assert_int_equal(http_url_parse("http://[::1]:9000", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9000);
    assert_string_equal(u.path, "");
}

static void test_url_refusals(void **state)
{
    (void)state;
    struct http_url u;
    const char *bad[] = {"https://edge/pub",    "edge:80/pub",       "http://",
                         "http://:80/pub",      "http://edge:0/pub", "http://edge:65536",
                         "http://edge:80x/pub", "http://[::1/pub",   "http://[::1]x/pub",
                         "http://edge:/pub"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(http_url_parse(bad[i], &u), -1);
}

static enum http_head_result parse(const char *text, struct http_head *h)
{
    return http_head_parse(text, strlen(text), h);
}

static void test_head_framed_by_length(void **state)
{
    (void)state;
    struct http_head h;
    const char *nchan = "HTTP/1.1 202 Accepted\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
                        "content-length: 101\r\nConnection: keep-alive\r\n\r\nqueued";
    assert_int_equal(parse(nchan, &h), HTTP_HEAD_COMPLETE);
    assert_int_equal(h.status, 202);
    assert_int_equal(h.body_len, 101);
    assert_int_equal(h.head_len, strstr(nchan, "queued") - nchan);
    assert_true(h.keep_alive);
    assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", &h), HTTP_HEAD_COMPLETE);
    assert_int_equal(h.body_len, 0);
    assert_int_equal(
        parse("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", &h),
        HTTP_HEAD_COMPLETE);
    assert_int_equal(h.status, 403);
    assert_false(h.keep_alive);
    assert_int_equal(parse("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", &h),
                     HTTP_HEAD_COMPLETE);
    assert_false(h.keep_alive);
}

static void test_head_partial_and_invalid(void **state)
{
    (void)state;
    struct http_head h;
    assert_int_equal(parse("HTTP/1.1 201 Created\r\nContent-Len", &h), HTTP_HEAD_PARTIAL);
    const char *invalid[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n", /* read-until-close */
        "HTTP/1.1 200 OK\r\nContent-Length: 10abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_int_equal(parse(invalid[i], &h), HTTP_HEAD_INVALID);
    static char huge[HTTP_HEAD_MAX + 16];
    memset(huge, 'a', sizeof huge - 1);
    memcpy(huge, "HTTP/1.1 200 OK\r\nX: ", 20);
    assert_int_equal(parse(huge, &h), HTTP_HEAD_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_forms),
        cmocka_unit_test(test_url_refusals),
        cmocka_unit_test(test_head_framed_by_length),
        cmocka_unit_test(test_head_partial_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
