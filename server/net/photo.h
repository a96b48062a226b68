/* The photo API: PUT and GET /api/v1/photos/{sha256}.
 *
 * An upload is accepted or refused on its headers alone (token, type, length,
 * a free upload slot), before a byte of the body is read; only then does
 * net/web.c feed the body into the upload, bounded by the declared length.
 * At most --photo-uploads-max uploads exist at once, each holding at most
 * --max-photo bytes, so uploads cost at most their product in memory whatever
 * clients do: a slow or vanished client holds one slot until its body
 * deadline or its connection ends. Hashing and decoding run on a thread of
 * their own (photo_check.h), one photo at a time, at --photo-check-nice; the store
 * (domain/photo_store.h) makes the photo durable before the 201. Reads are answered from the
 * in-memory index (304, 404) or from the store, at most --photo-reads-max at once. */
#ifndef SUARA_NET_PHOTO_H
#define SUARA_NET_PHOTO_H

#include "core/buf.h"
#include "core/config.h"
#include "domain/photo_index.h"
#include "domain/photo_store.h"
#include "http.h"

#include <stdbool.h>
#include <uv.h>

struct api;
struct photos;
struct photo_upload;

struct photos *photos_new(uv_loop_t *loop, const struct config *cfg, struct photo_index *index);
/* The store to use from now on; NULL while there is none. */
void photos_set_store(struct photos *ph, const struct photo_store *store);
/* Called on the loop each time a photo new to the index is stored. */
void photos_on_stored(struct photos *ph, void (*fn)(void *ctx, const char *sha256), void *ctx);
/* Shutting down: no more store calls; late results answer 503. */
void photos_stop(struct photos *ph);
/* After the loop has run dry (the checker's thread has ended). */
void photos_free(struct photos *ph);

/* True for a PUT under /api/v1/photos/, which web.c hands to
 * photos_upload_begin instead of reading the body itself. */
bool photos_is_upload(const struct http_request *req);
/* Decides on the headers: an upload to feed the body to, or NULL with the
 * refusal in rep (then the body is never read). */
struct photo_upload *photos_upload_begin(struct photos *ph, struct api *api,
                                         const struct http_request *req, long long length,
                                         struct http_reply *rep);
/* SU_OK, or SU_TOOBIG when the body outgrows its Content-Length. */
int photo_upload_append(struct photo_upload *u, const void *data, size_t len);
/* The whole body has arrived: checks and stores it, then answers through w
 * (which may be NULL when out of memory: the work is still done). */
void photo_upload_complete(struct photo_upload *u, struct waiter *w);
/* The client went away, or the body was refused, while it was arriving. */
void photo_upload_abandon(struct photo_upload *u);

/* GET (and HEAD) /api/v1/photos/{sha256}. */
enum route_result photos_get(struct photos *ph, struct http_request *req, const char *hash,
                             struct http_reply *rep);
/* How many photos are stored: grows with every upload that commits, so that
 * views showing a photo's "stored" flag can tell their ETag moved. */
int64_t photos_stored(const struct photos *ph);
/* The photo gauges and counters, in Prometheus text. */
void photos_render_metrics(const struct photos *ph, struct buf *out);

#endif
