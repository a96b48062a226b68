/* The headers every answer carries against framing, type sniffing and
 * leaking URLs (clickjacking a review desk whose token lives in the browser):
 * a Content-Security-Policy the web client meets (no inline script or style,
 * everything from this origin), X-Frame-Options for older browsers,
 * nosniff and a strict Referrer-Policy. */
#ifndef SUARA_NET_SECURITY_HEADERS_H
#define SUARA_NET_SECURITY_HEADERS_H

#include <stddef.h>

struct lws;

/* Adds them to a reply being built with lws_add_http_header_by_name; 0 or -1. */
int security_headers_add(struct lws *wsi, unsigned char **p, unsigned char *end);
/* The same as raw "name: value\r\n" lines, for lws_serve_http_file. */
extern const char security_headers_raw[];
extern const size_t security_headers_raw_len;

#endif
