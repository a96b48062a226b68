/* See review_store.h. */
#include "review_store.h"
#include "copy.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sql_load[] =
    "COPY (SELECT id, form_id, kind, note, token_id,"
    " (extract(epoch FROM requested_at) * 1000)::bigint FROM review_requests ORDER BY id)"
    " TO STDOUT";

static const char sql_insert[] =
    "INSERT INTO review_requests (id, form_id, kind, note, token_id, requested_at)"
    " VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000))"
    " ON CONFLICT (id) DO NOTHING";

struct loader {
    struct copy_job copy;
    struct review_desk *desk;
    void (*done)(void *ctx, bool ok);
    void *ctx;
};

static int row_request(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    int kind = n == 6 && f[2] ? review_request_kind_parse(f[2]) : -1;
    char *note = kind >= 0 && f[3] ? xstrdup(f[3]) : NULL;
    if (!note) {
        snprintf(l->copy.error, sizeof l->copy.error, "review_requests: bad row");
        return -1;
    }
    int rc = review_request_add(l->desk, atoll(f[0]), atoll(f[1]), atoi(f[4]), kind, note,
                                atoll(f[5]), NULL);
    /* A form with more stored requests than the limit keeps the first ones. */
    return rc == SU_OK || rc == SU_TOOBIG ? 0 : -1;
}

static void loaded(void *ctx, bool ok)
{
    struct loader *l = ctx;
    if (!ok)
        log_error("review_requests_load_failed", "error=\"%s\"", l->copy.error);
    else
        log_info("review_requests_loaded", "requests=%lld", (long long)l->desk->n_requests);
    l->done(l->ctx, ok);
    free(l);
}

void review_store_load(struct pg *pg, struct review_desk *desk, void (*done)(void *ctx, bool ok),
                       void *ctx)
{
    struct loader *l = xcalloc(1, sizeof *l);
    l->desk = desk;
    l->done = done;
    l->ctx = ctx;
    copy_job_init(&l->copy, sql_load, row_request, loaded, l);
    pg_submit(pg, &l->copy.job);
}

struct inserter {
    struct pg_job job;
    char id[24], form_id[24], token_id[16], at_ms[24];
    const char *kind;
    char *note;
    void (*done)(void *ctx, bool ok);
    void *ctx;
};

static int insert_start(struct pg_job *job, PGconn *conn)
{
    struct inserter *w = (struct inserter *)job;
    const char *params[6] = {w->id, w->form_id, w->kind, w->note, w->token_id, w->at_ms};
    return PQsendQueryParams(conn, sql_insert, 6, NULL, params, NULL, NULL, 0) ? 0 : -1;
}

static enum pg_step insert_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_results(job, conn);
}

static void insert_finish(struct pg_job *job, bool ok)
{
    struct inserter *w = (struct inserter *)job;
    w->done(w->ctx, ok);
    free(w->note);
    free(w);
}

void review_store_insert(struct pg *pg, const struct review_request *r,
                         void (*done)(void *ctx, bool ok), void *ctx)
{
    struct inserter *w = xcalloc(1, sizeof *w);
    char *note = xstrdup(r->note);
    w->job.start = insert_start;
    w->job.step = insert_step;
    w->job.finish = insert_finish;
    snprintf(w->id, sizeof w->id, "%lld", (long long)r->id);
    snprintf(w->form_id, sizeof w->form_id, "%lld", (long long)r->form_id);
    snprintf(w->token_id, sizeof w->token_id, "%d", r->token_id);
    snprintf(w->at_ms, sizeof w->at_ms, "%lld", (long long)r->at_ms);
    w->kind = review_request_kind_name(r->kind);
    w->note = note;
    w->done = done;
    w->ctx = ctx;
    pg_submit(pg, &w->job);
}
