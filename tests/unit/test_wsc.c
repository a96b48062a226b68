/* The load generator's WebSocket client (loadtest/wsc.c) against a tiny
 * server in this process: the accept digest (RFC 6455's own example), a wrong
 * Sec-WebSocket-Accept refused, a masked server frame refused, and a close
 * frame answered with a masked close frame carrying the same status code. */
#include "wsc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum scenario { WRONG_ACCEPT, TEXT_THEN_CLOSE, MASKED_FRAME };

struct rig {
    uv_loop_t loop;
    uv_tcp_t listener, peer;
    uv_timer_t deadline;
    enum scenario scenario;
    bool peer_open, upgraded, timed_out;
    size_t head_len; /* the upgrade request's length in in */
    char in[4096];   /* what the client sent */
    size_t in_len;
    int state; /* the client's last state: 1 = none yet */
    char message[64];
    int n_messages;
    struct wsc *ws;
};

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out)
{
    struct rig *r = h->data;
    (void)hint;
    *out = uv_buf_init(r->in + r->in_len, (unsigned)(sizeof r->in - r->in_len));
}

static void send_bytes(struct rig *r, const void *data, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    assert_int_equal(uv_try_write((uv_stream_t *)&r->peer, &b, 1), (int)len);
}

/* Answers the upgrade as the scenario says, then sends its frames. */
static void answer(struct rig *r)
{
    const char *key = strstr(r->in, "Sec-WebSocket-Key: ");
    assert_non_null(key);
    char key64[25];
    memcpy(key64, key + 19, 24);
    key64[24] = '\0';
    char accept[WSC_ACCEPT_SIZE];
    wsc_accept_key(key64, accept);
    if (r->scenario == WRONG_ACCEPT)
        accept[0] = accept[0] == 'A' ? 'B' : 'A';
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    send_bytes(r, head, (size_t)n);
    if (r->scenario == TEXT_THEN_CLOSE) {
        static const unsigned char frames[] = {0x81, 5,    'h', 'e',  'l', 'l',
                                               'o',  0x88, 2,   0x03, 0xE8};
        send_bytes(r, frames, sizeof frames);
    } else if (r->scenario == MASKED_FRAME) {
        static const unsigned char frame[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2};
        send_bytes(r, frame, sizeof frame);
    }
}

static void on_peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct rig *r = s->data;
    (void)b;
    if (n <= 0)
        return;
    r->in_len += (size_t)n;
    r->in[r->in_len < sizeof r->in ? r->in_len : sizeof r->in - 1] = '\0';
    const char *end = strstr(r->in, "\r\n\r\n");
    if (!r->upgraded && end) {
        r->upgraded = true;
        r->head_len = (size_t)(end + 4 - r->in);
        answer(r);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct rig *r = server->data;
    assert_int_equal(status, 0);
    uv_tcp_init(&r->loop, &r->peer);
    r->peer.data = r;
    r->peer_open = true;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&r->peer), 0);
    uv_read_start((uv_stream_t *)&r->peer, on_alloc, on_peer_read);
}

static void on_message(struct wsc *w, void *ctx, const char *text, size_t len)
{
    struct rig *r = ctx;
    (void)w;
    snprintf(r->message, sizeof r->message, "%.*s", (int)len, text);
    r->n_messages++;
}

static void on_state(struct wsc *w, void *ctx, int err)
{
    struct rig *r = ctx;
    (void)w;
    r->state = err;
    if (err != 0)
        uv_stop(&r->loop); /* the connection is over: look at what happened */
}

static void on_deadline(uv_timer_t *t)
{
    struct rig *r = t->data;
    r->timed_out = true;
    uv_stop(&r->loop);
}

/* Runs one scenario until the client reports the end of its connection (or a
 * generous deadline, which fails the test), then closes everything. */
static void run(struct rig *r, enum scenario s)
{
    memset(r, 0, sizeof *r);
    r->scenario = s;
    r->state = 1;
    assert_int_equal(uv_loop_init(&r->loop), 0);
    uv_tcp_init(&r->loop, &r->listener);
    r->listener.data = r;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_bind(&r->listener, (const struct sockaddr *)&addr, 0), 0);
    int len = sizeof addr;
    uv_tcp_getsockname(&r->listener, (struct sockaddr *)&addr, &len);
    assert_int_equal(uv_listen((uv_stream_t *)&r->listener, 4, on_connection), 0);
    uv_timer_init(&r->loop, &r->deadline);
    r->deadline.data = r;
    uv_timer_start(&r->deadline, on_deadline, 10000, 0);
    r->ws = wsc_new(&r->loop, &addr, "127.0.0.1", "/api/v1/live", on_message, on_state, r);
    assert_int_equal(wsc_connect(r->ws), 0);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    /* a close frame's answer (6 bytes of header and mask, 2 of status) must
     * reach the peer before it closes */
    while (s == TEXT_THEN_CLOSE && r->in_len < r->head_len + 8 && !r->timed_out)
        uv_run(&r->loop, UV_RUN_ONCE);
    assert_false(r->timed_out);
    wsc_free(r->ws);
    uv_close((uv_handle_t *)&r->listener, NULL);
    uv_close((uv_handle_t *)&r->deadline, NULL);
    if (r->peer_open)
        uv_close((uv_handle_t *)&r->peer, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&r->loop), 0);
}

static void test_accept_digest(void **state)
{
    (void)state;
    char accept[WSC_ACCEPT_SIZE];
    wsc_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept); /* RFC 6455 section 1.3 */
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_wrong_accept_is_refused(void **state)
{
    (void)state;
    static struct rig r;
    run(&r, WRONG_ACCEPT);
    assert_int_equal(r.state, WSC_HANDSHAKE);
    assert_int_equal(r.n_messages, 0);
}

static void test_masked_server_frame_is_refused(void **state)
{
    (void)state;
    static struct rig r;
    run(&r, MASKED_FRAME);
    assert_int_equal(r.state, WSC_PROTOCOL);
    assert_int_equal(r.n_messages, 0);
}

/* The client's frame after its upgrade request in r->in: opcode, and the
 * unmasked payload into out. Returns the payload length. */
static size_t client_frame(const struct rig *r, int *opcode, unsigned char *out)
{
    const char *end = strstr(r->in, "\r\n\r\n");
    assert_non_null(end);
    const unsigned char *f = (const unsigned char *)end + 4;
    assert_true((size_t)((const char *)f - r->in) + 6 <= r->in_len);
    *opcode = f[0];
    assert_true(f[1] & 0x80); /* a client always masks */
    size_t len = f[1] & 0x7f;
    assert_true(len <= 125);
    for (size_t i = 0; i < len; i++)
        out[i] = f[6 + i] ^ f[2 + (i & 3)];
    return len;
}

static void test_close_frame_is_answered(void **state)
{
    (void)state;
    static struct rig r;
    run(&r, TEXT_THEN_CLOSE);
    assert_int_equal(r.state, WSC_CLOSED);
    assert_int_equal(r.n_messages, 1);
    assert_string_equal(r.message, "hello");
    int opcode;
    unsigned char payload[125];
    assert_int_equal(client_frame(&r, &opcode, payload), 2);
    assert_int_equal(opcode, 0x88); /* FIN + close */
    assert_int_equal(payload[0] << 8 | payload[1], 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_digest),
        cmocka_unit_test(test_wrong_accept_is_refused),
        cmocka_unit_test(test_masked_server_frame_is_refused),
        cmocka_unit_test(test_close_frame_is_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
