/* See pg.h. The state machine: DOWN -> CONNECTING (PQconnectPoll driven by a
 * uv_poll) -> UP (jobs) -> back to DOWN on any error, with a growing retry
 * delay. libpq may change the socket during connect: with several hosts
 * (`host=a,b target_session_attrs=read-write`) it closes the socket of a host
 * that refused or is read-only and opens one to the next, which the kernel
 * often gives the same fd number. The old socket's epoll registration died
 * with it, so during connect the poll handle is re-created after every
 * PQconnectPoll step, not only when the number changes; poll handles are
 * heap-allocated because uv_close is asynchronous. A refused connection shows
 * up as a poll error (POLLERR): while connecting it goes to PQconnectPoll too,
 * which moves on to the next host. */
#include "pg.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 5000
#define RETRY_MIN_MS 200
/* At most 2 s between attempts: a failover tool promotes a standby after
 * about its lease (Patroni's ttl, 15 s in docs/deploy/patroni.yml), and the
 * attempt after that should come at once; one failed attempt costs each host
 * a TCP connection and a login. */
#define RETRY_MAX_MS 2000
#define STABLE_MS 10000

enum pg_state { PG_STATE_DOWN, PG_STATE_CONNECTING, PG_STATE_UP, PG_STATE_CLOSING };

struct pg {
    uv_loop_t *loop;
    char *conninfo;
    struct pg_events ev;
    enum pg_state state;
    PGconn *conn;
    uv_poll_t *poll;
    int poll_fd;
    int poll_events;
    uv_timer_t timer; /* connect timeout and retry delay */
    int retry_ms;
    int64_t up_since_ms;
    /* The first `running` jobs of the queue have been started (at most
     * `depth`: 1, or more on a connection in pipeline mode, pg_new_pipeline),
     * and the head is the one whose results come next. */
    struct pg_job *head, *tail;
    int running, depth;
    bool was_up;
    uint64_t sessions; /* how many times the connection came up */
};

static void on_poll(uv_poll_t *h, int status, int events);
static void on_timer(uv_timer_t *t);
static void schedule_retry(struct pg *pg);

static void close_poll(struct pg *pg)
{
    if (pg->poll) {
        uv_poll_stop(pg->poll);
        uv_close((uv_handle_t *)pg->poll, (uv_close_cb)free);
        pg->poll = NULL;
    }
}

static void watch(struct pg *pg, int events)
{
    int fd = PQsocket(pg->conn);
    if (pg->poll && (pg->poll_fd != fd))
        close_poll(pg);
    if (!pg->poll) {
        pg->poll = xmalloc(sizeof *pg->poll);
        if (!pg->poll || uv_poll_init(pg->loop, pg->poll, fd) != 0) {
            free(pg->poll);
            pg->poll = NULL;
            return;
        }
        pg->poll->data = pg;
        pg->poll_fd = fd;
        pg->poll_events = 0;
    }
    if (events != pg->poll_events) {
        uv_poll_start(pg->poll, events, on_poll);
        pg->poll_events = events;
    }
}

static struct pg_job *pop_job(struct pg *pg)
{
    struct pg_job *job = pg->head;
    pg->head = job->next;
    if (!pg->head)
        pg->tail = NULL;
    job->next = NULL;
    if (pg->running > 0) /* the head is the first of the running jobs */
        pg->running--;
    return job;
}

/* The jobs started on a connection that went down finish (ok=false) in the
 * order they were sent, so a job that queues itself again keeps its place
 * among them. */
static void finish_running(struct pg *pg)
{
    while (pg->running > 0) {
        struct pg_job *job = pop_job(pg);
        job->finish(job, false);
    }
}

static void go_down(struct pg *pg, const char *why)
{
    bool was_up = pg->state == PG_STATE_UP;
    /* The retry delay starts small again only after a connection that lasted:
     * one that fails at once (a batch PostgreSQL keeps rejecting) backs off. */
    if (was_up && clock_mono_ms() - pg->up_since_ms >= STABLE_MS)
        pg->retry_ms = RETRY_MIN_MS;
    if (why)
        log_warn("db_down", "reason=\"%s\"", why);
    close_poll(pg);
    if (pg->conn) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    pg->state = PG_STATE_DOWN;
    finish_running(pg);
    if (was_up && pg->ev.down)
        pg->ev.down(pg->ev.ctx);
    schedule_retry(pg);
}

static void fail_running(struct pg *pg, const char *why)
{
    /* A failed job may have left the connection mid-transaction or with
     * unread results: start afresh rather than guess. In pipeline mode the
     * jobs sent after it finish with it, in order (finish_running). */
    g_metrics.db_errors++;
    log_warn("db_job_failed", "error=\"%s\"", why);
    go_down(pg, NULL);
}

static void flush(struct pg *pg)
{
    int r = PQflush(pg->conn);
    if (r < 0) {
        go_down(pg, PQerrorMessage(pg->conn));
        return;
    }
    watch(pg, UV_READABLE | (r == 1 ? UV_WRITABLE : 0));
}

/* The first job of the queue not yet started, or NULL. */
static struct pg_job *next_to_start(const struct pg *pg)
{
    struct pg_job *job = pg->head;
    for (int i = 0; i < pg->running && job; i++)
        job = job->next;
    return job;
}

static void run_next(struct pg *pg)
{
    struct pg_job *job;
    while (pg->state == PG_STATE_UP && pg->running < pg->depth && (job = next_to_start(pg))) {
        pg->running++;
        job->failed = false;
        if (job->start(job, pg->conn) != 0) {
            fail_running(pg, PQerrorMessage(pg->conn));
            return;
        }
        flush(pg);
    }
}

static void step_job(struct pg *pg)
{
    while (pg->running > 0 && pg->state == PG_STATE_UP) {
        if (PQisBusy(pg->conn))
            return;
        enum pg_step s = pg->head->step(pg->head, pg->conn);
        if (s == PG_AGAIN)
            return;
        if (s == PG_FAIL) {
            fail_running(pg, PQerrorMessage(pg->conn));
            return;
        }
        struct pg_job *job = pop_job(pg);
        job->finish(job, true);
        run_next(pg);
    }
}

static void read_notifications(struct pg *pg)
{
    PGnotify *n;
    while ((n = PQnotifies(pg->conn))) {
        if (pg->ev.notify)
            pg->ev.notify(pg->ev.ctx, n->relname);
        PQfreemem(n);
    }
}

static void on_readable(struct pg *pg)
{
    if (!PQconsumeInput(pg->conn) || PQstatus(pg->conn) != CONNECTION_OK) {
        go_down(pg, PQerrorMessage(pg->conn));
        return;
    }
    read_notifications(pg);
    step_job(pg);
}

static void connected(struct pg *pg)
{
    uv_timer_stop(&pg->timer);
    PQsetnonblocking(pg->conn, 1);
    if (pg->depth > 1 && !PQenterPipelineMode(pg->conn)) {
        go_down(pg, PQerrorMessage(pg->conn));
        return;
    }
    pg->state = PG_STATE_UP;
    pg->sessions++;
    pg->up_since_ms = clock_mono_ms();
    log_info("db_up", "server_version=%d", PQserverVersion(pg->conn));
    watch(pg, UV_READABLE);
    if (pg->ev.up)
        pg->ev.up(pg->ev.ctx);
    run_next(pg);
}

static void continue_connect(struct pg *pg)
{
    PostgresPollingStatusType st = PQconnectPoll(pg->conn);
    close_poll(pg); /* the socket may be a new one under the same number */
    switch (st) {
    case PGRES_POLLING_OK:
        connected(pg);
        return;
    case PGRES_POLLING_READING:
        watch(pg, UV_READABLE);
        return;
    case PGRES_POLLING_WRITING:
        watch(pg, UV_WRITABLE);
        return;
    default:
        go_down(pg, PQerrorMessage(pg->conn));
    }
}

/* libuv reports a socket error (POLLERR) as status UV_EBADF and stops the
 * handle. While connecting that is ordinary - a host that refused, so libpq
 * should try the next one - and only PQconnectPoll can tell; once up, libpq
 * names the real cause better than "bad file descriptor". */
static void on_poll_error(struct pg *pg, int status)
{
    if (pg->state == PG_STATE_CONNECTING) {
        continue_connect(pg);
        return;
    }
    pg->poll_events = 0; /* libuv stopped the handle */
    if (!PQconsumeInput(pg->conn) || PQstatus(pg->conn) != CONNECTION_OK)
        go_down(pg, PQerrorMessage(pg->conn));
    else
        go_down(pg, uv_strerror(status));
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct pg *pg = h->data;
    if (status < 0) {
        on_poll_error(pg, status);
        return;
    }
    if (pg->state == PG_STATE_CONNECTING) {
        continue_connect(pg);
        return;
    }
    if (pg->state != PG_STATE_UP)
        return;
    if (events & UV_WRITABLE) {
        flush(pg);
        if (pg->state != PG_STATE_UP)
            return;
    }
    if (events & UV_READABLE)
        on_readable(pg);
    else if (events & UV_WRITABLE)
        /* A send that would block makes libpq read what has come (pqSendSome
         * reads to avoid a deadlock): a pipelined batch's results may now be
         * in its buffer, with nothing left on the socket to wake us. */
        step_job(pg);
}

static void connect_start(struct pg *pg)
{
    g_metrics.db_reconnects++;
    pg->conn = PQconnectStart(pg->conninfo);
    if (!pg->conn || PQstatus(pg->conn) == CONNECTION_BAD) {
        go_down(pg, pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
        return;
    }
    pg->state = PG_STATE_CONNECTING;
    watch(pg, UV_WRITABLE);
    uv_timer_start(&pg->timer, on_timer, CONNECT_TIMEOUT_MS, 0);
}

static void on_timer(uv_timer_t *t)
{
    struct pg *pg = t->data;
    if (pg->state == PG_STATE_CONNECTING)
        go_down(pg, "connect timed out");
    else if (pg->state == PG_STATE_DOWN)
        connect_start(pg);
}

static void schedule_retry(struct pg *pg)
{
    uv_timer_start(&pg->timer, on_timer, (uint64_t)pg->retry_ms, 0);
    pg->retry_ms = pg->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pg->retry_ms * 2;
}

struct pg *pg_new(uv_loop_t *loop, const char *conninfo, const struct pg_events *events)
{
    struct pg *pg = xcalloc(1, sizeof *pg);
    if (!pg || !(pg->conninfo = xstrdup(conninfo))) {
        free(pg);
        return NULL;
    }
    pg->loop = loop;
    pg->ev = *events;
    pg->retry_ms = RETRY_MIN_MS;
    pg->depth = 1;
    uv_timer_init(loop, &pg->timer);
    pg->timer.data = pg;
    return pg;
}

struct pg *pg_new_pipeline(uv_loop_t *loop, const char *conninfo, const struct pg_events *events,
                           int depth)
{
    struct pg *pg = pg_new(loop, conninfo, events);
    if (pg)
        pg->depth = depth;
    return pg;
}

void pg_start(struct pg *pg)
{
    connect_start(pg);
}

void pg_submit(struct pg *pg, struct pg_job *job)
{
    job->next = NULL;
    if (pg->tail)
        pg->tail->next = job;
    else
        pg->head = job;
    pg->tail = job;
    run_next(pg);
}

void pg_submit_first(struct pg *pg, struct pg_job *job)
{
    struct pg_job *after = NULL; /* the last running job */
    for (int i = 0; i < pg->running; i++)
        after = after ? after->next : pg->head;
    struct pg_job **at = after ? &after->next : &pg->head;
    job->next = *at;
    *at = job;
    if (pg->tail == after)
        pg->tail = job;
    run_next(pg);
}

uint64_t pg_session(const struct pg *pg)
{
    return pg->state == PG_STATE_UP ? pg->sessions : 0;
}

bool pg_is_up(const struct pg *pg)
{
    return pg->state == PG_STATE_UP;
}

static void free_pg(uv_handle_t *h)
{
    struct pg *pg = h->data;
    free(pg->conninfo);
    free(pg);
}

void pg_close(struct pg *pg)
{
    pg->ev.down = NULL;
    close_poll(pg);
    if (pg->conn)
        PQfinish(pg->conn);
    pg->conn = NULL;
    pg->state = PG_STATE_CLOSING;
    while (pg->head) {
        struct pg_job *job = pop_job(pg);
        job->finish(job, false);
    }
    uv_timer_stop(&pg->timer);
    uv_close((uv_handle_t *)&pg->timer, free_pg);
}

enum pg_step pg_drain_results(struct pg_job *job, PGconn *conn)
{
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed ? PG_FAIL : PG_DONE;
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            log_warn("db_error", "error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

enum pg_step pg_drain_pipeline(struct pg_job *job, PGconn *conn)
{
    bool ended = false; /* the last result was the end of a statement's */
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r) {
            if (ended) /* nothing more was sent: not this job's results */
                return PG_FAIL;
            ended = true; /* the statement's results are read; its sync comes next */
            continue;
        }
        ended = false;
        ExecStatusType st = PQresultStatus(r);
        /* Anything but rows, a command's end or the sync fails the job: a
         * bad response must not count as a COMMIT. */
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_PIPELINE_SYNC) {
            log_warn("db_error", "status=%s error=\"%s\"", PQresStatus(st),
                     PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
        if (st == PGRES_PIPELINE_SYNC)
            return job->failed ? PG_FAIL : PG_DONE;
    }
    return PG_AGAIN;
}

struct exec_job {
    struct pg_job job;
    const char *sql;
};

static int exec_start(struct pg_job *job, PGconn *conn)
{
    return PQsendQuery(conn, ((struct exec_job *)job)->sql) ? 0 : -1;
}

static enum pg_step exec_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_results(job, conn);
}

static void exec_finish(struct pg_job *job, bool ok)
{
    if (!ok)
        log_warn("db_exec_failed", "sql=\"%s\"", ((struct exec_job *)job)->sql);
    free(job);
}

void pg_exec(struct pg *pg, const char *sql)
{
    struct exec_job *e = xcalloc(1, sizeof *e);
    if (!e)
        return;
    e->job.start = exec_start;
    e->job.step = exec_step;
    e->job.finish = exec_finish;
    e->sql = sql;
    pg_submit(pg, &e->job);
}
