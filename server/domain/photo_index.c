/* See photo_index.h. */
#include "photo_index.h"
#include "core/mem.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

void photo_index_init(struct photo_index *x)
{
    memset(x, 0, sizeof *x);
    strmap_init(&x->by_hash);
}

void photo_index_free(struct photo_index *x)
{
    for (size_t i = 0; i < x->by_hash.cap; i++)
        free(x->by_hash.slots[i].value);
    strmap_free(&x->by_hash);
    memset(x, 0, sizeof *x);
}

const struct photo_entry *photo_index_get(const struct photo_index *x, const char *sha256)
{
    return strmap_get(&x->by_hash, sha256);
}

int photo_index_add(struct photo_index *x, const struct photo_entry *e)
{
    if (strmap_get(&x->by_hash, e->sha256))
        return SU_AGAIN;
    struct photo_entry *copy = xmalloc(sizeof *copy);
    *copy = *e;
    if (strmap_put(&x->by_hash, copy->sha256, copy) != SU_OK) {
        free(copy);
        return SU_NOMEM;
    }
    x->count++;
    x->bytes += e->bytes;
    return SU_OK;
}

bool photo_hash_valid(const char *s, size_t len)
{
    if (len != PHOTO_HASH_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}
