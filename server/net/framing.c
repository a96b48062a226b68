/* See framing.h. */
#include "framing.h"

#include <libwebsockets.h>

/* Any length above every body limit reads as this (answered 413, not 400:
 * a huge number is still an unambiguous one). */
#define LENGTH_SATURATED 999999999999999LL

bool http_content_length_parse(const char *text, size_t len, long long *out)
{
    if (len == 0)
        return false;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v >= LENGTH_SATURATED / 10 ? LENGTH_SATURATED : v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
}

/* lws keeps a repeated header as further fragments of the same token. */
static int fragments(struct lws *wsi, enum lws_token_indexes token)
{
    int n = 0;
    while (lws_hdr_fragment_length(wsi, token, n) > 0)
        n++;
    return n;
}

void http_framing_read(struct lws *wsi, struct http_framing *out)
{
    *out = (struct http_framing){0};
    int n_length = fragments(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    bool has_te = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    if (n_length == 0) {
        out->chunked = has_te;
        return;
    }
    if (has_te) {
        out->problem = "Transfer-Encoding and Content-Length together";
        return;
    }
    if (n_length > 1) {
        out->problem = "more than one Content-Length";
        return;
    }
    char value[256];
    int len = lws_hdr_copy_fragment(wsi, value, sizeof value, WSI_TOKEN_HTTP_CONTENT_LENGTH, 0);
    if (len < 0 || !http_content_length_parse(value, (size_t)len, &out->length)) {
        out->problem = "Content-Length is not a plain number";
        return;
    }
    out->has_length = true;
}
