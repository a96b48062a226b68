/* An open-addressing hash map from 64-bit integers to pointers, with
 * deletion (linear probing, backward-shift delete: no tombstones, so a map
 * that churns never degrades). For sets that come and go, such as the live
 * feed's topics, which exist only while someone subscribes. */
#ifndef SUARA_CORE_U64MAP_H
#define SUARA_CORE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
    uint64_t key;
    void *value; /* NULL = empty slot */
};

struct u64map {
    struct u64map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
void *u64map_get(const struct u64map *m, uint64_t key);
/* Inserts or replaces a non-NULL value. SU_OK or SU_NOMEM. */
int u64map_put(struct u64map *m, uint64_t key, void *value);
/* Removes the key; returns its value or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);
/* Iteration: *pos starts at 0; returns the next value or NULL at the end. */
void *u64map_next(const struct u64map *m, size_t *pos);

#endif
