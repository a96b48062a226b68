/* See security_headers.h. */
#include "security_headers.h"

#include <libwebsockets.h>
#include <string.h>

/* img-src allows data: and blob: for the photo previews the witness page
 * draws from the camera; connect-src 'self' covers the live WebSocket. */
#define CSP                                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "        \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

static const struct {
    const char *name; /* with the colon, as lws wants it */
    const char *value;
} headers[] = {
    {"content-security-policy:", CSP},
    {"x-frame-options:", "DENY"},
    {"x-content-type-options:", "nosniff"},
    {"referrer-policy:", "no-referrer"},
};

const char security_headers_raw[] = "content-security-policy: " CSP "\r\n"
                                    "x-frame-options: DENY\r\n"
                                    "x-content-type-options: nosniff\r\n"
                                    "referrer-policy: no-referrer\r\n";
const size_t security_headers_raw_len = sizeof security_headers_raw - 1;

int security_headers_add(struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)headers[i].name,
                                        (const unsigned char *)headers[i].value,
                                        (int)strlen(headers[i].value), p, end))
            return -1;
    }
    return 0;
}
