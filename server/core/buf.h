/* A growable byte buffer with a hard cap (after curl's dynbuf): appends past
 * the cap fail with SU_TOOBIG instead of growing without bound. The content is
 * always NUL-terminated so it can be handed to string functions. */
#ifndef SUARA_CORE_BUF_H
#define SUARA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap; /* allocated bytes */
    size_t max; /* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the allocation to the caller (who frees it) and leaves b empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
