/* The bytes a client sends, checked on the wire where libwebsockets 4.1.6
 * does not check them:
 *
 *  - a request head (request line and headers) over WIRE_HEAD_MAX bytes or
 *    WIRE_LINES_MAX lines, or a request line over WIRE_HEAD_MAX bytes or with
 *    more than WIRE_LINES_MAX query arguments: lws would run out of header
 *    table and close the connection without a word, so the head is refused
 *    with a JSON 431 (414 for the request line) before lws sees it;
 *  - a WebSocket frame from the client without a mask (RFC 6455 5.1: the
 *    server must close the connection; lws 4.1.6 accepts it, later lws closes
 *    with 1002): the frame is not handed to lws and the connection is marked,
 *    so that the live feed closes it with status 1002.
 *
 * A wire_conn follows one connection's stream from its first byte: request
 * heads, bodies by Content-Length (framing.c refuses every other framing),
 * the upgrade, then frame headers. This file is the pure part (no lws, no
 * sockets), tested on its own; wire_hook.c feeds it what lws reads. */
#ifndef SUARA_NET_WIRE_H
#define SUARA_NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_HEAD_MAX 4096
#define WIRE_LINES_MAX 64

enum wire_mode {
    WIRE_HEAD,    /* in a request head */
    WIRE_BODY,    /* in a request body of known length */
    WIRE_FRAMES,  /* WebSocket frames after an upgrade */
    WIRE_OFF,     /* a framing we do not follow (framing.c closes it): pass all */
    WIRE_DISCARD, /* a refused frame came: nothing more is handed on */
};

enum wire_verdict {
    WIRE_PASS,         /* hand the first *pass bytes to lws */
    WIRE_HEAD_TOO_BIG, /* answer 431 and close */
    WIRE_URI_TOO_BIG,  /* answer 414 and close */
    WIRE_UNMASKED,     /* hand the first *pass bytes on, then close with 1002 */
};

struct wire_conn {
    enum wire_mode mode;
    size_t head_bytes, lines, args; /* of the head being read */
    bool in_request_line;
    char line[32]; /* the start of the header line being read */
    size_t line_len;
    unsigned char last;      /* the line's last byte so far */
    bool upgrade;            /* "Upgrade: websocket" in this head */
    uint64_t content_length; /* of this head, 0 without one */
    bool chunked;            /* Transfer-Encoding in this head */
    uint64_t left;           /* body bytes, or frame bytes, still to skip */
    unsigned char frame[14]; /* a frame header being read */
    size_t frame_len;
};

void wire_conn_init(struct wire_conn *c);
/* Follows n more bytes of the client's stream. *pass is how many of them go
 * on to lws: all of them, except before a refused frame. */
enum wire_verdict wire_feed(struct wire_conn *c, const unsigned char *data, size_t n, size_t *pass);

#endif
