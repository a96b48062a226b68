/* See security_headers.h. */
#include "security_headers.h"

#include <libwebsockets.h>
#include <string.h>

/* img-src allows data: and blob: for the photo previews the witness page
 * draws from the camera; connect-src 'self' covers the live WebSocket. */
#define DOCUMENT_CSP                                                                               \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "        \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"
#define API_CSP "default-src 'none'; frame-ancestors 'none'"

static const struct {
    const char *name; /* with the colon, as lws wants it */
    const char *value;
} api_headers[] = {
    {"content-security-policy:", API_CSP},
    {"x-frame-options:", "DENY"},
    {"x-content-type-options:", "nosniff"},
    {"referrer-policy:", "no-referrer"},
};

static const char document_raw[] = "content-security-policy: " DOCUMENT_CSP "\r\n"
                                   "x-frame-options: DENY\r\n"
                                   "x-content-type-options: nosniff\r\n"
                                   "referrer-policy: no-referrer\r\n";
static const char asset_raw[] = "x-content-type-options: nosniff\r\n";

int security_headers_add(struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < sizeof api_headers / sizeof api_headers[0]; i++) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)api_headers[i].name,
                                        (const unsigned char *)api_headers[i].value,
                                        (int)strlen(api_headers[i].value), p, end))
            return -1;
    }
    return 0;
}

const char *security_headers_for_file(const char *mime)
{
    return strncmp(mime, "text/html", 9) == 0 ? document_raw : asset_raw;
}
