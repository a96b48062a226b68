/* A blocking HTTP/1.1 GET for the command-line tools (the log monitor):
 * http:// on a TCP socket, or https:// through OpenSSL's libssl on the same
 * socket (the server's certificate checked against the system's CAs or a
 * given file, and its name or address against the URL's host), one request
 * per connection, bounded size and time. The URL and each answer's head are
 * parsed by core/http_client.h (the publisher's parser, which the fuzzer
 * drives). Never used by the server, whose loop must not block.
 *
 * Not libwebsockets' client: it is callback-driven, and one blocking GET
 * would take a context, a client connection, a service loop and a state
 * machine across its callbacks; libssl on the socket this file already has
 * does the same TLS (lws uses that libssl itself), with the verification
 * spelled out here where a reviewer can see it.
 */
#ifndef SUARA_CLI_HTTP_H
#define SUARA_CLI_HTTP_H

#include "core/http_client.h"

#include <stdbool.h>
#include <stddef.h>

#define CLI_HTTP_MAX_BODY (4 << 20)

struct cli_http_reply {
    int status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
};

struct cli_url {
    struct http_url url;
    bool tls;
    const char *ca_file; /* https: the CA certificates to trust (NULL: the system's) */
};

/* Parses "http://HOST[:PORT][/PATH]" or "https://..." (port 443 by default). */
int cli_url_parse(const char *text, struct cli_url *out);

/* GETs url's path + path. 0 with reply filled (any status), or -1 with err
 * when the server cannot be reached, its certificate does not verify, or it
 * does not answer framed HTTP (a Content-Length) within timeout_s seconds. */
int cli_http_get(const struct cli_url *url, const char *path, int timeout_s,
                 struct cli_http_reply *reply, char *err, size_t err_size);
void cli_http_reply_free(struct cli_http_reply *reply);

#endif
