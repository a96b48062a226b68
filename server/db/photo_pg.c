/* See photo_pg.h. Three kinds of job run on the photo connection, one at a
 * time like every pg job: the start-up index load (a COPY of the photos'
 * metadata, never their bytes), groups of puts (db/photo_put.c) and gets. Bytes travel as binary
 * parameters and results, so a photo is never hex-escaped into a query. */
#include "photo_pg.h"
#include "core/mem.h"
#include "copy.h"
#include "photo_put.h"
#include "core/err.h"
#include "core/log.h"
#include "pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_RETRY_MS 2000

static const char sql_index[] =
    "COPY (SELECT sha256, content_type, bytes, width, height FROM photos) TO STDOUT";
static const char sql_get[] = "SELECT data FROM photos WHERE sha256 = $1";

struct photo_pg {
    struct pg *pg;
    struct photo_index *index;
    void (*loaded)(void *ctx);
    void *ctx;
    struct photo_puts *puts;
    struct copy_job load;
    bool loading, closing;
    uv_timer_t retry;
};

struct get_job {
    struct pg_job job;
    char sha256[PHOTO_HASH_LEN + 1];
    PGresult *row;
    photo_get_done done;
    void *ctx;
};

/* ---- start-up index ---------------------------------------------------- */

static void start_load(struct photo_pg *p);

static int index_row(void *ctx, char **f, int n)
{
    struct photo_pg *p = ctx;
    if (n != 5 || !f[0] || !f[1] || !photo_hash_valid(f[0], strlen(f[0])))
        return -1;
    struct photo_entry e = {.type = image_type_parse(f[1]),
                            .bytes = (int32_t)atol(f[2] ? f[2] : "0"),
                            .width = (int32_t)atol(f[3] ? f[3] : "0"),
                            .height = (int32_t)atol(f[4] ? f[4] : "0")};
    memcpy(e.sha256, f[0], PHOTO_HASH_LEN + 1);
    if (e.type == IMAGE_NONE)
        return -1;
    return photo_index_add(p->index, &e) == SU_NOMEM ? -1 : 0;
}

static void retry_load(uv_timer_t *t)
{
    start_load(t->data);
}

static void index_loaded(void *ctx, bool ok)
{
    struct photo_pg *p = ctx;
    p->loading = false;
    if (!ok) {
        log_warn("photo_index_failed", "error=\"%s\"", p->load.error);
        if (!p->closing)
            uv_timer_start(&p->retry, retry_load, LOAD_RETRY_MS, 0);
        return;
    }
    p->index->loaded = true;
    log_info("photos_loaded", "photos=%lld bytes=%lld", (long long)p->index->count,
             (long long)p->index->bytes);
    if (p->loaded)
        p->loaded(p->ctx);
}

static void start_load(struct photo_pg *p)
{
    if (p->index->loaded || p->loading || !pg_is_up(p->pg))
        return;
    p->loading = true;
    copy_job_init(&p->load, sql_index, index_row, index_loaded, p);
    pg_submit(p->pg, &p->load.job);
}

static void on_up(void *ctx)
{
    struct photo_pg *p = ctx;
    photo_puts_prepare(p->puts);
    start_load(p);
}

/* ---- put --------------------------------------------------------------- */

static void store_put(void *impl, const struct photo_entry *e, const unsigned char *data,
                      photo_put_done done, void *ctx)
{
    struct photo_pg *p = impl;
    if (!pg_is_up(p->pg)) {
        done(ctx, SU_AGAIN, false);
        return;
    }
    photo_puts_add(p->puts, e, data, done, ctx);
}

/* ---- get --------------------------------------------------------------- */

static int get_start(struct pg_job *job, PGconn *conn)
{
    struct get_job *j = (struct get_job *)job;
    const char *values[1] = {j->sha256};
    if (j->row) {
        PQclear(j->row);
        j->row = NULL;
    }
    return PQsendQueryParams(conn, sql_get, 1, NULL, values, NULL, NULL, 1) ? 0 : -1;
}

static enum pg_step get_step(struct pg_job *job, PGconn *conn)
{
    struct get_job *j = (struct get_job *)job;
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed ? PG_FAIL : PG_DONE;
        if (PQresultStatus(r) == PGRES_TUPLES_OK && !j->row) {
            j->row = r;
            continue;
        }
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            log_warn("photo_get_failed", "error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

static void get_finish(struct pg_job *job, bool ok)
{
    struct get_job *j = (struct get_job *)job;
    if (!ok || !j->row)
        j->done(j->ctx, SU_AGAIN, NULL, 0);
    else if (PQntuples(j->row) != 1)
        j->done(j->ctx, SU_NOTFOUND, NULL, 0);
    else
        j->done(j->ctx, SU_OK, (const unsigned char *)PQgetvalue(j->row, 0, 0),
                (size_t)PQgetlength(j->row, 0, 0));
    if (j->row)
        PQclear(j->row);
    free(j);
}

static void store_get(void *impl, const char *sha256, photo_get_done done, void *ctx)
{
    struct photo_pg *p = impl;
    struct get_job *j = xcalloc(1, sizeof *j);
    if (!pg_is_up(p->pg)) {
        free(j);
        done(ctx, SU_AGAIN, NULL, 0);
        return;
    }
    j->job.start = get_start;
    j->job.step = get_step;
    j->job.finish = get_finish;
    snprintf(j->sha256, sizeof j->sha256, "%s", sha256);
    j->done = done;
    j->ctx = ctx;
    pg_submit(p->pg, &j->job);
}

static bool store_available(void *impl)
{
    struct photo_pg *p = impl;
    return p->index->loaded && pg_is_up(p->pg);
}

/* ---- life -------------------------------------------------------------- */

struct photo_pg *photo_pg_start(uv_loop_t *loop, const char *conninfo, struct photo_index *index,
                                void (*loaded)(void *ctx), void *ctx)
{
    struct photo_pg *p = xcalloc(1, sizeof *p);
    p->index = index;
    p->loaded = loaded;
    p->ctx = ctx;
    struct pg_events ev = {.up = on_up, .ctx = p};
    p->pg = pg_new(loop, conninfo, &ev);
    if (!p->pg) {
        free(p);
        return NULL;
    }
    p->puts = photo_puts_new(p->pg);
    uv_timer_init(loop, &p->retry);
    p->retry.data = p;
    pg_start(p->pg);
    return p;
}

void photo_pg_store(struct photo_pg *p, struct photo_store *out)
{
    *out = (struct photo_store){
        .impl = p, .available = store_available, .put = store_put, .get = store_get};
}

static void free_photo_pg(uv_handle_t *h)
{
    struct photo_pg *p = h->data;
    photo_puts_free(p->puts);
    free(p);
}

void photo_pg_close(struct photo_pg *p)
{
    if (!p)
        return;
    p->closing = true;
    photo_puts_close(p->puts); /* puts waiting for a group answer SU_AGAIN */
    pg_close(p->pg);           /* the group in flight and queued gets answer SU_AGAIN here */
    uv_timer_stop(&p->retry);
    uv_close((uv_handle_t *)&p->retry, free_photo_pg);
}
