/* See photo_put.h. Why groups: every photo committed on its own was a WAL
 * flush of its own (pg_stat_wal: 703-799 syncs beside the forms against 241
 * alone), and the form writer's COMMIT waited behind those flushes
 * (pg_stat_activity: the writer's backend in LWLock:WALWrite a fifth of its
 * active time beside the photos, never alone). A group of n photos is one
 * flush. Nothing waits on purpose: a group is sent at once when no other is
 * in flight, so a lone photo is stored as fast as before; puts group only
 * while a transaction is under way, which is when a flush is being paid for
 * anyway. */
#include "photo_put.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on one transaction; a group always takes at least one put. Uploads
 * in flight are bounded by --photo-uploads-max already: these only keep a
 * transaction (and the time its first photo waits for its last) short. */
#define GROUP_MAX_PHOTOS 32
#define GROUP_MAX_BYTES (16 * 1024 * 1024)

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
/* The application_name tells this connection's backend from the writer's in
 * pg_stat_activity (its last query there is a group's COMMIT). */
static const char sql_prepare[] =
    "SET plan_cache_mode = force_generic_plan; SET application_name = 'suara-photos';"
    " PREPARE " PUT_NAME " (text, text, integer, integer, integer, bytea) AS"
    " INSERT INTO photos (sha256, content_type, bytes, width, height, data)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (sha256) DO UPDATE SET stored_at = photos.stored_at"
    " RETURNING xmax = 0";

struct put {
    struct put *next;
    struct photo_entry e;
    const unsigned char *data;
    photo_put_done done;
    void *ctx;
    /* Another put of the group has the same hash: this one is not sent (one
     * statement cannot meet its own row twice) and answers as a repeat. */
    bool twin;
    bool created;
};

/* One transaction's puts, in the order their statements are sent. */
struct group_job {
    struct pg_job job;
    struct photo_puts *q;
    struct put *puts;
    int results;    /* INSERT results read so far */
    bool committed; /* the COMMIT's result said COMMIT */
};

struct photo_puts {
    struct pg *pg;
    struct put *head, *tail; /* waiting for the next group */
    bool in_flight, closing;
};

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

void photo_puts_prepare(struct photo_puts *q)
{
    struct pg_job *job = xcalloc(1, sizeof *job);
    job->start = prepare_start;
    job->step = prepare_step;
    job->finish = prepare_finish;
    pg_submit_first(q->pg, job);
}

/* ---- one group: BEGIN, the puts, COMMIT, in one pipeline ---------------- */

static int send_put(PGconn *conn, const struct put *p)
{
    char bytes[16], width[16], height[16];
    snprintf(bytes, sizeof bytes, "%d", p->e.bytes);
    snprintf(width, sizeof width, "%d", p->e.width);
    snprintf(height, sizeof height, "%d", p->e.height);
    const char *values[6] = {p->e.sha256, image_type_mime(p->e.type), bytes, width,
                             height,      (const char *)p->data};
    int lengths[6] = {0, 0, 0, 0, 0, p->e.bytes};
    int formats[6] = {0, 0, 0, 0, 0, 1};
    return PQsendQueryPrepared(conn, PUT_NAME, 6, values, lengths, formats, 0) ? 0 : -1;
}

static int group_start(struct pg_job *job, PGconn *conn)
{
    struct group_job *g = (struct group_job *)job;
    g->results = 0;
    g->committed = false;
    for (struct put *p = g->puts; p; p = p->next)
        p->created = false;
    if (!PQenterPipelineMode(conn) ||
        !PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
        return -1;
    for (struct put *p = g->puts; p; p = p->next)
        if (!p->twin && send_put(conn, p) != 0)
            return -1;
    if (!PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(conn))
        return -1;
    return 0;
}

/* The put whose INSERT result is the i-th (twins send none). */
static struct put *sent_put(struct group_job *g, int i)
{
    for (struct put *p = g->puts; p; p = p->next)
        if (!p->twin && i-- == 0)
            return p;
    return NULL;
}

static void read_result(struct group_job *g, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK) {
        struct put *p = sent_put(g, g->results++);
        if (p)
            p->created = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    } else if (st == PGRES_COMMAND_OK) {
        g->committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
    } else if (st != PGRES_PIPELINE_ABORTED) {
        log_warn("photo_put_failed", "error=\"%s\"", PQresultErrorMessage(r));
        g->job.failed = true;
    } else {
        g->job.failed = true; /* skipped after an earlier error */
    }
}

/* Results arrive query by query, each followed by a NULL; the pipeline's
 * sync result ends the group. A failed group fails the job, so pg.c starts
 * a fresh connection: the transaction left open is rolled back with it. */
static enum pg_step group_step(struct pg_job *job, PGconn *conn)
{
    struct group_job *g = (struct group_job *)job;
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            continue;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (!PQexitPipelineMode(conn))
                return PG_FAIL;
            return job->failed || !g->committed ? PG_FAIL : PG_DONE;
        }
        read_result(g, r);
        PQclear(r);
    }
    return PG_AGAIN;
}

static void send_group(struct photo_puts *q);

/* Every put of the group answers the same way: the COMMIT covered all or
 * none. A twin is its sent put's repeat. */
static void group_finish(struct pg_job *job, bool ok)
{
    struct group_job *g = (struct group_job *)job;
    struct photo_puts *q = g->q;
    q->in_flight = false;
    struct put *p = g->puts;
    while (p) {
        struct put *next = p->next;
        p->done(p->ctx, ok ? SU_OK : SU_AGAIN, ok && !p->twin && p->created);
        free(p);
        p = next;
    }
    free(g);
    send_group(q);
}

static bool in_group(const struct put *first, const struct put *p)
{
    for (const struct put *o = first; o != p; o = o->next)
        if (!o->twin && strcmp(o->e.sha256, p->e.sha256) == 0)
            return true;
    return false;
}

/* Takes the waiting puts, within the bounds, as the next group. */
static struct put *take_group(struct photo_puts *q)
{
    struct put *first = q->head, *last = NULL;
    int n = 0;
    long long bytes = 0;
    for (struct put *p = q->head; p; p = p->next) {
        if (n > 0 && (n == GROUP_MAX_PHOTOS || bytes + p->e.bytes > GROUP_MAX_BYTES))
            break;
        p->twin = in_group(first, p);
        if (!p->twin) {
            n++;
            bytes += p->e.bytes;
        }
        last = p;
    }
    q->head = last->next;
    if (!q->head)
        q->tail = NULL;
    last->next = NULL;
    return first;
}

static void send_group(struct photo_puts *q)
{
    if (q->in_flight || q->closing || !q->head)
        return;
    struct group_job *g = xcalloc(1, sizeof *g);
    g->job.start = group_start;
    g->job.step = group_step;
    g->job.finish = group_finish;
    g->q = q;
    g->puts = take_group(q);
    q->in_flight = true;
    pg_submit(q->pg, &g->job);
}

/* ---- the queue ----------------------------------------------------------- */

struct photo_puts *photo_puts_new(struct pg *pg)
{
    struct photo_puts *q = xcalloc(1, sizeof *q);
    q->pg = pg;
    return q;
}

void photo_puts_add(struct photo_puts *q, const struct photo_entry *e, const unsigned char *data,
                    photo_put_done done, void *ctx)
{
    struct put *p = xcalloc(1, sizeof *p);
    p->e = *e;
    p->data = data;
    p->done = done;
    p->ctx = ctx;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    send_group(q);
}

void photo_puts_close(struct photo_puts *q)
{
    q->closing = true;
    while (q->head) {
        struct put *p = q->head;
        q->head = p->next;
        p->done(p->ctx, SU_AGAIN, false);
        free(p);
    }
    q->tail = NULL;
}

void photo_puts_free(struct photo_puts *q)
{
    free(q);
}
