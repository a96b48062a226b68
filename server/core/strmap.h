/* An open-addressing hash map from NUL-terminated strings to pointers.
 * Keys are not copied: they must outlive their entry (they usually live in
 * the record the value points to). No deletion: Suara's maps only grow
 * (regions, contests, forms by submission id, tokens by hash). */
#ifndef SUARA_CORE_STRMAP_H
#define SUARA_CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    const char *key;
    void *value;
    uint64_t hash;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap; /* power of two */
    size_t len;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* Length-delimited lookup so callers can look up slices of a path. */
void *strmap_getn(const struct strmap *m, const char *key, size_t len);
void *strmap_get(const struct strmap *m, const char *key);
/* Makes room for n entries in all, so that filling the map does not rehash
 * (start-up knows roughly how many forms it will load). SU_OK or SU_NOMEM. */
int strmap_reserve(struct strmap *m, size_t n);
/* Inserts or replaces. Returns SU_OK or SU_NOMEM. */
int strmap_put(struct strmap *m, const char *key, void *value);
uint64_t strmap_hash(const char *key, size_t len);

#endif
