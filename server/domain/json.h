/* cJSON under the server's memory policy (core/mem.h). */
#ifndef SUARA_DOMAIN_JSON_H
#define SUARA_DOMAIN_JSON_H

#include <stddef.h>

/* Makes cJSON allocate with xmalloc, so that parsing, building and printing
 * never return NULL for want of memory: an encoder's result is always a body.
 * Call once, before any other cJSON use. */
void json_init(void);

/* A scratch arena for a tree that lives only between begin and end, on one
 * thread: while it is open, that thread's cJSON allocations are bumped from
 * `mem` (then xmalloc once it is full) and their frees of it are no-ops.
 * A form's parse made about 80 small mallocs, a fifth of the server's CPU a
 * form (docs/benchmarks.md). Nothing allocated inside may outlive end:
 * cJSON_Delete every tree before it. Arenas nest. */
struct json_arena {
    char *base;
    size_t size, used;
    struct json_arena *outer;
};

void json_arena_begin(struct json_arena *a, void *mem, size_t size);
void json_arena_end(struct json_arena *a);

#endif
