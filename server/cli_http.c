/* See cli_http.h. */
#include "cli_http.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
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

int cli_url_parse(const char *text, struct cli_url *out)
{
    memset(out, 0, sizeof *out);
    if (http_url_parse(text, &out->url) == 0)
        return 0;
    out->tls = true;
    return http_url_parse_scheme(text, "https://", 443, &out->url);
}

/* One connection: the socket, and over it a TLS session for https. */
struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

static void tls_error(const char *what, const struct http_url *url, char *err, size_t err_size)
{
    unsigned long e = ERR_get_error();
    snprintf(err, err_size, "%s with %s:%d: %s", what, url->host, url->port,
             e ? ERR_reason_error_string(e) : "the connection closed");
}

/* The TLS handshake; the certificate must chain to ca_file's (or the
 * system's) CAs and name url's host: a DNS name, or an IP address. */
static int tls_start(struct conn *c, const struct cli_url *u, char *err, size_t err_size)
{
    const struct http_url *url = &u->url;
    signal(SIGPIPE, SIG_IGN); /* libssl writes with write(): a closed peer must not end us */
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1) {
        tls_error("cannot set up TLS", url, err, err_size);
        return -1;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if ((u->ca_file ? SSL_CTX_load_verify_locations(c->ctx, u->ca_file, NULL)
                    : SSL_CTX_set_default_verify_paths(c->ctx)) != 1) {
        snprintf(err, err_size, "cannot read the CA certificates %s", u->ca_file ? u->ca_file : "");
        return -1;
    }
    c->ssl = SSL_new(c->ctx);
    unsigned char addr[16];
    bool is_ip =
        inet_pton(AF_INET, url->host, addr) == 1 || inet_pton(AF_INET6, url->host, addr) == 1;
    X509_VERIFY_PARAM *param = c->ssl ? SSL_get0_param(c->ssl) : NULL;
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
        (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url->host)
               : X509_VERIFY_PARAM_set1_host(param, url->host, 0) &&
                     SSL_set_tlsext_host_name(c->ssl, url->host)) != 1) {
        tls_error("cannot set up TLS", url, err, err_size);
        return -1;
    }
    if (SSL_connect(c->ssl) != 1) {
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK)
            snprintf(err, err_size, "the certificate of %s:%d does not verify: %s", url->host,
                     url->port, X509_verify_cert_error_string(v));
        else
            tls_error("no TLS handshake", url, err, err_size);
        return -1;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
}

static bool conn_send(struct conn *c, const char *data, int len)
{
    if (c->ssl)
        return SSL_write(c->ssl, data, len) == len;
    return send(c->fd, data, (size_t)len, MSG_NOSIGNAL) == len;
}

/* Like recv: bytes read, 0 at the end, -1 on an error (errno for a socket). */
static ssize_t conn_recv(struct conn *c, char *into, size_t cap)
{
    if (!c->ssl)
        return recv(c->fd, into, cap, 0);
    int n = SSL_read(c->ssl, into, cap > INT_MAX ? INT_MAX : (int)cap);
    if (n > 0)
        return n;
    return SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* Reads until the head and Content-Length bytes of body are in. */
static int read_answer(struct conn *c, const struct http_url *url, struct cli_http_reply *reply,
                       char *err, size_t err_size)
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
        ssize_t got = conn_recv(c, raw + len, cap - len);
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

int cli_http_get(const struct cli_url *u, const char *path, int timeout_s,
                 struct cli_http_reply *reply, char *err, size_t err_size)
{
    const struct http_url *url = &u->url;
    memset(reply, 0, sizeof *reply);
    struct conn c = {.fd = connect_to(url, timeout_s, err, err_size)};
    if (c.fd < 0)
        return -1;
    int rc = -1;
    if (u->tls && tls_start(&c, u, err, err_size) != 0) {
        conn_close(&c);
        return -1;
    }
    char req[1400];
    int n = snprintf(req, sizeof req,
                     "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nAccept: application/json\r\n"
                     "Connection: close\r\n\r\n",
                     url->path, path, url->host, url->port);
    if (n <= 0 || (size_t)n >= sizeof req || !conn_send(&c, req, n))
        snprintf(err, err_size, "cannot send to %s:%d: %s", url->host, url->port, strerror(errno));
    else
        rc = read_answer(&c, url, reply, err, err_size);
    conn_close(&c);
    return rc;
}

void cli_http_reply_free(struct cli_http_reply *reply)
{
    free(reply->body);
    memset(reply, 0, sizeof *reply);
}
