/* See wire.h. A line at a time through heads, whole spans through bodies and
 * frame payloads, a byte at a time through frame headers (2 to 14 bytes). */
#include "wire.h"

#include <string.h>
#include <strings.h>

void wire_conn_init(struct wire_conn *c)
{
    memset(c, 0, sizeof *c);
    c->mode = WIRE_HEAD;
    c->in_request_line = true;
}

/* A header line ended: remember what the framing needs. The value is read
 * from the first bytes kept in c->line, enough for these short values. */
static void header_line(struct wire_conn *c)
{
    static const char cl[] = "content-length:", te[] = "transfer-encoding:", up[] = "upgrade:";
    c->line[c->line_len < sizeof c->line ? c->line_len : sizeof c->line - 1] = '\0';
    const char *v = NULL;
    if (strncasecmp(c->line, cl, sizeof cl - 1) == 0) {
        uint64_t n = 0;
        for (v = c->line + sizeof cl - 1; *v == ' ' || *v == '\t'; v++)
            ;
        for (; *v >= '0' && *v <= '9' && n < ((uint64_t)1 << 60); v++)
            n = n * 10 + (uint64_t)(*v - '0');
        c->content_length = n;
    } else if (strncasecmp(c->line, te, sizeof te - 1) == 0) {
        c->chunked = true;
    } else if (strncasecmp(c->line, up, sizeof up - 1) == 0) {
        for (v = c->line + sizeof up - 1; *v == ' ' || *v == '\t'; v++)
            ;
        c->upgrade = strncasecmp(v, "websocket", 9) == 0;
    }
}

/* The head ended (an empty line): what follows it. */
static void end_of_head(struct wire_conn *c)
{
    enum wire_mode next = c->chunked              ? WIRE_OFF /* framing.c answers 400, closes */
                          : c->upgrade            ? WIRE_FRAMES
                          : c->content_length > 0 ? WIRE_BODY
                                                  : WIRE_HEAD;
    uint64_t body = c->content_length;
    wire_conn_init(c);
    c->mode = next;
    c->left = next == WIRE_BODY ? body : 0;
}

/* A line of the head ended (c->line_len bytes, the last one c->last). */
static enum wire_verdict end_of_line(struct wire_conn *c)
{
    size_t content = c->line_len - (c->line_len && c->last == '\r');
    if (content == 0 && c->in_request_line) { /* a stray CRLF before a request line */
        c->head_bytes = 0;
        c->line_len = 0;
        return WIRE_PASS;
    }
    if (content == 0) {
        end_of_head(c);
        return WIRE_PASS;
    }
    if (!c->in_request_line)
        header_line(c);
    c->in_request_line = false;
    c->line_len = 0;
    return ++c->lines > WIRE_LINES_MAX ? WIRE_HEAD_TOO_BIG : WIRE_PASS;
}

/* The bytes of a head up to and including the next newline, taken a line at
 * a time (memchr), not byte by byte: this runs for every request. *used is
 * how many of the n bytes it took. */
static enum wire_verdict head_span(struct wire_conn *c, const unsigned char *p, size_t n,
                                   size_t *used)
{
    const unsigned char *nl = memchr(p, '\n', n);
    size_t len = nl ? (size_t)(nl - p) : n;
    *used = len + (nl != NULL);
    c->head_bytes += *used;
    if (c->in_request_line) {
        for (const unsigned char *a = p; (a = memchr(a, '&', len - (size_t)(a - p))); a++)
            c->args++;
        if (c->head_bytes > WIRE_HEAD_MAX || c->args > WIRE_LINES_MAX)
            return WIRE_URI_TOO_BIG;
    } else if (c->head_bytes > WIRE_HEAD_MAX) {
        return WIRE_HEAD_TOO_BIG;
    }
    if (c->line_len < sizeof c->line - 1) { /* only a line's start is ever looked at */
        size_t room = sizeof c->line - 1 - c->line_len;
        memcpy(c->line + c->line_len, p, len < room ? len : room);
    }
    c->line_len += len;
    if (len)
        c->last = p[len - 1];
    return nl ? end_of_line(c) : WIRE_PASS;
}

/* Bytes of a frame header, up to its end. Returns true when the header is
 * whole (c->left then holds the mask and payload to skip). */
static bool frame_byte(struct wire_conn *c, unsigned char b)
{
    c->frame[c->frame_len++] = b;
    if (c->frame_len < 2)
        return false;
    unsigned len7 = c->frame[1] & 0x7f;
    size_t need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    if (c->frame_len < need)
        return false;
    uint64_t len = len7;
    if (len7 == 126)
        len = (uint64_t)c->frame[2] << 8 | c->frame[3];
    else if (len7 == 127)
        for (int i = 0; i < 8; i++)
            len = (i ? len << 8 : 0) | c->frame[2 + i];
    c->left = len + 4; /* the mask key, then the payload */
    return true;
}

enum wire_verdict wire_feed(struct wire_conn *c, const unsigned char *data, size_t n, size_t *pass)
{
    *pass = n;
    for (size_t i = 0; i < n;) {
        if (c->mode == WIRE_OFF)
            return WIRE_PASS;
        if (c->mode == WIRE_DISCARD) {
            *pass = 0;
            return WIRE_PASS;
        }
        if ((c->mode == WIRE_BODY || c->mode == WIRE_FRAMES) && c->left > 0) {
            size_t take = c->left < n - i ? (size_t)c->left : n - i;
            c->left -= take;
            i += take;
            if (c->mode == WIRE_BODY && c->left == 0)
                c->mode = WIRE_HEAD;
            continue;
        }
        if (c->mode == WIRE_FRAMES) {
            /* where this frame began: in an earlier read, or here */
            size_t start = i >= c->frame_len ? i - c->frame_len : 0;
            if (frame_byte(c, data[i++])) {
                bool masked = c->frame[1] & 0x80;
                c->frame_len = 0;
                if (!masked) {
                    c->mode = WIRE_DISCARD;
                    *pass = start;
                    return WIRE_UNMASKED;
                }
            }
            continue;
        }
        size_t used;
        enum wire_verdict v = head_span(c, data + i, n - i, &used);
        i += used;
        if (v != WIRE_PASS)
            return v;
    }
    return WIRE_PASS;
}
