/* The headers answers carry against framing, type sniffing and leaking URLs
 * (clickjacking a review desk whose token lives in the browser). Documents
 * (the web client's HTML) get the full set: a Content-Security-Policy the
 * client meets (no inline script or style, everything from this origin),
 * X-Frame-Options for older browsers, nosniff and a strict Referrer-Policy.
 * API answers get a policy that lets nothing run or frame them. Scripts,
 * styles and images get nosniff alone: a policy on them has no effect, and
 * every byte counts on a witness's phone. */
#ifndef SUARA_NET_SECURITY_HEADERS_H
#define SUARA_NET_SECURITY_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

struct lws;

/* Adds the API answers' set to a reply being built; 0 or -1. */
int security_headers_add(struct lws *wsi, unsigned char **p, unsigned char *end);
/* Builds the documents' policy once, before serving: connect-src then also
 * names the origin of --live-url (NULL: this origin only), and the port of
 * --live-listen on any host (0: none), where the page's feed then is. */
void security_headers_init(const char *live_url, int live_port);
/* Raw "name: value\r\n" lines for a static file of this MIME type. */
const char *security_headers_for_file(const char *mime);

#endif
