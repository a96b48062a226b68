/* A growable byte buffer with a hard cap, after curl's dynbuf: an append past
 * the cap fails with SU_TOOBIG, frees the content, and the failure sticks -
 * every later append fails the same way until buf_reset or buf_free. So an
 * encoder appends without checking each call and asks buf_error once at the
 * end. Memory comes from xrealloc (core/mem.h): running out aborts. The
 * content is always NUL-terminated so it can be handed to string functions. */
#ifndef SUARA_CORE_BUF_H
#define SUARA_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data;
    size_t len;
    size_t cap; /* allocated bytes */
    size_t max; /* hard limit on len */
    int err;    /* SU_OK, or the failure that stuck */
    bool fixed; /* data is the caller's storage: never grown nor freed */
};

void buf_init(struct buf *b, size_t max);
/* A buffer over the caller's storage (e.g. on the stack) for text with a
 * known bound: it never allocates, and holds at most size - 1 bytes. */
void buf_init_fixed(struct buf *b, char *storage, size_t size);
void buf_free(struct buf *b);
/* Empties the buffer (keeping its allocation) and forgets a failure. */
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The decimal digits of v: what "%llu" prints, without printf's parsing (a
 * form's counts are appended a few dozen times per form). */
int buf_put_uint(struct buf *b, uint64_t v);
/* SU_OK, or the failure of an append since the last reset. */
int buf_error(const struct buf *b);
/* Hands the allocation to the caller (who frees it) and leaves b empty.
 * NULL when an append failed (check buf_error first). */
char *buf_steal(struct buf *b, size_t *len);

#endif
