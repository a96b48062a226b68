/* See mem.h. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void su_panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "suara: %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

static _Noreturn void out_of_memory(size_t size)
{
    fprintf(stderr, "suara: out of memory (allocating %zu bytes)\n", size);
    fflush(stderr);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        out_of_memory(size);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}
