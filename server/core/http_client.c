/* See http_client.h. */
#include "http_client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_blank_line(const char *data, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
            return data + i;
    }
    return NULL;
}

/* "HTTP/1.x NNN ..." -> status and whether 1.1 keeps the connection. */
static bool parse_status_line(const char *p, const char *end, int *status, bool *keep_alive)
{
    if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return false;
    *keep_alive = p[7] == '1';
    int s = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        s = s * 10 + (p[i] - '0');
    }
    if (s < 100 || (end - p > 12 && p[12] != ' '))
        return false;
    *status = s;
    return true;
}

static bool name_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Plain digits only, as for requests: "10abc" or a second value is refused. */
static bool parse_length(const char *p, const char *end, size_t *out)
{
    p = skip_spaces(p, end);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p == end || end - p > 12)
        return false;
    size_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return true;
}

static bool value_has_token(const char *p, const char *end, const char *token)
{
    size_t n = strlen(token);
    for (; p + n <= end; p++) {
        if (strncasecmp(p, token, n) == 0)
            return true;
    }
    return false;
}

enum http_head_result http_head_parse(const char *data, size_t len, struct http_head *out)
{
    const char *blank = find_blank_line(data, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX);
    if (!blank)
        return len >= HTTP_HEAD_MAX ? HTTP_HEAD_INVALID : HTTP_HEAD_PARTIAL;
    const char *end = blank + 2; /* each line ends with its CRLF */
    const char *eol = memchr(data, '\r', (size_t)(end - data));
    struct http_head h = {0};
    if (!eol || !parse_status_line(data, eol, &h.status, &h.keep_alive))
        return HTTP_HEAD_INVALID;
    bool have_length = false;
    for (const char *line = eol + 2; line < end; line = eol + 2) {
        eol = memchr(line, '\r', (size_t)(end - line));
        if (!eol || eol[1] != '\n')
            return HTTP_HEAD_INVALID;
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (!colon)
            return HTTP_HEAD_INVALID;
        size_t name_len = (size_t)(colon - line);
        if (name_is(line, name_len, "Content-Length")) {
            if (have_length || !parse_length(colon + 1, eol, &h.body_len))
                return HTTP_HEAD_INVALID;
            have_length = true;
        } else if (name_is(line, name_len, "Transfer-Encoding")) {
            return HTTP_HEAD_INVALID;
        } else if (name_is(line, name_len, "Connection")) {
            if (value_has_token(colon + 1, eol, "close"))
                h.keep_alive = false;
        }
    }
    bool bodiless = h.status < 200 || h.status == 204 || h.status == 304;
    if (bodiless)
        h.body_len = 0;
    else if (!have_length)
        return HTTP_HEAD_INVALID;
    h.head_len = (size_t)(blank + 4 - data);
    *out = h;
    return HTTP_HEAD_COMPLETE;
}

int http_url_parse(const char *url, struct http_url *out)
{
    return http_url_parse_scheme(url, "http://", 80, out);
}

int http_url_parse_scheme(const char *url, const char *scheme, int default_port,
                          struct http_url *out)
{
    memset(out, 0, sizeof *out);
    if (strncmp(url, scheme, strlen(scheme)) != 0)
        return -1;
    const char *host = url + strlen(scheme);
    const char *path = strchr(host, '/');
    if (!path)
        path = host + strlen(host);
    const char *port = NULL;
    const char *host_end = path;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(path - host));
        if (!close)
            return -1;
        port = close[1] == ':' ? close + 2 : NULL;
        if (!port && close + 1 != path)
            return -1;
        host++;
        host_end = close;
    } else {
        const char *colon = memchr(host, ':', (size_t)(path - host));
        if (colon) {
            port = colon + 1;
            host_end = colon;
        }
    }
    size_t host_len = (size_t)(host_end - host);
    size_t path_len = strlen(path);
    while (path_len > 0 && path[path_len - 1] == '/')
        path_len--;
    if (host_len == 0 || host_len >= sizeof out->host || path_len >= sizeof out->path)
        return -1;
    memcpy(out->host, host, host_len);
    memcpy(out->path, path, path_len);
    out->port = default_port;
    if (port) {
        char *end;
        long v = strtol(port, &end, 10);
        if (end != path || end == port || v < 1 || v > 65535)
            return -1;
        out->port = (int)v;
    }
    return 0;
}
