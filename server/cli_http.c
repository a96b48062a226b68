/* See cli_http.h. */
#include "cli_http.h"
#include "core/mem.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int connect_to(const struct http_url *url, int timeout_s, char *err, size_t err_size)
{
    char port[8];
    snprintf(port, sizeof port, "%d", url->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(url->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_size, "cannot resolve %s: %s", url->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = timeout_s};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            snprintf(err, err_size, "cannot connect to %s:%d: %s", url->host, url->port,
                     strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Reads until the head and Content-Length bytes of body are in. */
static int read_answer(int fd, const struct http_url *url, struct cli_http_reply *reply, char *err,
                       size_t err_size)
{
    size_t cap = 64 * 1024, len = 0;
    char *raw = xmalloc(cap);
    struct http_head head;
    enum http_head_result hr = HTTP_HEAD_PARTIAL;
    int rc = -1;
    for (;;) {
        if (hr == HTTP_HEAD_PARTIAL)
            hr = http_head_parse(raw, len, &head);
        if (hr == HTTP_HEAD_INVALID) {
            snprintf(err, err_size, "the answer of %s:%d is not framed HTTP", url->host, url->port);
            break;
        }
        if (hr == HTTP_HEAD_COMPLETE && head.body_len > CLI_HTTP_MAX_BODY) {
            snprintf(err, err_size, "the answer is larger than %d bytes", CLI_HTTP_MAX_BODY);
            break;
        }
        if (hr == HTTP_HEAD_COMPLETE && len >= head.head_len + head.body_len) {
            reply->status = head.status;
            reply->len = head.body_len;
            reply->body = xmalloc(head.body_len + 1);
            memcpy(reply->body, raw + head.head_len, head.body_len);
            reply->body[head.body_len] = '\0';
            rc = 0;
            break;
        }
        if (len == cap) {
            cap *= 2;
            raw = xrealloc(raw, cap);
        }
        ssize_t got = recv(fd, raw + len, cap - len, 0);
        if (got <= 0) {
            snprintf(err, err_size, "no whole answer from %s:%d: %s", url->host, url->port,
                     got == 0          ? "the connection closed"
                     : errno == EAGAIN ? "timed out"
                                       : strerror(errno));
            break;
        }
        len += (size_t)got;
    }
    free(raw);
    return rc;
}

int cli_http_get(const struct http_url *url, const char *path, int timeout_s,
                 struct cli_http_reply *reply, char *err, size_t err_size)
{
    memset(reply, 0, sizeof *reply);
    int fd = connect_to(url, timeout_s, err, err_size);
    if (fd < 0)
        return -1;
    char req[1400];
    int n = snprintf(req, sizeof req,
                     "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nAccept: application/json\r\n"
                     "Connection: close\r\n\r\n",
                     url->path, path, url->host, url->port);
    int rc = -1;
    if (n <= 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        snprintf(err, err_size, "cannot send to %s:%d: %s", url->host, url->port, strerror(errno));
    else
        rc = read_answer(fd, url, reply, err, err_size);
    close(fd);
    return rc;
}

void cli_http_reply_free(struct cli_http_reply *reply)
{
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}
