/* The photo store in PostgreSQL (table photos, schema/010_photos.sql), on a
 * connection of its own: a 4 MiB INSERT or a photo read never waits in line
 * with, nor delays, a batch of forms on the writer's connection. */
#ifndef SUARA_DB_PHOTO_PG_H
#define SUARA_DB_PHOTO_PG_H

#include "domain/photo_index.h"
#include "domain/photo_store.h"

#include <uv.h>

struct photo_pg;

/* Connects, then loads every stored photo's entry into index (index->loaded
 * turns true, then loaded(ctx) runs). */
struct photo_pg *photo_pg_start(uv_loop_t *loop, const char *conninfo, struct photo_index *index,
                                void (*loaded)(void *ctx), void *ctx);
/* The store interface over this connection. */
void photo_pg_store(struct photo_pg *p, struct photo_store *out);
/* Closes the connection; pending calls answer SU_AGAIN. Keep the loop running. */
void photo_pg_close(struct photo_pg *p);

#endif
