/* A blocking HTTP/1.1 GET for the command-line tools (the log monitor): plain
 * http:// on a TCP socket, one request per connection, bounded size and time.
 * The URL and each answer's head are parsed by core/http_client.h (the
 * publisher's parser, which the fuzzer drives). Never used by the server,
 * whose loop must not block. */
#ifndef SUARA_CLI_HTTP_H
#define SUARA_CLI_HTTP_H

#include "core/http_client.h"

#include <stddef.h>

#define CLI_HTTP_MAX_BODY (4 << 20)

struct cli_http_reply {
    int status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
};

/* GETs url's path + path. 0 with reply filled (any status), or -1 with err
 * when the server cannot be reached or does not answer framed HTTP (a
 * Content-Length) within timeout_s seconds. */
int cli_http_get(const struct http_url *url, const char *path, int timeout_s,
                 struct cli_http_reply *reply, char *err, size_t err_size);
void cli_http_reply_free(struct cli_http_reply *reply);

#endif
