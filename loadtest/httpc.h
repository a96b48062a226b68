/* A hand-written HTTP/1.1 client connection on libuv TCP: keep-alive, one
 * request at a time (no pipelining), responses framed by Content-Length.
 * The connection (re)connects by itself when a request is sent while it is
 * down, so a caller only ever sees "answered" or "failed, try again". */
#ifndef SUARA_LOAD_HTTPC_H
#define SUARA_LOAD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTPC_TIMEOUT (-20001)  /* no complete answer within the timeout */
#define HTTPC_PROTOCOL (-20002) /* an answer that is not HTTP/1.1 as we speak it */
#define HTTPC_DROPPED (-20003)  /* httpc_drop() while waiting */

struct httpc;

struct http_resp {
    int status;
    int retry_after;  /* seconds, 0 when absent */
    const char *body; /* not NUL-terminated; valid during the callback only */
    size_t body_len;
};

/* err is 0 with a response, or a negative libuv / HTTPC_* code without one. */
typedef void (*httpc_cb)(struct httpc *c, void *ctx, int err, const struct http_resp *resp);

struct httpc *httpc_new(uv_loop_t *loop, const struct sockaddr_in *addr);
/* Sends one complete request (copied). The connection must be idle.
 * timeout_ms covers connect, send and the whole answer; 0 means none. */
int httpc_send(struct httpc *c, const char *req, size_t len, uint64_t timeout_ms, httpc_cb cb,
               void *ctx);
bool httpc_idle(const struct httpc *c);
/* Closes the socket at once, as a network failure would. A request still
 * waiting gets its callback with HTTPC_DROPPED (before this returns). */
void httpc_drop(struct httpc *c);
/* Closes everything; the memory is freed once libuv has released the handles. */
void httpc_free(struct httpc *c);
/* Connections made so far (the first one included). */
uint64_t httpc_connects(const struct httpc *c);

/* Writes a request head for a body of body_len bytes into out; returns its
 * length (0 when it does not fit). token and content_type may be NULL. */
size_t httpc_head(char *out, size_t size, const char *method, const char *path, const char *host,
                  const char *token, size_t body_len);

#endif
