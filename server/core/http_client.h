/* The pure parts of the small HTTP/1.1 client that publishes to nginx nchan
 * (net/publish.c): its URL, and the head of each response - the status, how
 * long the body is, whether the connection stays open. Bounded: nothing is
 * read past the bytes given, nothing is kept. */
#ifndef SUARA_CORE_HTTP_CLIENT_H
#define SUARA_CORE_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct http_url {
    char host[256]; /* a name, an IPv4 address or an IPv6 address without brackets */
    int port;
    char path[512]; /* without a trailing '/'; "" for the root */
};

/* Parses "http://HOST[:PORT][/PATH]" (HOST may be "[v6]"; PORT 80 by
 * default). Returns 0, or -1 for anything else (https included). */
int http_url_parse(const char *url, struct http_url *out);
/* The same for another scheme ("https://") and its default port. */
int http_url_parse_scheme(const char *url, const char *scheme, int default_port,
                          struct http_url *out);

#define HTTP_HEAD_MAX 8192 /* a longer head is an error, never a wait */

enum http_head_result {
    HTTP_HEAD_PARTIAL,  /* no blank line yet: read more */
    HTTP_HEAD_COMPLETE, /* fields below are set */
    HTTP_HEAD_INVALID,  /* not a response we can frame: close the connection */
};

struct http_head {
    int status;
    size_t head_len; /* bytes up to and including the blank line */
    size_t body_len; /* from Content-Length (0 for 1xx, 204 and 304) */
    bool keep_alive; /* false for "Connection: close" or HTTP/1.0 */
};

/* Parses the head at the start of data[0..len). A response framed by
 * anything but Content-Length (chunked, or read-until-close) is INVALID:
 * the publisher then closes and reconnects, losing nothing but time. */
enum http_head_result http_head_parse(const char *data, size_t len, struct http_head *out);

#endif
