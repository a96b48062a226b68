/* See photo_pg.h. Three kinds of job run on the photo connection, one at a
 * time like every pg job: the start-up index load (a COPY of the photos'
 * metadata, never their bytes), puts and gets. Bytes travel as binary
 * parameters and results, so a photo is never hex-escaped into a query. */
#include "photo_pg.h"
#include "core/mem.h"
#include "copy.h"
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
/* A photo stored already is "updated" to itself rather than skipped: DO
 * NOTHING would write no WAL, and PostgreSQL would commit without waiting for
 * a synchronous standby - acknowledging a photo that an earlier, cut-off
 * attempt may have left on this primary alone. xmax = 0 on the returned row
 * tells an insert from that update.
 * The put is a statement prepared once per connection, with a generic plan:
 * sent unnamed, each put was parsed and planned again, and planning folds
 * the parameters into constants, copying the photo's bytes several times
 * (a quarter of the photo connection's CPU in PostgreSQL, page faults
 * mostly). A generic plan reads $6 where libpq's message left it. */
#define PUT_NAME "suara_photo_put"
/* The connection names itself, so an operator (and test_photos) finds it in
 * pg_stat_activity. */
static const char sql_prepare[] =
    "SET plan_cache_mode = force_generic_plan; SET application_name = 'suara-photos';"
    " PREPARE " PUT_NAME " (text, text, integer, integer, integer, bytea) AS"
    " INSERT INTO photos (sha256, content_type, bytes, width, height, data)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (sha256) DO UPDATE SET stored_at = photos.stored_at"
    " RETURNING xmax = 0";
static const char sql_get[] = "SELECT data FROM photos WHERE sha256 = $1";

struct photo_pg {
    struct pg *pg;
    struct photo_index *index;
    void (*loaded)(void *ctx);
    void *ctx;
    struct copy_job load;
    bool loading, closing;
    uv_timer_t retry;
};

struct put_job {
    struct pg_job job;
    struct photo_entry e;
    const unsigned char *data;
    photo_put_done done;
    void *ctx;
    bool created;
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

/* ---- the prepared put, once per connection ------------------------------ */

static int prepare_start(struct pg_job *job, PGconn *conn)
{
    (void)job;
    return PQsendQuery(conn, sql_prepare) ? 0 : -1;
}

static enum pg_step prepare_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_results(job, conn);
}

static void prepare_finish(struct pg_job *job, bool ok)
{
    if (!ok) /* the puts on this connection fail (503) until it is made again */
        log_warn("photo_prepare_failed", "statement=%s", PUT_NAME);
    free(job);
}

/* Ahead of every put still waiting from the last connection: a prepared
 * statement lives as long as its connection. */
static void prepare_put(struct photo_pg *p)
{
    struct pg_job *job = xcalloc(1, sizeof *job);
    job->start = prepare_start;
    job->step = prepare_step;
    job->finish = prepare_finish;
    pg_submit_first(p->pg, job);
}

static void on_up(void *ctx)
{
    prepare_put(ctx);
    start_load(ctx);
}

/* ---- put --------------------------------------------------------------- */

static int put_start(struct pg_job *job, PGconn *conn)
{
    struct put_job *j = (struct put_job *)job;
    char bytes[16], width[16], height[16];
    snprintf(bytes, sizeof bytes, "%d", j->e.bytes);
    snprintf(width, sizeof width, "%d", j->e.width);
    snprintf(height, sizeof height, "%d", j->e.height);
    const char *values[6] = {j->e.sha256, image_type_mime(j->e.type), bytes, width,
                             height,      (const char *)j->data};
    int lengths[6] = {0, 0, 0, 0, 0, j->e.bytes};
    int formats[6] = {0, 0, 0, 0, 0, 1};
    j->created = false;
    return PQsendQueryPrepared(conn, PUT_NAME, 6, values, lengths, formats, 0) ? 0 : -1;
}

static enum pg_step put_step(struct pg_job *job, PGconn *conn)
{
    struct put_job *j = (struct put_job *)job;
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed ? PG_FAIL : PG_DONE;
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            j->created = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        } else {
            log_warn("photo_put_failed", "error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

static void put_finish(struct pg_job *job, bool ok)
{
    struct put_job *j = (struct put_job *)job;
    j->done(j->ctx, ok ? SU_OK : SU_AGAIN, j->created);
    free(j);
}

static void store_put(void *impl, const struct photo_entry *e, const unsigned char *data,
                      photo_put_done done, void *ctx)
{
    struct photo_pg *p = impl;
    struct put_job *j = xcalloc(1, sizeof *j);
    if (!pg_is_up(p->pg)) {
        free(j);
        done(ctx, SU_AGAIN, false);
        return;
    }
    j->job.start = put_start;
    j->job.step = put_step;
    j->job.finish = put_finish;
    j->e = *e;
    j->data = data;
    j->done = done;
    j->ctx = ctx;
    pg_submit(p->pg, &j->job);
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
    free(h->data);
}

void photo_pg_close(struct photo_pg *p)
{
    if (!p)
        return;
    p->closing = true;
    pg_close(p->pg); /* queued puts and gets answer SU_AGAIN here */
    uv_timer_stop(&p->retry);
    uv_close((uv_handle_t *)&p->retry, free_photo_pg);
}
