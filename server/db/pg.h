/* One asynchronous PostgreSQL connection on the libuv loop, that reconnects
 * by itself. Work is done by jobs, run one at a time in FIFO order (a few at
 * once in pipeline mode, pg_new_pipeline): a job sends its queries (start)
 * and reads its results (step) whenever the socket has data. If the
 * connection breaks, the running jobs finish with ok=false and the ones
 * still queued wait for the next connection.
 * Nothing here blocks: connect uses PQconnectStart/PQconnectPoll and the
 * connection is in nonblocking mode. */
#ifndef SUARA_DB_PG_H
#define SUARA_DB_PG_H

#include <stdbool.h>
#include <uv.h>

/* libpq's PGconn, named without <libpq-fe.h> so that the layers above (the
 * app) can hold a struct pg without seeing libpq: only db/ includes it. */
struct pg_conn;

enum pg_step { PG_DONE, PG_AGAIN, PG_FAIL };

struct pg_job {
    struct pg_job *next;
    /* An error result seen so far; reset before every start. It must live
     * in the job: results arrive over several steps. */
    bool failed;
    /* Sends the job's queries. Returns 0, or -1 to fail the job. */
    int (*start)(struct pg_job *job, struct pg_conn *conn);
    /* Reads what results are complete (PQisBusy is false at least once). */
    enum pg_step (*step)(struct pg_job *job, struct pg_conn *conn);
    /* Always called once, last; the job may be freed or resubmitted here. */
    void (*finish)(struct pg_job *job, bool ok);
};

struct pg_events {
    void (*up)(void *ctx);   /* connected (again) */
    void (*down)(void *ctx); /* connection lost or refused */
    void (*notify)(void *ctx, const char *channel);
    void *ctx;
};

struct pg;

struct pg *pg_new(uv_loop_t *loop, const char *conninfo, const struct pg_events *events);
/* A connection in libpq's pipeline mode: up to `depth` jobs are sent before
 * the first one's results are read, which still come, and finish, in FIFO
 * order. Each job's start must end its queries with PQpipelineSync and its
 * step read up to that sync (pg_drain_pipeline); only extended-protocol
 * queries are allowed (PQsendQueryParams, not PQsendQuery nor COPY). If one
 * job fails, the connection is dropped and every job sent finishes with
 * ok=false, in the order they were sent. */
struct pg *pg_new_pipeline(uv_loop_t *loop, const char *conninfo, const struct pg_events *events,
                           int depth);
void pg_start(struct pg *pg);
/* Queues a job; it runs when the connection is up and earlier jobs are done. */
void pg_submit(struct pg *pg, struct pg_job *job);
/* Queues a job ahead of all others that wait (not ahead of running ones). */
void pg_submit_first(struct pg *pg, struct pg_job *job);
bool pg_is_up(const struct pg *pg);
/* Which session the connection is in: a number that changes whenever it comes
 * up again (what a session holds, an advisory lock, went with the last one);
 * 0 while it is down. */
uint64_t pg_session(const struct pg *pg);
/* Closes the connection; queued jobs finish with ok=false. Frees pg once its
 * handles are closed (keep the loop running). */
void pg_close(struct pg *pg);

/* Queues a fire-and-forget statement (e.g. LISTEN); failures are logged. */
void pg_exec(struct pg *pg, const char *sql);

/* Reads every pending result of a plain (non-pipeline) query, for jobs whose
 * results need no inspection beyond success: PG_AGAIN while busy, then
 * PG_FAIL if any result was an error (job->failed), else PG_DONE. */
enum pg_step pg_drain_results(struct pg_job *job, struct pg_conn *conn);
/* The same for a job on a pipeline connection: reads up to and including
 * its PGRES_PIPELINE_SYNC. */
enum pg_step pg_drain_pipeline(struct pg_job *job, struct pg_conn *conn);

#endif
