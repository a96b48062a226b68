/* See photo.h. An upload's life: begin (headers checked, slot taken) ->
 * receiving (web.c appends the body) -> checking (on the checker's thread,
 * photo_check.h: SHA-256 and a decode, one photo at a time, in the order
 * received) -> storing (the store's put) -> answered, slot freed. Only the
 * receiving stage belongs to the connection; from checking on the upload
 * belongs to this module and answers through a waiter, which drops the reply
 * quietly if the client has gone. */
#include "photo.h"
#include "core/mem.h"
#include "api.h"
#include "photo_check.h"
#include "core/err.h"
#include "core/log.h"
#include "domain/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHOTOS_PATH "/api/v1/photos/"
#define RETRY_AFTER_S 2

enum photo_reject {
    REJECT_HASH_MISMATCH,
    REJECT_UNSUPPORTED,
    REJECT_TOO_LARGE,
    REJECT_LENGTH_REQUIRED,
    REJECT_UNAUTHORIZED,
    REJECT_FORBIDDEN,
    REJECT_BUSY,
    REJECT_READS_BUSY,
    REJECT_UNAVAILABLE,
    REJECT_INCOMPLETE,
    REJECT_CODES
};

static const char *const reject_codes[REJECT_CODES] = {
    "photo_hash_mismatch", "unsupported_media_type", "too_large",
    "length_required",     "unauthorized",           "forbidden",
    "too_many_uploads",    "too_many_reads",         "storage_unavailable",
    "incomplete_body"};

struct photos {
    const struct config *cfg;
    struct photo_index *index;
    struct photo_store store;
    struct photo_checker *checker;
    bool has_store, stopping;
    int uploads, reads; /* in flight */
    uint64_t rejects[REJECT_CODES];
    uint64_t uploads_stored, uploads_repeated, reads_served, not_modified;
    void (*on_stored)(void *ctx, const char *sha256);
    void *on_stored_ctx;
};

struct photo_upload {
    struct photo_job job; /* first: the checker hands back this pointer */
    struct photos *ph;
    struct buf body;
    size_t expected;
    struct photo_entry entry; /* sha256 and type from the request; size from the check */
    struct waiter *w;
    /* results of the check, written by the checker's thread */
    bool hash_ok, image_ok;
    const char *why;
};

struct photo_read {
    struct photos *ph;
    struct waiter *w;
    const struct photo_entry *entry;
    bool head_only;
};

/* ---- life ----------------------------------------------------------------- */

static void check_on_thread(struct photo_job *job);
static void checked(struct photo_job *job);

struct photos *photos_new(uv_loop_t *loop, const struct config *cfg, struct photo_index *index)
{
    struct photos *ph = xcalloc(1, sizeof *ph);
    ph->cfg = cfg;
    ph->index = index;
    ph->checker = photo_checker_start(loop, cfg->photo_check_nice, check_on_thread, checked);
    if (!ph->checker) {
        log_error("photo_check_failed", "error=\"cannot start the photo checker's thread\"");
        free(ph);
        return NULL;
    }
    return ph;
}

void photos_set_store(struct photos *ph, const struct photo_store *store)
{
    ph->has_store = store != NULL;
    if (store)
        ph->store = *store;
}

void photos_on_stored(struct photos *ph, void (*fn)(void *ctx, const char *sha256), void *ctx)
{
    ph->on_stored = fn;
    ph->on_stored_ctx = ctx;
}

void photos_stop(struct photos *ph)
{
    if (!ph)
        return;
    ph->stopping = true;
    photo_checker_stop(ph->checker); /* the photos still to be checked come back cancelled */
}

void photos_free(struct photos *ph)
{
    if (!ph)
        return;
    photo_checker_free(ph->checker);
    free(ph);
}

static bool store_ready(const struct photos *ph)
{
    return ph->has_store && !ph->stopping && ph->store.available(ph->store.impl);
}

/* ---- answers -------------------------------------------------------------- */

static void reject(struct photos *ph, struct http_reply *rep, int status, enum photo_reject why,
                   const char *message)
{
    ph->rejects[why]++;
    http_reply_error(rep, status, reject_codes[why], message);
    if (status == 503)
        rep->retry_after = RETRY_AFTER_S;
}

static char *entry_json(const struct photo_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sha256", e->sha256);
    cJSON_AddNumberToObject(o, "bytes", e->bytes);
    cJSON_AddStringToObject(o, "content_type", image_type_mime(e->type));
    cJSON_AddNumberToObject(o, "width", e->width);
    cJSON_AddNumberToObject(o, "height", e->height);
    return view_json(o);
}

static void answer(struct waiter *w, int status, char *body)
{
    if (w && body)
        w->done(w, status, body, strlen(body));
    else if (w)
        w->done(w, 503, "{}", 2);
    free(body);
}

static void answer_error(struct photos *ph, struct waiter *w, int status, enum photo_reject why,
                         const char *message)
{
    ph->rejects[why]++;
    answer(w, status, view_error(reject_codes[why], message, NULL));
}

/* ---- upload: before the body ------------------------------------------------ */

bool photos_is_upload(const struct http_request *req)
{
    return req->method == HTTP_PUT && strncmp(req->path, PHOTOS_PATH, strlen(PHOTOS_PATH)) == 0;
}

static bool may_upload(struct photos *ph, struct api *api, const struct http_request *req,
                       struct http_reply *rep)
{
    if (!api->reg) {
        http_reply_error(rep, 503, "not_ready", "the server is still loading; retry shortly");
        rep->retry_after = RETRY_AFTER_S;
        return false;
    }
    struct token *t = api_authenticate(api, req, rep);
    if (!t) {
        ph->rejects[REJECT_UNAUTHORIZED]++;
        return false;
    }
    if (t->role == ROLE_MONITOR) {
        reject(ph, rep, 403, REJECT_FORBIDDEN,
               "photos are uploaded with a witness, reviewer or admin token");
        return false;
    }
    return true;
}

static bool headers_acceptable(struct photos *ph, const struct http_request *req, long long length,
                               struct http_reply *rep, struct photo_entry *e)
{
    const char *hash = req->path + strlen(PHOTOS_PATH);
    char msg[128];
    if (!photo_hash_valid(hash, strlen(hash))) {
        reject(ph, rep, 400, REJECT_HASH_MISMATCH,
               "the path must end in the body's SHA-256 as 64 lower-case hex characters");
        return false;
    }
    e->type = image_type_parse(req->content_type);
    if (e->type == IMAGE_NONE) {
        reject(ph, rep, 415, REJECT_UNSUPPORTED,
               "Content-Type must be image/jpeg, image/png or image/webp");
        return false;
    }
    if (length > ph->cfg->max_photo) {
        snprintf(msg, sizeof msg, "a photo is at most %d bytes", ph->cfg->max_photo);
        reject(ph, rep, 413, REJECT_TOO_LARGE, msg);
        return false;
    }
    if (length <= 0) {
        reject(ph, rep, 411, REJECT_LENGTH_REQUIRED,
               "send the photo as a body with its Content-Length");
        return false;
    }
    memcpy(e->sha256, hash, PHOTO_HASH_LEN + 1);
    return true;
}

struct photo_upload *photos_upload_begin(struct photos *ph, struct api *api,
                                         const struct http_request *req, long long length,
                                         struct http_reply *rep)
{
    struct photo_entry e = {0};
    if (!may_upload(ph, api, req, rep) || !headers_acceptable(ph, req, length, rep, &e))
        return NULL;
    if (!store_ready(ph)) {
        reject(ph, rep, 503, REJECT_UNAVAILABLE, "the photo store is unavailable; retry later");
        return NULL;
    }
    if (ph->uploads >= ph->cfg->photo_uploads_max) {
        reject(ph, rep, 503, REJECT_BUSY, "too many photo uploads at once; retry shortly");
        return NULL;
    }
    struct photo_upload *u = xcalloc(1, sizeof *u);
    u->ph = ph;
    u->entry = e;
    u->expected = (size_t)length;
    buf_init(&u->body, u->expected); /* grows as bytes arrive, never past the length */
    ph->uploads++;
    return u;
}

int photo_upload_append(struct photo_upload *u, const void *data, size_t len)
{
    return buf_append(&u->body, data, len);
}

static void upload_free(struct photo_upload *u)
{
    u->ph->uploads--;
    buf_free(&u->body);
    free(u);
}

void photo_upload_abandon(struct photo_upload *u)
{
    upload_free(u);
}

/* ---- upload: checking, on the checker's thread ------------------------------- */

static void check_on_thread(struct photo_job *job)
{
    struct photo_upload *u = (struct photo_upload *)job;
    char hex[PHOTO_HASH_LEN + 1];
    image_sha256_hex((const unsigned char *)u->body.data, u->body.len, hex);
    u->hash_ok = strcmp(hex, u->entry.sha256) == 0;
    if (!u->hash_ok)
        return;
    struct image_info info;
    u->image_ok = image_check(u->entry.type, (const unsigned char *)u->body.data, u->body.len,
                              &info, &u->why);
    u->entry.width = info.width;
    u->entry.height = info.height;
    u->entry.bytes = (int32_t)u->body.len;
}

static void stored(void *ctx, int rc, bool created)
{
    struct photo_upload *u = ctx;
    struct photos *ph = u->ph;
    if (rc != SU_OK) {
        answer_error(ph, u->w, 503, REJECT_UNAVAILABLE,
                     "the photo could not be stored; retry with the same bytes");
    } else {
        if (photo_index_add(ph->index, &u->entry) == SU_OK && ph->on_stored)
            ph->on_stored(ph->on_stored_ctx, u->entry.sha256);
        if (created)
            ph->uploads_stored++;
        else
            ph->uploads_repeated++;
        answer(u->w, created ? 201 : 200, entry_json(&u->entry));
    }
    upload_free(u);
}

/* On the loop, once the checker has run it (or stopped first). */
static void checked(struct photo_job *job)
{
    struct photo_upload *u = (struct photo_upload *)job;
    struct photos *ph = u->ph;
    char msg[160];
    if (job->status != 0) {
        answer_error(ph, u->w, 503, REJECT_UNAVAILABLE,
                     "the server is stopping; retry with the same bytes");
    } else if (!u->hash_ok) {
        answer_error(ph, u->w, 400, REJECT_HASH_MISMATCH,
                     "the SHA-256 of the body is not the hash in the path");
    } else if (!u->image_ok) {
        snprintf(msg, sizeof msg, "not a decodable %s image: %s", image_type_mime(u->entry.type),
                 u->why ? u->why : "unknown error");
        answer_error(ph, u->w, 415, REJECT_UNSUPPORTED, msg);
    } else if (photo_index_get(ph->index, u->entry.sha256)) {
        ph->uploads_repeated++;
        answer(u->w, 200, entry_json(photo_index_get(ph->index, u->entry.sha256)));
    } else if (!store_ready(ph)) {
        answer_error(ph, u->w, 503, REJECT_UNAVAILABLE,
                     "the photo store is unavailable; retry with the same bytes");
    } else {
        ph->store.put(ph->store.impl, &u->entry, (const unsigned char *)u->body.data, stored, u);
        return;
    }
    upload_free(u);
}

void photo_upload_complete(struct photo_upload *u, struct waiter *w)
{
    struct photos *ph = u->ph;
    u->w = w;
    if (u->body.len != u->expected) {
        answer_error(ph, w, 400, REJECT_INCOMPLETE, "the body is shorter than its Content-Length");
        upload_free(u);
        return;
    }
    if (photo_checker_submit(ph->checker, &u->job) != 0) {
        answer_error(ph, w, 503, REJECT_UNAVAILABLE,
                     "the server is stopping; retry with the same bytes");
        upload_free(u);
    }
}

/* ---- reads ---------------------------------------------------------------- */

/* A static string: the reply is written after the read's state is freed. */
static const char *photo_cache_control(const struct photos *ph)
{
    return ph->cfg->private_reads ? "private, max-age=31536000, immutable"
                                  : "public, max-age=31536000, immutable";
}

static void read_done(void *ctx, int rc, const unsigned char *data, size_t len)
{
    struct photo_read *r = ctx;
    struct photos *ph = r->ph;
    struct http_reply rep = {0};
    ph->reads--;
    if (rc == SU_OK) {
        ph->reads_served++;
        rep.status = 200;
        rep.content_type = image_type_mime(r->entry->type);
        rep.len = len;
        rep.body = r->head_only ? NULL : xmalloc(len + 1);
        if (!r->head_only)
            memcpy(rep.body, data, len);
        rep.cache_control = photo_cache_control(ph);
        snprintf(rep.etag, sizeof rep.etag, "\"%s\"", r->entry->sha256);
        if (!r->head_only && !rep.body) {
            rep.len = 0;
            http_reply_error(&rep, 503, "out_of_memory", "retry shortly");
            rep.retry_after = RETRY_AFTER_S;
        }
    } else if (rc == SU_NOTFOUND) {
        http_reply_error(&rep, 404, "unknown_photo", "no photo with this hash is stored");
    } else {
        reject(ph, &rep, 503, REJECT_UNAVAILABLE, "the photo store is unavailable; retry later");
    }
    http_deferred_reply(r->w, &rep);
    free(r);
}

/* True when If-None-Match names this photo's ETag (or is "*"). */
static bool not_modified(const struct http_request *req, const char *hash)
{
    const char *inm = req->if_none_match;
    return inm[0] && (strcmp(inm, "*") == 0 || strstr(inm, hash) != NULL);
}

enum route_result photos_get(struct photos *ph, struct http_request *req, const char *hash,
                             struct http_reply *rep)
{
    const struct photo_entry *e =
        photo_hash_valid(hash, strlen(hash)) ? photo_index_get(ph->index, hash) : NULL;
    if (!ph->index->loaded) {
        http_reply_error(rep, 503, "not_ready", "the photo index is still loading; retry shortly");
        rep->retry_after = RETRY_AFTER_S;
        return ROUTE_DONE;
    }
    if (!e) {
        http_reply_error(rep, 404, "unknown_photo", "no photo with this hash is stored");
        return ROUTE_DONE;
    }
    const char *cache = photo_cache_control(ph);
    if (not_modified(req, hash)) {
        ph->not_modified++;
        rep->status = 304;
        rep->content_type = image_type_mime(e->type);
        rep->cache_control = cache;
        snprintf(rep->etag, sizeof rep->etag, "\"%s\"", hash);
        return ROUTE_DONE;
    }
    if (!store_ready(ph)) {
        reject(ph, rep, 503, REJECT_UNAVAILABLE, "the photo store is unavailable; retry later");
        return ROUTE_DONE;
    }
    if (ph->reads >= ph->cfg->photo_reads_max) {
        reject(ph, rep, 503, REJECT_READS_BUSY, "too many photo reads at once; retry shortly");
        return ROUTE_DONE;
    }
    struct photo_read *r = xcalloc(1, sizeof *r);
    struct waiter *w = http_defer(req);
    if (!w) {
        free(r);
        reject(ph, rep, 503, REJECT_BUSY, "out of memory; retry shortly");
        return ROUTE_DONE;
    }
    r->ph = ph;
    r->w = w;
    r->entry = e;
    r->head_only = req->head_only;
    ph->reads++;
    ph->store.get(ph->store.impl, hash, read_done, r);
    return ROUTE_PENDING;
}

/* ---- metrics -------------------------------------------------------------- */

void photos_render_metrics(const struct photos *ph, struct buf *out)
{
    buf_printf(out,
               "# HELP suara_photos_stored Photos in the store.\n# TYPE suara_photos_stored gauge\n"
               "suara_photos_stored %lld\n"
               "# HELP suara_photo_bytes_stored Bytes of the stored photos.\n"
               "# TYPE suara_photo_bytes_stored gauge\nsuara_photo_bytes_stored %lld\n"
               "# HELP suara_photo_uploads_in_flight Photo uploads being received, checked or "
               "stored.\n# TYPE suara_photo_uploads_in_flight gauge\n"
               "suara_photo_uploads_in_flight %d\n"
               "# HELP suara_photo_reads_in_flight Photo reads waiting for the store.\n"
               "# TYPE suara_photo_reads_in_flight gauge\nsuara_photo_reads_in_flight %d\n"
               "# HELP suara_photo_uploads_total Accepted photo uploads.\n"
               "# TYPE suara_photo_uploads_total counter\n"
               "suara_photo_uploads_total{result=\"stored\"} %llu\n"
               "suara_photo_uploads_total{result=\"repeated\"} %llu\n"
               "# HELP suara_photo_reads_total Photo reads answered.\n"
               "# TYPE suara_photo_reads_total counter\n"
               "suara_photo_reads_total{result=\"served\"} %llu\n"
               "suara_photo_reads_total{result=\"not_modified\"} %llu\n"
               "# HELP suara_photo_rejects_total Photo requests refused, by error code.\n"
               "# TYPE suara_photo_rejects_total counter\n",
               (long long)ph->index->count, (long long)ph->index->bytes, ph->uploads, ph->reads,
               (unsigned long long)ph->uploads_stored, (unsigned long long)ph->uploads_repeated,
               (unsigned long long)ph->reads_served, (unsigned long long)ph->not_modified);
    for (int i = 0; i < REJECT_CODES; i++)
        buf_printf(out, "suara_photo_rejects_total{code=\"%s\"} %llu\n", reject_codes[i],
                   (unsigned long long)ph->rejects[i]);
}

int64_t photos_stored(const struct photos *ph)
{
    return ph->index->count;
}
