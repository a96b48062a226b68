/* See security_headers.h. */
#include "security_headers.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

/* img-src allows data: and blob: for the photo previews the witness page
 * draws from the camera; connect-src 'self' covers the live WebSocket, and
 * the nchan edges' origin when --live-url names one (%s). */
#define DOCUMENT_CSP                                                                               \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "        \
    "connect-src 'self'%s; object-src 'none'; base-uri 'none'; form-action 'self'; "               \
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

#define DOCUMENT_RAW                                                                               \
    "content-security-policy: " DOCUMENT_CSP "\r\n"                                                \
    "x-frame-options: DENY\r\n"                                                                    \
    "x-content-type-options: nosniff\r\n"                                                          \
    "referrer-policy: no-referrer\r\n"

static char document_raw[1024];
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

/* The WebSocket origin of a live URL ("ws://edge:8081/live" -> "ws://edge:8081";
 * http and https as ws and wss, which the client opens); "" for a path on
 * this origin, which 'self' covers. */
static void live_origin(const char *url, char *out, size_t size)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    out[0] = '\0';
    if (!sep)
        return;
    const char *host = sep + 3;
    size_t host_len = strcspn(host, "/");
    bool tls = strncmp(url, "https", 5) == 0 || strncmp(url, "wss", 3) == 0;
    snprintf(out, size, " %s://%.*s", tls ? "wss" : "ws", (int)host_len, host);
}

void security_headers_init(const char *live_url, int live_port)
{
    char origin[600];
    live_origin(live_url, origin, sizeof origin);
    if (live_port) /* the page's own host name, whatever it is, on that port */
        snprintf(origin + strlen(origin), sizeof origin - strlen(origin), " ws://*:%d", live_port);
    snprintf(document_raw, sizeof document_raw, DOCUMENT_RAW, origin);
}

const char *security_headers_for_file(const char *mime)
{
    if (!document_raw[0])
        security_headers_init(NULL, 0);
    return strncmp(mime, "text/html", 9) == 0 ? document_raw : asset_raw;
}
