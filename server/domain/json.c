/* See json.h. */
#include "json.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The arena this thread's cJSON allocates from, or NULL. */
static _Thread_local struct json_arena *current;

static bool in_arena(const struct json_arena *a, const void *p)
{
    uintptr_t at = (uintptr_t)p, base = (uintptr_t)a->base;
    return at >= base && at < base + a->size;
}

static void *json_malloc(size_t n)
{
    struct json_arena *a = current;
    if (a) {
        size_t align = alignof(max_align_t);
        size_t need = (n + align - 1) & ~(align - 1);
        if (need >= n && need <= a->size - a->used) {
            void *p = a->base + a->used;
            a->used += need;
            return p;
        }
    }
    return xmalloc(n);
}

static void json_free(void *p)
{
    for (const struct json_arena *a = current; a; a = a->outer) {
        if (in_arena(a, p))
            return; /* the arena goes all at once, at json_arena_end */
    }
    free(p);
}

void json_init(void)
{
    cJSON_Hooks hooks = {.malloc_fn = json_malloc, .free_fn = json_free};
    cJSON_InitHooks(&hooks);
}

void json_arena_begin(struct json_arena *a, void *mem, size_t size)
{
    /* the first bump must be aligned like malloc's */
    size_t align = alignof(max_align_t);
    size_t skip = (align - (uintptr_t)mem % align) % align;
    a->base = (char *)mem + skip;
    a->size = size > skip ? size - skip : 0;
    a->used = 0;
    a->outer = current;
    current = a;
}

void json_arena_end(struct json_arena *a)
{
    current = a->outer;
}
