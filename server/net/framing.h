/* Strict request framing (RFC 9112 section 6): how long a request body is,
 * read from the raw header values lws keeps, refusing every ambiguity a proxy
 * in front could resolve differently (request smuggling): Transfer-Encoding
 * together with Content-Length, more than one Content-Length, and a
 * Content-Length that is not plain digits. lws itself frames by the first
 * Content-Length's leading digits, so such requests are answered 400 and the
 * connection closed before any body byte is read as a request. */
#ifndef SUARA_NET_FRAMING_H
#define SUARA_NET_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

struct lws;

struct http_framing {
    bool has_length;     /* one valid Content-Length */
    long long length;    /* its value, 0 without one */
    bool chunked;        /* Transfer-Encoding present (and no Content-Length) */
    const char *problem; /* why the framing is refused, NULL when it is sound */
};

/* Reads Content-Length and Transfer-Encoding of the request on wsi. */
void http_framing_read(struct lws *wsi, struct http_framing *out);
/* A Content-Length value: ASCII digits and nothing else (no sign, no spaces,
 * no list). True with the number in *out, which saturates far above any body
 * limit instead of overflowing. */
bool http_content_length_parse(const char *text, size_t len, long long *out);

#endif
