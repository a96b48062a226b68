/* See audit_read.h. */
#include "audit_read.h"
#include "core/mem.h"
#include "core/log.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sql_page[] =
    "SELECT json_build_object("
    " 'events', coalesce(json_agg(json_build_object("
    "  'id', e.id,"
    "  'at', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    "  'kind', e.kind, 'token_id', e.token_id, 'detail', e.detail) ORDER BY e.id), '[]'::json),"
    " 'next', CASE WHEN count(*) = $3::int THEN max(e.id) END)::text"
    " FROM (SELECT * FROM audit WHERE ($1 = '' OR kind = $1) AND id > $2::bigint"
    " ORDER BY id LIMIT $3::int) AS e";

struct audit_job {
    struct pg_job job;
    struct waiter *w;
    char kind[AUDIT_KIND_MAX + 1];
    char after[24], limit[16];
    char *body;
};

static int job_start(struct pg_job *job, PGconn *conn)
{
    struct audit_job *a = (struct audit_job *)job;
    const char *values[] = {a->kind, a->after, a->limit};
    return PQsendQueryParams(conn, sql_page, 3, NULL, values, NULL, NULL, 0) ? 0 : -1;
}

static enum pg_step job_step(struct pg_job *job, PGconn *conn)
{
    struct audit_job *a = (struct audit_job *)job;
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed || !a->body ? PG_FAIL : PG_DONE;
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !a->body) {
            a->body = xstrdup(PQgetvalue(r, 0, 0));
        } else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            log_warn("db_error", "error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

static void job_finish(struct pg_job *job, bool ok)
{
    struct audit_job *a = (struct audit_job *)job;
    static const char unavailable[] =
        "{\"error\":{\"code\":\"storage_unavailable\",\"message\":\"the audit trail could not "
        "be read; retry shortly\",\"details\":[]}}";
    if (ok && a->body)
        a->w->done(a->w, 200, a->body, strlen(a->body));
    else
        a->w->done(a->w, 503, unavailable, sizeof unavailable - 1);
    free(a->body);
    free(a);
}

void audit_read(struct pg *pg, const char *kind, int64_t after, int limit, struct waiter *w)
{
    struct audit_job *a = xcalloc(1, sizeof *a);
    if (!a) {
        static const char nomem[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"retry "
                                    "later\",\"details\":[]}}";
        w->done(w, 503, nomem, sizeof nomem - 1);
        return;
    }
    a->job.start = job_start;
    a->job.step = job_step;
    a->job.finish = job_finish;
    a->w = w;
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    snprintf(a->after, sizeof a->after, "%" PRId64, after);
    snprintf(a->limit, sizeof a->limit, "%d", limit);
    pg_submit(pg, &a->job);
}
