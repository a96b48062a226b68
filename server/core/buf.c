/* See buf.h. */
#include "buf.h"
#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = SU_OK;
    b->fixed = false;
}

void buf_init_fixed(struct buf *b, char *storage, size_t size)
{
    b->data = storage;
    b->data[0] = '\0';
    b->len = 0;
    b->cap = size;
    b->max = size - 1;
    b->err = SU_OK;
    b->fixed = true;
}

void buf_free(struct buf *b)
{
    if (b->fixed) {
        buf_reset(b);
        return;
    }
    free(b->data);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = SU_OK;
    if (b->data)
        b->data[0] = '\0';
}

int buf_error(const struct buf *b)
{
    return b->err;
}

/* The dynbuf rule: the content of a failed buffer is gone, never half there. */
static int fail(struct buf *b, int err)
{
    b->err = err;
    b->len = 0;
    if (b->fixed) {
        b->data[0] = '\0';
        return err;
    }
    free(b->data);
    b->data = NULL;
    b->cap = 0;
    return err;
}

static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > b->max - b->len)
        return fail(b, SU_TOOBIG);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return SU_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return SU_OK;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    int rc = buf_reserve(b, len);
    if (rc != SU_OK)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return SU_OK;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_put_uint(struct buf *b, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return buf_append(b, digits + sizeof digits - n, n);
}

/* One vsnprintf into the room already there, a second only when the text
 * did not fit: the writer and the receipts format a few values per form. */
int buf_printf(struct buf *b, const char *fmt, ...)
{
    if (b->err)
        return b->err;
    size_t room = b->data ? b->cap - b->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail(b, SU_ERR);
    if ((size_t)n < room && (size_t)n <= b->max - b->len) {
        b->len += (size_t)n;
        return SU_OK;
    }
    if (room) /* what did not fit is not part of the text */
        b->data[b->len] = '\0';
    int rc = buf_reserve(b, (size_t)n);
    if (rc != SU_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SU_OK;
}

char *buf_steal(struct buf *b, size_t *len)
{
    SU_ASSERT(!b->fixed);
    char *p = b->err ? NULL : b->data;
    if (len)
        *len = p ? b->len : 0;
    if (!p)
        free(b->data);
    buf_init(b, b->max);
    return p;
}
