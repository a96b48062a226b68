/* See u64map.h. The map stays at most half full, so probes are short. */
#include "u64map.h"
#include "mem.h"
#include "err.h"

#include <stdlib.h>

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33; /* the finaliser of MurmurHash3: keys here differ in few bits */
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void u64map_init(struct u64map *m)
{
    m->slots = NULL;
    m->cap = m->len = 0;
}

void u64map_free(struct u64map *m)
{
    free(m->slots);
    u64map_init(m);
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].value)
            return NULL;
        if (m->slots[i].key == key)
            return m->slots[i].value;
    }
}

static void insert(struct u64map_slot *slots, size_t cap, uint64_t key, void *value)
{
    size_t i = slot_of(key, cap);
    while (slots[i].value && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    slots[i] = (struct u64map_slot){key, value};
}

static int grow(struct u64map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct u64map_slot *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].value)
            insert(slots, cap, m->slots[i].key, m->slots[i].value);
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return SU_OK;
}

int u64map_put(struct u64map *m, uint64_t key, void *value)
{
    if ((m->len + 1) * 2 > m->cap && grow(m) != SU_OK)
        return SU_NOMEM;
    if (!u64map_get(m, key))
        m->len++;
    insert(m->slots, m->cap, key, value);
    return SU_OK;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1, i = slot_of(key, m->cap);
    while (m->slots[i].value && m->slots[i].key != key)
        i = (i + 1) & mask;
    void *value = m->slots[i].value;
    if (!value)
        return NULL;
    /* Backward shift: pull later entries of the run into the hole when their
     * home slot does not lie cyclically between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
        size_t home = slot_of(m->slots[j].key, m->cap);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].value = NULL;
    m->len--;
    return value;
}

void *u64map_next(const struct u64map *m, size_t *pos)
{
    for (; *pos < m->cap; (*pos)++) {
        if (m->slots[*pos].value)
            return m->slots[(*pos)++].value;
    }
    return NULL;
}
