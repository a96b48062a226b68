/* See snapshot.h. */
#include "snapshot.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "pg.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum { C_CONTEST, C_REGION, C_SEQ, C_AT, C_COUNTED, C_VALID, C_INVALID, C_VOTES, N_COLS };

const char snapshot_insert_sql[] =
    "INSERT INTO tally_snapshots (contest, region, seq, at, tps_counted, valid, invalid, votes)"
    " SELECT s.contest, s.region, s.seq, to_timestamp(s.at_ms / 1000.0), s.counted, s.valid,"
    " s.invalid, s.votes::bigint[]"
    " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::int[], $6::bigint[],"
    " $7::bigint[], $8::text[]) AS s(contest, region, seq, at_ms, counted, valid, invalid, votes)"
    /* like every batch: no rehearsal snapshot after the election went live */
    " WHERE suara_assert_epoch($9::int) IS NOT NULL"
    " ON CONFLICT DO NOTHING";

struct snapshotter {
    struct timeline *tl;
    const struct tallies *tallies;
    struct pg *pg;
    uv_timer_t timer;
    struct pg_job job;
    bool in_flight;
    int rows;
    struct buf cols[N_COLS];
    const int *epoch; /* the election epoch this server loaded */
    char epoch_text[16];
};

static void col_sep(struct buf *b)
{
    buf_puts(b, b->len > 1 ? "," : "");
}

static void col_int(struct buf *b, int64_t v)
{
    col_sep(b);
    buf_printf(b, "%" PRId64, v);
}

/* Codes and contest ids are [0-9a-z.-]: no quoting needed beyond the quotes. */
static void col_str(struct buf *b, const char *s)
{
    col_sep(b);
    buf_printf(b, "\"%s\"", s);
}

static void add_row(struct snapshotter *s, int contest, const struct timeline_series *ser, int i)
{
    const struct registry *reg = s->tl->reg;
    const struct timeline_point *p = &ser->points[i];
    int n_cand = s->tl->contests[contest].n_candidates;
    col_str(&s->cols[C_CONTEST], reg->contests[contest].id);
    col_str(&s->cols[C_REGION], reg->regions[ser->region].code);
    col_int(&s->cols[C_SEQ], p->seq);
    col_int(&s->cols[C_AT], p->at_ms);
    col_int(&s->cols[C_COUNTED], p->tps_counted);
    col_int(&s->cols[C_VALID], p->valid);
    col_int(&s->cols[C_INVALID], p->invalid);
    struct buf *v = &s->cols[C_VOTES];
    col_sep(v);
    buf_puts(v, "\"{");
    const int64_t *votes = &ser->votes[(size_t)i * (size_t)n_cand];
    for (int k = 0; k < n_cand; k++)
        buf_printf(v, "%s%" PRId64, k ? "," : "", votes[k]);
    buf_puts(v, "}\"");
    s->rows++;
}

/* Every point not yet stored, into the columns; marks them as being sent. */
static void build(struct snapshotter *s)
{
    for (int k = 0; k < N_COLS; k++) {
        buf_reset(&s->cols[k]);
        buf_puts(&s->cols[k], "{");
    }
    s->rows = 0;
    for (int c = 0; c < s->tl->n_contests; c++) {
        struct timeline_contest *tc = &s->tl->contests[c];
        for (int k = 0; k < tc->n_series; k++) {
            struct timeline_series *ser = &tc->series[k];
            for (int i = ser->n_stored; i < ser->n; i++)
                add_row(s, c, ser, i);
            ser->n_sending = ser->n;
        }
    }
    for (int k = 0; k < N_COLS; k++)
        buf_puts(&s->cols[k], "}");
}

static struct snapshotter *of_job(struct pg_job *job)
{
    return (struct snapshotter *)((char *)job - offsetof(struct snapshotter, job));
}

static int job_start(struct pg_job *job, PGconn *conn)
{
    struct snapshotter *s = of_job(job);
    const char *values[N_COLS + 1];
    for (int k = 0; k < N_COLS; k++)
        values[k] = s->cols[k].data;
    snprintf(s->epoch_text, sizeof s->epoch_text, "%d", s->epoch ? *s->epoch : 1);
    values[N_COLS] = s->epoch_text;
    return PQsendQueryParams(conn, snapshot_insert_sql, N_COLS + 1, NULL, values, NULL, NULL, 0)
               ? 0
               : -1;
}

static enum pg_step job_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_results(job, conn);
}

static void job_finish(struct pg_job *job, bool ok)
{
    struct snapshotter *s = of_job(job);
    s->in_flight = false;
    for (int c = 0; c < s->tl->n_contests; c++) {
        struct timeline_contest *tc = &s->tl->contests[c];
        for (int k = 0; k < tc->n_series; k++) {
            struct timeline_series *ser = &tc->series[k];
            if (ok)
                ser->n_stored = ser->n_sending;
            else
                ser->n_sending = ser->n_stored; /* sent again next period */
        }
    }
    if (ok) {
        g_metrics.timeline_rows_stored += (uint64_t)s->rows;
    } else {
        g_metrics.timeline_write_errors++;
        log_warn("snapshot_failed", "rows=%d", s->rows);
    }
}

static void on_tick(uv_timer_t *t)
{
    struct snapshotter *s = t->data;
    timeline_take(s->tl, s->tallies, clock_now_ms());
    g_metrics.timeline_periods++; /* after the points: a test waits on it */
    if (s->in_flight || !pg_is_up(s->pg))
        return;
    build(s);
    if (s->rows == 0)
        return;
    s->in_flight = true;
    pg_submit(s->pg, &s->job);
}

void snapshot_set_epoch(struct snapshotter *s, const int *epoch)
{
    s->epoch = epoch;
}

struct snapshotter *snapshot_new(uv_loop_t *loop, const struct config *cfg, struct timeline *tl,
                                 const struct tallies *t)
{
    struct snapshotter *s = xcalloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->tl = tl;
    s->tallies = t;
    struct pg_events ev = {0};
    s->pg = pg_new(loop, cfg->db, &ev);
    if (!s->pg) {
        free(s);
        return NULL;
    }
    s->job.start = job_start;
    s->job.step = job_step;
    s->job.finish = job_finish;
    for (int k = 0; k < N_COLS; k++)
        buf_init(&s->cols[k], (size_t)1 << 28);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uint64_t period = (uint64_t)cfg->snapshot_s * 1000;
    uv_timer_start(&s->timer, on_tick, period, period);
    pg_start(s->pg);
    return s;
}

static void on_closed(uv_handle_t *h)
{
    struct snapshotter *s = h->data;
    for (int k = 0; k < N_COLS; k++)
        buf_free(&s->cols[k]);
    free(s);
}

void snapshot_close(struct snapshotter *s)
{
    uv_timer_stop(&s->timer);
    pg_close(s->pg); /* a write in flight finishes here, not stored */
    uv_close((uv_handle_t *)&s->timer, on_closed);
}
