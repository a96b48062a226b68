/* A minimal WebSocket client (RFC 6455) on libuv TCP: the HTTP/1.1 upgrade
 * (its Sec-WebSocket-Accept checked), masked client frames, text messages
 * (reassembled from fragments), ping answered by pong, a close frame answered
 * by one; a masked or malformed server frame ends the connection
 * (WSC_PROTOCOL). Enough to be a live-dashboard viewer. */
#ifndef SUARA_LOAD_WSC_H
#define SUARA_LOAD_WSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct wsc;

/* A complete text message; `text` is valid during the callback only. */
typedef void (*wsc_message_cb)(struct wsc *w, void *ctx, const char *text, size_t len);
/* err 0: the upgrade succeeded (messages may be sent now). Otherwise the
 * connection is gone (negative libuv code, or WSC_* below). */
typedef void (*wsc_state_cb)(struct wsc *w, void *ctx, int err);

#define WSC_HANDSHAKE (-21001) /* no 101, or a wrong Sec-WebSocket-Accept */
#define WSC_PROTOCOL (-21002)  /* a frame we do not accept */
#define WSC_CLOSED (-21003)    /* the server sent a close frame (answered) */

/* The Sec-WebSocket-Accept a server must answer to Sec-WebSocket-Key `key`:
 * base64 of SHA-1 of the key and RFC 6455's GUID. */
#define WSC_ACCEPT_SIZE 29
void wsc_accept_key(const char *key, char out[WSC_ACCEPT_SIZE]);

struct wsc *wsc_new(uv_loop_t *loop, const struct sockaddr_in *addr, const char *host,
                    const char *path, wsc_message_cb on_message, wsc_state_cb on_state, void *ctx);
int wsc_connect(struct wsc *w);
/* Queues one text frame. 0, or a negative code. */
int wsc_send_text(struct wsc *w, const char *text, size_t len);
/* Closes the socket without a closing handshake and frees w once libuv is done. */
void wsc_free(struct wsc *w);

#endif
