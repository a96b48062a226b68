/* Where photo bytes live, as the HTTP layer sees it: a small interface, so
 * the PostgreSQL store (db/photo_pg.c) can be joined by an object store later
 * without touching the upload and read paths. Every call is asynchronous and
 * answers exactly once, on the event loop. */
#ifndef SUARA_DOMAIN_PHOTO_STORE_H
#define SUARA_DOMAIN_PHOTO_STORE_H

#include "photo_index.h"

#include <stdbool.h>
#include <stddef.h>

/* rc: SU_OK once the photo is durable (created: this call stored it, false:
 * it was there already), SU_AGAIN when the storage is unavailable. */
typedef void (*photo_put_done)(void *ctx, int rc, bool created);
/* rc: SU_OK with the bytes (valid only during the call), SU_NOTFOUND, or
 * SU_AGAIN when the storage is unavailable. */
typedef void (*photo_get_done)(void *ctx, int rc, const unsigned char *data, size_t len);

struct photo_store {
    void *impl;
    bool (*available)(void *impl);
    /* data must stay valid until done is called. */
    void (*put)(void *impl, const struct photo_entry *e, const unsigned char *data,
                photo_put_done done, void *ctx);
    void (*get)(void *impl, const char *sha256, photo_get_done done, void *ctx);
};

#endif
