/* See writer.h. */
#include "writer.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/sha256.h"
#include "domain/audit.h"
#include "domain/view.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MS 100

/* The batch's columns, each sent as one array parameter. */
enum {
    P_CHANGE_ID,
    P_CHANGE_STATUS,
    P_ID,
    P_SID,
    P_TPS,
    P_CONTEST,
    P_REVISION,
    P_STATUS,
    P_OUTCOME,
    P_CONFIRMS,
    P_TOKEN,
    P_SEQ,
    P_RECEIVED,
    P_CHECKS,
    P_PHOTO,
    P_COUNTS,
    P_VOTES,
    P_RECEIPT,
    P_D_ID,
    P_D_FORM,
    P_D_DECISION,
    P_D_REASON,
    P_D_TOKEN,
    P_D_SEQ,
    P_D_MS,
    P_RECEIPT_FORMAT,
    P_AMENDMENT,
    P_A_KIND,
    P_A_TOKEN,
    P_A_MS,
    P_A_DETAIL,
    P_F_CONTEST,
    P_F_REGION,
    P_F_REASON,
    P_F_TOKEN,
    P_F_MS,
    P_A_REF,
    P_D_RECEIPT,
    N_ARRAYS,
    /* then two plain integers: the claim's generation ($39) and the election
     * epoch ($40, see schema/007_election_life.sql) */
    P_GENERATION = N_ARRAYS,
    P_EPOCH,
    N_PARAMS
};

/* One statement, so one transaction. suara_batch($39) (schema/005) refuses
 * it unless this server's claim still holds, and writes a row of its own: a
 * batch whose rows all exist already (written again after a broken
 * connection) would otherwise write no WAL, and PostgreSQL would commit it
 * without waiting for the synchronous standby - acknowledging forms that may
 * exist only on this primary. */
/* The batch's text in three parts around what the count list (form.h)
 * generates: the column names and one x.n[i] per count. */
static const char batch_sql_head[] =
    "WITH changed AS ("
    " UPDATE forms SET status = c.status"
    " FROM unnest($1::bigint[], $2::text[]) AS c(id, status) WHERE forms.id = c.id"
    " RETURNING 1),"
    " new_forms AS ("
    " INSERT INTO forms (id, submission_id, tps, contest, revision, status, outcome, confirms,"
    " token_id, seq, received_at, checks, photos, receipt_format" FORM_COUNT_COLUMNS
    ", votes, receipt, amendment)"
    " SELECT f.id, f.sid, f.tps, f.contest, f.revision, f.status, f.outcome,"
    " nullif(f.confirms, 0), f.token_id, f.seq, to_timestamp(f.received_ms / 1000.0),"
    " f.checks::text[], f.photos::text[], f.receipt_format";
/* then ", x.n[1]" ... ", x.n[FORM_N_COUNTS]" */
static const char batch_sql_tail[] =
    ", f.votes::smallint[], f.receipt, f.amendment"
    " FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],"
    " $9::text[], $10::bigint[], $11::int[], $12::bigint[], $13::bigint[], $14::text[],"
    " $15::text[], $16::text[], $17::text[], $18::text[], $26::smallint[], $27::text[])"
    " AS f(id, sid, tps, contest, revision, status, outcome, confirms, token_id, seq,"
    " received_ms, checks, photos, counts, votes, receipt, receipt_format, amendment),"
    " LATERAL (SELECT f.counts::smallint[] AS n) AS x"
    " ON CONFLICT (id) DO NOTHING RETURNING 1),"
    " new_decisions AS ("
    " INSERT INTO decisions (id, form_id, decision, reason, token_id, seq, decided_at, receipt)"
    " SELECT d.id, d.form_id, d.decision, d.reason, d.token_id, d.seq,"
    " to_timestamp(d.ms / 1000.0), d.receipt"
    " FROM unnest($19::bigint[], $20::bigint[], $21::text[], $22::text[], $23::int[],"
    " $24::bigint[], $25::bigint[], $38::text[])"
    " AS d(id, form_id, decision, reason, token_id, seq, ms, receipt)"
    " ON CONFLICT (id) DO NOTHING RETURNING 1),"
    " new_finals AS ("
    " INSERT INTO finals (contest, region, reason, token_id, at)"
    " SELECT x.contest, x.region, x.reason, nullif(x.token_id, 0), to_timestamp(x.ms / 1000.0)"
    " FROM unnest($32::text[], $33::text[], $34::text[], $35::int[], $36::bigint[])"
    " AS x(contest, region, reason, token_id, ms)"
    " ON CONFLICT DO NOTHING RETURNING 1),"
    /* A batch retried after an unknown fate must not audit twice: every
     * event the server writes has a unique ref (what it records). */
    " new_audit AS ("
    " INSERT INTO audit (kind, token_id, at, ref, detail)"
    " SELECT a.kind, nullif(a.token_id, 0), to_timestamp(a.ms / 1000.0), a.ref, a.detail::jsonb"
    " FROM unnest($28::text[], $29::int[], $30::bigint[], $37::text[], $31::text[])"
    " AS a(kind, token_id, ms, ref, detail)"
    " ON CONFLICT (ref) DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM new_forms),"
    " (SELECT count(*) FROM new_decisions), (SELECT count(*) FROM new_finals),"
    " (SELECT count(*) FROM new_audit), suara_batch($39::bigint), suara_assert_epoch($40::int)";

static char batch_sql[8192];

const char *writer_batch_sql(void)
{
    if (!batch_sql[0]) {
        struct buf b;
        buf_init_fixed(&b, batch_sql, sizeof batch_sql);
        buf_puts(&b, batch_sql_head);
        for (int i = 1; i <= FORM_N_COUNTS; i++)
            buf_printf(&b, ", x.n[%d]", i);
        buf_puts(&b, batch_sql_tail);
        SU_ASSERT(buf_error(&b) == SU_OK);
    }
    return batch_sql;
}

/* A PostgreSQL array literal under construction. */
struct column {
    struct buf text;
    int n;
};

struct writer {
    struct pg *pg;
    struct ledger *ledger;
    const struct config *cfg;
    void (*on_commit)(void *ctx);
    void *ctx;
    struct op *q_head, *q_tail;
    int q_len;
    struct op *batch; /* sealed, being written (or waiting to be written again) */
    int batch_len;
    bool closing;
    int attempts;
    uv_timer_t flush_timer;
    uv_timer_t sweep_timer;
    int open_handles;
    char generation[24];
    struct pg_job job;
    struct column cols[N_ARRAYS];
    const int *epoch; /* the election epoch this server loaded */
    char epoch_text[16];
};

static void maybe_flush(struct writer *w);

/* ---- array literals ---------------------------------------------------- */

static void col_sep(struct column *c)
{
    buf_puts(&c->text, c->n++ ? "," : "");
}

static void col_int(struct column *c, int64_t v)
{
    col_sep(c);
    buf_printf(&c->text, "%" PRId64, v);
}

static void col_str(struct column *c, const char *s)
{
    col_sep(c);
    buf_puts(&c->text, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_puts(&c->text, "\\");
        buf_append(&c->text, s, 1);
    }
    buf_puts(&c->text, "\"");
}

static void col_null(struct column *c)
{
    col_sep(c);
    buf_puts(&c->text, "NULL");
}

static void cols_reset(struct writer *w)
{
    for (int i = 0; i < N_ARRAYS; i++) {
        buf_reset(&w->cols[i].text);
        buf_puts(&w->cols[i].text, "{");
        w->cols[i].n = 0;
    }
}

/* A batch holds at most batch_max rows of bounded size, far below each
 * column's cap: a full column is a bug, not an input to answer. */
static void cols_finish(struct writer *w)
{
    for (int i = 0; i < N_ARRAYS; i++) {
        buf_puts(&w->cols[i].text, "}");
        SU_ASSERT(buf_error(&w->cols[i].text) == SU_OK);
    }
    snprintf(w->epoch_text, sizeof w->epoch_text, "%d", w->epoch ? *w->epoch : 1);
}

/* ---- building a batch ---------------------------------------------------- */

static void counts_literal(const struct form *f, struct buf *out)
{
    for (int i = 0; i < FORM_N_COUNTS; i++) {
        buf_puts(out, i ? "," : "{");
        buf_put_uint(out, form_count_get(&f->counts, i));
    }
    buf_puts(out, "}");
}

static void add_form_row(struct writer *w, const struct form *f)
{
    const struct registry *reg = w->ledger->reg;
    struct column *c = w->cols;
    char scratch[1024]; /* a form's longest field: 8 photo hashes */
    struct buf tmp;
    buf_init_fixed(&tmp, scratch, sizeof scratch);
    col_int(&c[P_ID], f->id);
    col_str(&c[P_SID], f->submission_id);
    col_str(&c[P_TPS], reg->regions[f->tps].code);
    col_str(&c[P_CONTEST], reg->contests[f->contest].id);
    col_int(&c[P_REVISION], f->revision);
    col_str(&c[P_STATUS], form_status_name(f->status));
    col_str(&c[P_OUTCOME], form_status_name(f->outcome));
    col_int(&c[P_CONFIRMS], f->confirms);
    col_int(&c[P_TOKEN], f->token_id);
    col_int(&c[P_SEQ], f->seq);
    col_int(&c[P_RECEIVED], f->received_ms);
    buf_reset(&tmp);
    buf_puts(&tmp, "{");
    for (int k = 0, n = 0; k < FORM_CHECK_COUNT; k++) {
        if (f->checks & (1u << k))
            buf_printf(&tmp, "%s%s", n++ ? "," : "", form_check_code((enum form_check)k));
    }
    buf_puts(&tmp, "}");
    col_str(&c[P_CHECKS], tmp.data);
    if (f->n_photos) {
        buf_reset(&tmp);
        for (int k = 0; k < f->n_photos; k++)
            buf_printf(&tmp, "%s%s", k ? "," : "{", f->photos[k]);
        buf_puts(&tmp, "}");
        col_str(&c[P_PHOTO], tmp.data);
    } else {
        col_null(&c[P_PHOTO]);
    }
    col_int(&c[P_RECEIPT_FORMAT], f->receipt_format);
    buf_reset(&tmp);
    counts_literal(f, &tmp);
    col_str(&c[P_COUNTS], tmp.data);
    buf_reset(&tmp);
    buf_puts(&tmp, "{");
    for (int k = 0; k < f->n_votes; k++)
        buf_printf(&tmp, "%s%d", k ? "," : "", f->votes[k]);
    buf_puts(&tmp, "}");
    /* Check codes, 21 counts and at most 99 votes of 4 digits: it fits. */
    SU_ASSERT(buf_error(&tmp) == SU_OK);
    col_str(&c[P_VOTES], tmp.data);
    char receipt[65];
    hex_encode(f->receipt, sizeof f->receipt, receipt);
    col_str(&c[P_RECEIPT], receipt);
    if (f->amendment)
        col_str(&c[P_AMENDMENT], f->amendment);
    else
        col_null(&c[P_AMENDMENT]);
}

/* An audit event in the same statement (so the same transaction) as what it
 * records; `detail` is JSON object text, owned by the caller. */
static void add_audit_row(struct writer *w, const char *kind, int32_t token_id, int64_t ms,
                          const char *ref, const char *detail)
{
    struct column *c = w->cols;
    col_str(&c[P_A_KIND], kind);
    col_str(&c[P_A_REF], ref);
    col_int(&c[P_A_TOKEN], token_id);
    col_int(&c[P_A_MS], ms);
    col_str(&c[P_A_DETAIL], detail ? detail : "{}");
}

static void add_final_row(struct writer *w, const struct final_req *fr)
{
    const struct registry *reg = w->ledger->reg;
    struct column *c = w->cols;
    col_str(&c[P_F_CONTEST], reg->contests[fr->contest].id);
    col_str(&c[P_F_REGION], reg->regions[fr->region].code);
    col_str(&c[P_F_REASON], fr->reason);
    col_int(&c[P_F_TOKEN], fr->token_id);
    col_int(&c[P_F_MS], fr->at_ms);
    char ref[80];
    snprintf(ref, sizeof ref, "finalize:%s/%s", reg->contests[fr->contest].id,
             reg->regions[fr->region].code);
    add_audit_row(w, "finalize", fr->token_id, fr->at_ms, ref, fr->answer);
}

/* The audit rows of what an op records: a decision, an amendment. */
static void add_op_audit(struct writer *w, const struct op *op)
{
    const struct registry *reg = w->ledger->reg;
    char *detail = NULL, ref[80];
    if (op->kind == OP_FORM && op->form->amendment) {
        detail = audit_detail_amendment(reg, op->form);
        snprintf(ref, sizeof ref, "amendment:%lld", (long long)op->form->id);
        add_audit_row(w, "amendment", op->form->token_id, op->form->received_ms, ref, detail);
    } else if (op->kind == OP_DECISION) {
        const struct decision *d = op->form->decision;
        detail = audit_detail_decision(reg, op->form);
        snprintf(ref, sizeof ref, "decision:%lld", (long long)d->id);
        add_audit_row(w, "decision", d->token_id, d->decided_ms, ref, detail);
    }
    free(detail);
}

static void add_decision_row(struct writer *w, const struct form *f)
{
    const struct decision *d = f->decision;
    struct column *c = w->cols;
    col_int(&c[P_D_ID], d->id);
    col_int(&c[P_D_FORM], f->id);
    col_str(&c[P_D_DECISION], d->count ? "count" : "reject");
    col_str(&c[P_D_REASON], d->reason);
    col_int(&c[P_D_TOKEN], d->token_id);
    col_int(&c[P_D_SEQ], d->seq);
    col_int(&c[P_D_MS], d->decided_ms);
    char receipt[65];
    hex_encode(d->receipt, sizeof d->receipt, receipt);
    col_str(&c[P_D_RECEIPT], receipt);
}

/* Rows are added after every op is decided, so each new form goes in with its
 * final status, and status changes are sent only for forms already stored. */
static void build_params(struct writer *w)
{
    cols_reset(w);
    for (struct op *op = w->batch; op; op = op->next) {
        if (op->refused_status)
            continue;
        for (int i = 0; i < op->n_changes; i++) {
            col_int(&w->cols[P_CHANGE_ID], op->changes[i].form->id);
            col_str(&w->cols[P_CHANGE_STATUS], form_status_name(op->changes[i].form->status));
        }
        if (op->kind == OP_FORM)
            add_form_row(w, op->form);
        else if (op->kind == OP_DECISION)
            add_decision_row(w, op->form);
        else if (op->kind == OP_FINALIZE)
            add_final_row(w, op->final);
        else
            add_audit_row(w, op->audit->kind, op->audit->token_id, op->audit->at_ms, op->audit->ref,
                          op->audit->detail);
        add_op_audit(w, op);
    }
    cols_finish(w);
}

static void seal(struct writer *w)
{
    struct op **tail = &w->batch;
    w->batch_len = 0;
    while (w->q_head && w->batch_len < w->cfg->batch_max) {
        struct op *op = w->q_head;
        w->q_head = op->next;
        op->next = NULL;
        w->q_len--;
        if (op->kind == OP_FORM)
            ledger_decide_form(w->ledger, op);
        else if (op->kind == OP_DECISION)
            ledger_decide_review(w->ledger, op);
        else if (op->kind == OP_FINALIZE)
            ledger_decide_finalize(w->ledger, op);
        *tail = op;
        tail = &op->next;
        w->batch_len++;
    }
    if (!w->q_head)
        w->q_tail = NULL;
    g_metrics.queue_depth = w->q_len;
    w->attempts = 0;
    build_params(w);
}

/* ---- the pg job ------------------------------------------------------------ */

static int job_start(struct pg_job *job, PGconn *conn)
{
    struct writer *w = (struct writer *)((char *)job - offsetof(struct writer, job));
    const char *values[N_PARAMS];
    for (int i = 0; i < N_ARRAYS; i++)
        values[i] = w->cols[i].text.data;
    values[P_GENERATION] = w->generation;
    values[P_EPOCH] = w->epoch_text;
    w->attempts++;
    return PQsendQueryParams(conn, writer_batch_sql(), N_PARAMS, NULL, values, NULL, NULL, 0) ? 0
                                                                                              : -1;
}

static enum pg_step job_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_results(job, conn);
}

static void answer(struct op *op, int status, const char *body)
{
    size_t len = strlen(body);
    while (op->waiters) {
        struct waiter *wt = op->waiters;
        op->waiters = wt->next;
        wt->done(wt, status ? status : wt->ok_status, body, len);
    }
}

static void count_outcome(const struct form *f)
{
    static const int metric[] = {[FS_COUNTED] = METRIC_OUTCOME_COUNTED,
                                 [FS_HELD] = METRIC_OUTCOME_HELD,
                                 [FS_DISPUTED] = METRIC_OUTCOME_DISPUTED,
                                 [FS_CONFIRMATION] = METRIC_OUTCOME_CONFIRMATION};
    g_metrics.forms_by_outcome[metric[f->outcome]]++;
}

static const char *refusal_message(const char *code)
{
    if (strcmp(code, "region_final") == 0)
        return "the result of this region is final; only an admin's amendment can change it";
    if (strcmp(code, "already_final") == 0)
        return "the result of this region is already final in this contest";
    return "the form is no longer waiting for review";
}

static void reply_committed(struct writer *w, struct op *op, int64_t now)
{
    const struct registry *reg = w->ledger->reg;
    char *body;
    if (op->refused_status) {
        body = view_error(op->refused_code, refusal_message(op->refused_code), NULL);
        answer(op, op->refused_status, body);
        free(body);
        return;
    }
    if (op->kind == OP_AUDIT)
        return;
    if (op->kind == OP_FINALIZE) {
        answer(op, 0, op->final->answer);
        return;
    }
    if (op->kind == OP_FORM) {
        count_outcome(op->form);
        histogram_observe(&g_metrics.ack_seconds, (double)(now - op->form->received_ms) / 1000.0);
        body = view_receipt(reg, op->form);
    } else {
        body = view_json(view_form(reg, w->ledger, op->form));
    }
    answer(op, 0, body);
    free(body);
}

/* After COMMIT: the batch's forms are marked committed and the tallies moved
 * first (the next batch's decisions need to know what is stored), then the
 * next batch is sent, and only then are the answers encoded and queued - so
 * PostgreSQL works on batch n+1 while this loop answers batch n. */
static void commit_batch(struct writer *w)
{
    int64_t now = clock_now_ms();
    g_metrics.db_commits++;
    histogram_observe(&g_metrics.batch_size, w->batch_len);
    struct op *done = w->batch;
    w->batch = NULL;
    w->batch_len = 0;
    for (struct op *op = done; op; op = op->next)
        ledger_commit(w->ledger, op);
    maybe_flush(w);
    while (done) {
        struct op *op = done;
        done = op->next;
        reply_committed(w, op, now);
        op_free(op);
    }
    if (w->on_commit)
        w->on_commit(w->ctx);
}

static void answer_unavailable(struct op *op, const char *code)
{
    char *body = view_error(code, "not acknowledged; retry with the same submission_id", NULL);
    answer(op, 503, body);
    free(body);
}

static void job_finish(struct pg_job *job, bool ok)
{
    struct writer *w = (struct writer *)((char *)job - offsetof(struct writer, job));
    if (ok) {
        commit_batch(w);
        return;
    }
    if (w->closing) {
        for (struct op *op = w->batch; op; op = op->next)
            answer_unavailable(op, "shutting_down");
        return;
    }
    /* Unknown fate: keep the batch and write it again on the next
     * connection; the submitters time out (503) and retry meanwhile. */
    log_warn("batch_retry", "ops=%d attempts=%d", w->batch_len, w->attempts);
    pg_submit(w->pg, &w->job);
}

/* ---- queueing ---------------------------------------------------------------- */

static void start_batch(struct writer *w)
{
    uv_timer_stop(&w->flush_timer);
    seal(w);
    pg_submit(w->pg, &w->job);
}

static void on_flush_timer(uv_timer_t *t)
{
    struct writer *w = t->data;
    if (!w->batch && w->q_head)
        start_batch(w);
}

static void maybe_flush(struct writer *w)
{
    if (w->batch || !w->q_head || w->closing)
        return;
    if (w->q_len >= w->cfg->batch_max || w->cfg->batch_delay_ms == 0) {
        start_batch(w);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&w->flush_timer))
        uv_timer_start(&w->flush_timer, on_flush_timer, (uint64_t)w->cfg->batch_delay_ms, 0);
}

int writer_enqueue(struct writer *w, struct op *op)
{
    if (w->closing || w->q_len >= w->cfg->queue_max)
        return SU_TOOBIG;
    op->next = NULL;
    if (w->q_tail)
        w->q_tail->next = op;
    else
        w->q_head = op;
    w->q_tail = op;
    w->q_len++;
    g_metrics.queue_depth = w->q_len;
    maybe_flush(w);
    return SU_OK;
}

void writer_set_epoch(struct writer *w, const int *epoch)
{
    w->epoch = epoch;
}

bool writer_idle(const struct writer *w)
{
    return !w->q_head && !w->batch;
}

/* Submitters whose deadline passed get 503; the op itself stays queued. */
static void sweep_op(struct op *op, int64_t now)
{
    struct waiter **pp = &op->waiters;
    while (*pp) {
        struct waiter *wt = *pp;
        if (wt->deadline_ms > now) {
            pp = &wt->next;
            continue;
        }
        *pp = wt->next;
        char *body = view_error("ack_timeout",
                                "the database did not confirm in time; retry with "
                                "the same submission_id",
                                NULL);
        wt->done(wt, 503, body, strlen(body));
        free(body);
    }
}

static void on_sweep(uv_timer_t *t)
{
    struct writer *w = t->data;
    int64_t now = clock_mono_ms(); /* waiters' deadlines are monotonic */
    for (struct op *op = w->batch; op; op = op->next)
        sweep_op(op, now);
    for (struct op *op = w->q_head; op; op = op->next)
        sweep_op(op, now);
}

struct writer *writer_new(uv_loop_t *loop, struct pg *pg, struct ledger *ledger,
                          const struct config *cfg, int64_t claim_generation,
                          void (*on_commit)(void *ctx), void *ctx)
{
    struct writer *w = xcalloc(1, sizeof *w);
    if (!w)
        return NULL;
    snprintf(w->generation, sizeof w->generation, "%" PRId64, claim_generation);
    w->pg = pg;
    w->ledger = ledger;
    w->cfg = cfg;
    w->on_commit = on_commit;
    w->ctx = ctx;
    w->job.start = job_start;
    w->job.step = job_step;
    w->job.finish = job_finish;
    for (int i = 0; i < N_ARRAYS; i++)
        buf_init(&w->cols[i].text, (size_t)1 << 30);
    uv_timer_init(loop, &w->flush_timer);
    uv_timer_init(loop, &w->sweep_timer);
    w->flush_timer.data = w->sweep_timer.data = w;
    w->open_handles = 2;
    uv_timer_start(&w->sweep_timer, on_sweep, SWEEP_MS, SWEEP_MS);
    return w;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct writer *w = h->data;
    if (--w->open_handles > 0)
        return;
    for (int i = 0; i < N_ARRAYS; i++)
        buf_free(&w->cols[i].text);
    free(w);
}

static void free_queued(struct writer *w)
{
    while (w->q_head) {
        struct op *op = w->q_head;
        w->q_head = op->next;
        answer_unavailable(op, "shutting_down");
        if (op->kind == OP_FORM)
            form_discard(op->form, op);
        else
            op_free(op);
    }
    w->q_tail = NULL;
    w->q_len = 0;
}

void writer_close(struct writer *w)
{
    w->closing = true;
    free_queued(w);
    /* A batch still in flight is finished by pg_close (ok=false). */
    while (w->batch) {
        struct op *op = w->batch;
        w->batch = op->next;
        answer_unavailable(op, "shutting_down");
        op_free(op);
    }
    uv_close((uv_handle_t *)&w->flush_timer, on_handle_closed);
    uv_close((uv_handle_t *)&w->sweep_timer, on_handle_closed);
}
