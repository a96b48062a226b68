/* Which photos are stored, in memory: what GET answers 304 and 404 from,
 * what a repeated upload is answered from, and what the views' "stored" flag
 * reads, all without asking the database. Loaded at start-up from the photo
 * store, then grown by every upload that commits. About 100 bytes a photo. */
#ifndef SUARA_DOMAIN_PHOTO_INDEX_H
#define SUARA_DOMAIN_PHOTO_INDEX_H

#include "core/strmap.h"
#include "image.h"

#include <stdbool.h>
#include <stdint.h>

#define PHOTO_HASH_LEN 64

struct photo_entry {
    char sha256[PHOTO_HASH_LEN + 1]; /* lower-case hex */
    enum image_type type;
    int32_t bytes, width, height;
};

struct photo_index {
    struct strmap by_hash;
    int64_t count, bytes;
    bool loaded; /* start-up load finished */
};

void photo_index_init(struct photo_index *x);
void photo_index_free(struct photo_index *x);
const struct photo_entry *photo_index_get(const struct photo_index *x, const char *sha256);
/* Adds a copy of e; a hash already present is left as it is.
 * SU_OK (added), SU_AGAIN (already there) or SU_NOMEM. */
int photo_index_add(struct photo_index *x, const struct photo_entry *e);
/* True for exactly 64 lower-case hex characters. */
bool photo_hash_valid(const char *s, size_t len);

#endif
