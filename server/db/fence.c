/* See fence.h. */
#include "fence.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The heartbeat also reads what the operator needs to know about the
 * primary's replication (visible in full to pg_monitor members; otherwise
 * PostgreSQL hides sync_state and the lags). */
static const char sql_heartbeat[] = "SELECT current_setting('synchronous_standby_names') <> '',"
                                    " count(*) FILTER (WHERE sync_state IN ('sync', 'quorum')),"
                                    " coalesce(extract(epoch FROM max(replay_lag)), 0)"
                                    " FROM pg_stat_replication";

struct fence {
    struct pg *pg;
    uv_timer_t timer;
    int fence_ms;
    bool beating; /* the heartbeat job is queued or running */
    struct pg_job job;
    char set_timeout[64]; /* pg_exec keeps the pointer */
};

static struct fence *fence_of(struct pg_job *job)
{
    return (struct fence *)((char *)job - offsetof(struct fence, job));
}

static int beat_start(struct pg_job *job, PGconn *conn)
{
    (void)job;
    return PQsendQuery(conn, sql_heartbeat) ? 0 : -1;
}

static void read_replication(const PGresult *r)
{
    if (PQntuples(r) != 1 || PQnfields(r) != 3)
        return;
    g_metrics.sync_required = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    g_metrics.sync_standbys = atoll(PQgetvalue(r, 0, 1));
    g_metrics.replication_lag_s = atof(PQgetvalue(r, 0, 2));
}

static enum pg_step beat_step(struct pg_job *job, PGconn *conn)
{
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed ? PG_FAIL : PG_DONE;
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            read_replication(r);
        } else {
            log_warn("db_error", "error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

static void beat_finish(struct pg_job *job, bool ok)
{
    (void)ok; /* a failed heartbeat already took the connection down */
    fence_of(job)->beating = false;
}

/* One heartbeat at a time, and none while the connection is down (they
 * would pile up). Queued behind batches it waits its turn: a busy session
 * is not idle either. */
static void beat(uv_timer_t *t)
{
    struct fence *f = t->data;
    if (f->beating || !pg_is_up(f->pg))
        return;
    f->beating = true;
    pg_submit(f->pg, &f->job);
}

struct fence *fence_new(uv_loop_t *loop, struct pg *pg, int fence_ms)
{
    struct fence *f = xcalloc(1, sizeof *f);
    f->pg = pg;
    f->fence_ms = fence_ms;
    f->job.start = beat_start;
    f->job.step = beat_step;
    f->job.finish = beat_finish;
    snprintf(f->set_timeout, sizeof f->set_timeout, "SET idle_session_timeout = %d", fence_ms);
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    /* Without fencing the heartbeat still reads the replication state. */
    uint64_t every = fence_ms > 0 ? (uint64_t)(fence_ms / 3 > 0 ? fence_ms / 3 : 1) : 5000;
    uv_timer_start(&f->timer, beat, every, every);
    return f;
}

void fence_session_up(struct fence *f)
{
    if (f->fence_ms > 0)
        pg_exec(f->pg, f->set_timeout);
}

static void free_fence(uv_handle_t *h)
{
    free(h->data);
}

void fence_close(struct fence *f)
{
    uv_timer_stop(&f->timer);
    uv_close((uv_handle_t *)&f->timer, free_fence);
}
