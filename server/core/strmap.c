/* See strmap.h. FNV-1a hashing, linear probing, load factor at most 1/2. */
#include "strmap.h"
#include "err.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

uint64_t strmap_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init(struct strmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void strmap_free(struct strmap *m)
{
    free(m->slots);
    strmap_init(m);
}

static struct strmap_slot *find_slot(struct strmap_slot *slots, size_t cap, const char *key,
                                     size_t len, uint64_t h)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        struct strmap_slot *s = &slots[i];
        if (!s->key)
            return s;
        if (s->hash == h && strncmp(s->key, key, len) == 0 && s->key[len] == '\0')
            return s;
    }
}

void *strmap_getn(const struct strmap *m, const char *key, size_t len)
{
    if (!m->cap)
        return NULL;
    struct strmap_slot *s = find_slot(m->slots, m->cap, key, len, strmap_hash(key, len));
    return s->key ? s->value : NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    return strmap_getn(m, key, strlen(key));
}

/* Rehashing needs no key comparisons: the keys are distinct, so each goes
 * to the first free slot from its stored hash. */
static int rehash(struct strmap *m, size_t cap)
{
    struct strmap_slot *slots = xcalloc(cap, sizeof *slots);
    if (!slots)
        return SU_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct strmap_slot *old = &m->slots[i];
        if (!old->key)
            continue;
        size_t j = old->hash & (cap - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *old;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return SU_OK;
}

int strmap_reserve(struct strmap *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 64;
    while (cap < n * 2)
        cap *= 2;
    return cap > m->cap ? rehash(m, cap) : SU_OK;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
    if ((m->len + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 64) != SU_OK)
        return SU_NOMEM;
    size_t len = strlen(key);
    uint64_t h = strmap_hash(key, len);
    struct strmap_slot *s = find_slot(m->slots, m->cap, key, len, h);
    if (!s->key)
        m->len++;
    s->key = key;
    s->value = value;
    s->hash = h;
    return SU_OK;
}
