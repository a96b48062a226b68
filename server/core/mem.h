/* One out-of-memory policy for the whole server (after h2o's h2o_mem_alloc):
 * an allocation that fails ends the process with a message. A tally server
 * that cannot allocate cannot answer honestly either, and half-handled
 * failures (a 201 with an empty body, a change silently dropped) are worse
 * than a restart: every acknowledged form is already in PostgreSQL, and the
 * next start loads it again. So callers never check for NULL. */
#ifndef SUARA_CORE_MEM_H
#define SUARA_CORE_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Ends the process with a message on stderr (a broken invariant: a bug). */
_Noreturn void su_panic(const char *file, int line, const char *what);

/* Unlike assert(), checked in every build: release builds define NDEBUG. */
#define SU_ASSERT(cond)                                                                            \
    ((cond) ? (void)0 : su_panic(__FILE__, __LINE__, "invariant broken: " #cond))

#endif
