/* See writer.h. */
#include "writer.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/sha256.h"
#include "domain/audit.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* then plain integers: the claim's generation ($39), the election epoch
     * ($40, see schema/007_election_life.sql), the batch's number in the
     * claim ($41) and the number of the last batch seen to commit when it is
     * sent ($42, both schema/012_writer_pipeline.sql) */
    P_GENERATION = N_ARRAYS,
    P_EPOCH,
    P_NUMBER,
    P_ACKED,
    N_PARAMS
};

/* One statement, so one transaction. suara_batch($39, $41, $42) (schema/012)
 * refuses it unless this server's claim still holds and the batch before it
 * committed, and writes a row of its own: a batch whose rows all exist
 * already (written again after a broken connection) would otherwise write no
 * WAL, and PostgreSQL would commit it without waiting for the synchronous
 * standby - acknowledging forms that may exist only on this primary. */
/* The batch's text in three parts around what the count list (form.h)
 * generates: the column names and one x.n[i] per count. */
/* The status changes are the one part that is not idempotent: a batch k
 * written again after a broken connection, when k and k+1 had both
 * committed, would set back what k+1 changed (a held form counted by a
 * decision in k, then superseded by its witness's correction in k+1). So
 * they apply only while the counter is below k, as the statement's snapshot
 * sees it (the batches before it on this connection have committed): at k
 * or past it, this batch is known to have committed already. */
static const char batch_sql_head[] =
    "WITH changed AS ("
    " UPDATE forms SET status = c.status"
    " FROM unnest($1::bigint[], $2::text[]) AS c(id, status) WHERE forms.id = c.id"
    " AND (SELECT w.batches FROM writer_claim w WHERE w.generation = $39::bigint) < $41::bigint"
    " RETURNING 1),"
    " new_forms AS ("
    " INSERT INTO forms (id, submission_id, tps, contest, revision, status, outcome, confirms,"
    " token_id, seq, received_at, checks, photos, receipt_format" FORM_COUNT_COLUMNS
    ", votes, receipt, amendment)"
    " SELECT f.id, f.sid, f.tps, f.contest, f.revision, f.status, f.outcome,"
    " nullif(f.confirms, 0), f.token_id, f.seq, to_timestamp(f.received_ms / 1000.0),"
    " f.checks::text[], f.photos::text[], f.receipt_format";
/* then ", $16[f.ord][1]" ... ", $16[f.ord][FORM_N_COUNTS]": $16 is one
 * two-dimensional smallint array, a row of counts per form */
static const char batch_sql_tail[] =
    ", f.votes::smallint[], f.receipt, f.amendment"
    " FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],"
    " $9::text[], $10::bigint[], $11::int[], $12::bigint[], $13::bigint[], $14::text[],"
    " $15::text[], $17::text[], $18::text[], $26::smallint[], $27::text[]) WITH ORDINALITY"
    " AS f(id, sid, tps, contest, revision, status, outcome, confirms, token_id, seq,"
    " received_ms, checks, photos, votes, receipt, receipt_format, amendment, ord)";
/* then, for a batch sent again, the clause that makes its forms a no-op if
 * they committed the first time; a batch's first send has none, since its
 * forms cannot exist yet: an INSERT that may conflict costs PostgreSQL an
 * index probe before and a WAL record after each row. Should a row exist
 * after all, its unique index fails the batch, which is sent again with it. */
static const char batch_sql_retry[] = " ON CONFLICT (id) DO NOTHING";
static const char batch_sql_rest[] =
    " RETURNING 1),"
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
    " (SELECT count(*) FROM new_audit), suara_batch($39::bigint, $41::bigint, $42::bigint),"
    " suara_assert_epoch($40::int)";

static char batch_sql[2][8192]; /* [retry] */

/* The batch's text, built once from the count list of form.h: as first
 * sent, or as sent again after an unknown fate (retry). */
static const char *writer_batch_sql(bool retry)
{
    char *sql = batch_sql[retry];
    if (!sql[0]) {
        struct buf b;
        buf_init_fixed(&b, sql, sizeof batch_sql[0]);
        buf_puts(&b, batch_sql_head);
        for (int i = 1; i <= FORM_N_COUNTS; i++)
            buf_printf(&b, ", $%d[f.ord][%d]", P_COUNTS + 1, i);
        buf_puts(&b, batch_sql_tail);
        if (retry)
            buf_puts(&b, batch_sql_retry);
        buf_puts(&b, batch_sql_rest);
        SU_ASSERT(buf_error(&b) == SU_OK);
    }
    return sql;
}

/* A PostgreSQL array in its binary format (array_recv), under construction:
 * the header's room, then each element as a 4-byte length (-1: NULL) and
 * its bytes, big-endian for numbers. Binary parameters spare PostgreSQL the
 * parsing of text array literals, which took a quarter of its CPU per form
 * (docs/benchmarks.md). */
struct column {
    struct buf bytes;
    int n;         /* elements */
    int width;     /* 0 for text, else the integer's bytes: 2, 4 or 8 */
    int row_width; /* > 0: a two-dimensional array of rows of this many */
    bool has_null;
};

/* The element types, as pg_type's oids (catalog/pg_type_d.h is a server
 * header), and their array types. */
enum {
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_INT2_ARRAY = 1005,
    OID_INT4_ARRAY = 1007,
    OID_TEXT_ARRAY = 1009,
    OID_INT8_ARRAY = 1016
};

/* Each column's integer width (0: text), by its SQL type in the batch. */
static const int column_width[N_ARRAYS] = {
    [P_CHANGE_ID] = 8, [P_ID] = 8,       [P_REVISION] = 4, [P_CONFIRMS] = 8, [P_TOKEN] = 4,
    [P_SEQ] = 8,       [P_RECEIVED] = 8, [P_COUNTS] = 2,   [P_D_ID] = 8,     [P_D_FORM] = 8,
    [P_D_TOKEN] = 4,   [P_D_SEQ] = 8,    [P_D_MS] = 8,     [P_A_TOKEN] = 4,  [P_RECEIPT_FORMAT] = 2,
    [P_A_MS] = 8,      [P_F_TOKEN] = 4,  [P_F_MS] = 8,
};

#define ARRAY_HEADER_MAX 28 /* ndim, flags, element type, two (size, lower bound) */

/* A sealed batch handed to the writer, from writer_write until its COMMIT:
 * sent, or waiting on the connection to be sent (again). Its parameters are
 * built once, so a batch written again is the same batch. */
struct batch {
    struct writer *w;
    struct op *ops;
    int n;
    int64_t number; /* k in suara_batch(g, k): 1 for the claim's first batch */
    int attempts;
    struct pg_job job;
    struct column cols[N_ARRAYS];
    char epoch_text[16], number_text[24], acked_text[24];
    /* the statement's parameters: binary arrays, then four integers as text */
    const char *values[N_PARAMS];
    int lengths[N_PARAMS], formats[N_PARAMS];
};

struct writer {
    struct pg *pg; /* the writer's own connection, in pipeline mode */
    const struct registry *reg;
    struct writer_sink sink;
    void *ctx;
    /* The batches not yet committed, oldest first from slots[first]: they
     * commit, and are reported, in this order. */
    struct batch slots[WRITER_DEPTH];
    int first, n, depth;
    int64_t next_number;
    int64_t acked; /* the number of the last batch seen to commit */
    bool closing;
    struct pg_job setup; /* prepares the batch statement, first on each connection */
    char generation[24];
    const int *epoch; /* the election epoch this server loaded */
};

/* ---- binary arrays ----------------------------------------------------- */

static void put_be(struct buf *b, uint64_t v, int width)
{
    unsigned char out[8];
    for (int i = 0; i < width; i++)
        out[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
    buf_append(b, out, (size_t)width);
}

static void col_int(struct column *c, int64_t v)
{
    SU_ASSERT(c->width > 0);
    c->n++;
    put_be(&c->bytes, (uint64_t)c->width, 4);
    put_be(&c->bytes, (uint64_t)v, c->width);
}

static void col_str(struct column *c, const char *s)
{
    SU_ASSERT(c->width == 0);
    size_t len = strlen(s);
    c->n++;
    put_be(&c->bytes, len, 4);
    buf_append(&c->bytes, s, len);
}

static void col_null(struct column *c)
{
    c->n++;
    c->has_null = true;
    put_be(&c->bytes, UINT32_MAX, 4); /* -1 */
}

static void col_reset(struct column *c, int width, int row_width)
{
    static const char room[ARRAY_HEADER_MAX];
    buf_reset(&c->bytes);
    buf_append(&c->bytes, room, sizeof room);
    c->n = 0;
    c->width = width;
    c->row_width = row_width;
    c->has_null = false;
}

static uint32_t col_elem_oid(const struct column *c)
{
    return c->width == 8   ? OID_INT8
           : c->width == 4 ? OID_INT4
           : c->width == 2 ? OID_INT2
                           : OID_TEXT;
}

/* Writes the header in front of the elements; *data and *len are what goes
 * to PostgreSQL. An empty array is the bare 12-byte header (no dimension):
 * PostgreSQL refuses a parameter with bytes left over. */
static void col_finish(struct column *c, const char **data, int *len)
{
    SU_ASSERT(buf_error(&c->bytes) == SU_OK);
    int ndim = c->n == 0 ? 0 : c->row_width > 0 ? 2 : 1;
    size_t header = 12 + 8 * (size_t)ndim;
    struct buf h;
    char *at = c->bytes.data + ARRAY_HEADER_MAX - header;
    buf_init_fixed(&h, at, header + 1);
    char keep = at[header]; /* buf_init_fixed and put_be end with a NUL */
    put_be(&h, (uint64_t)ndim, 4);
    put_be(&h, c->has_null, 4);
    put_be(&h, col_elem_oid(c), 4);
    if (ndim == 2) {
        SU_ASSERT(c->n % c->row_width == 0);
        put_be(&h, (uint64_t)(c->n / c->row_width), 4);
        put_be(&h, 1, 4);
        put_be(&h, (uint64_t)c->row_width, 4);
        put_be(&h, 1, 4);
    } else if (ndim == 1) {
        put_be(&h, (uint64_t)c->n, 4);
        put_be(&h, 1, 4);
    }
    SU_ASSERT(buf_error(&h) == SU_OK && h.len == header);
    at[header] = keep;
    *data = at;
    *len = (int)(c->bytes.len - (ARRAY_HEADER_MAX - header));
}

/* The statement's parameter types: each column's array type, then the four
 * integers untyped (the statement casts them). */
static const unsigned int *param_types(void)
{
    static unsigned int types[N_PARAMS];
    for (int i = 0; i < N_ARRAYS; i++)
        types[i] = column_width[i] == 8   ? OID_INT8_ARRAY
                   : column_width[i] == 4 ? OID_INT4_ARRAY
                   : column_width[i] == 2 ? OID_INT2_ARRAY
                                          : OID_TEXT_ARRAY;
    return types;
}

static void cols_reset(struct batch *b)
{
    for (int i = 0; i < N_ARRAYS; i++)
        col_reset(&b->cols[i], column_width[i], i == P_COUNTS ? FORM_N_COUNTS : 0);
}

/* A batch holds at most batch_max rows of bounded size, far below each
 * column's cap: a full column is a bug, not an input to answer. */
static void cols_finish(struct writer *w, struct batch *b)
{
    for (int i = 0; i < N_ARRAYS; i++) {
        col_finish(&b->cols[i], &b->values[i], &b->lengths[i]);
        b->formats[i] = 1;
    }
    snprintf(b->epoch_text, sizeof b->epoch_text, "%d", w->epoch ? *w->epoch : 1);
    snprintf(b->number_text, sizeof b->number_text, "%" PRId64, b->number);
    b->values[P_GENERATION] = w->generation;
    b->values[P_EPOCH] = b->epoch_text;
    b->values[P_NUMBER] = b->number_text;
    b->values[P_ACKED] = b->acked_text; /* set by job_start */
}

/* ---- building a batch ---------------------------------------------------- */

/* The form's row of the two-dimensional counts array, in the list's order. */
static void counts_row(const struct form *f, struct column *c)
{
    for (int i = 0; i < FORM_N_COUNTS; i++)
        col_int(c, form_count_get(&f->counts, i));
}

static void add_form_row(const struct registry *reg, struct column *c, const struct form *f)
{
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
    counts_row(f, &c[P_COUNTS]);
    buf_reset(&tmp);
    buf_puts(&tmp, "{");
    for (int k = 0; k < f->n_votes; k++)
        buf_printf(&tmp, "%s%d", k ? "," : "", f->votes[k]);
    buf_puts(&tmp, "}");
    /* At most 99 votes of 4 digits: it fits. */
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
static void add_audit_row(struct column *c, const char *kind, int32_t token_id, int64_t ms,
                          const char *ref, const char *detail)
{
    col_str(&c[P_A_KIND], kind);
    col_str(&c[P_A_REF], ref);
    col_int(&c[P_A_TOKEN], token_id);
    col_int(&c[P_A_MS], ms);
    col_str(&c[P_A_DETAIL], detail ? detail : "{}");
}

static void add_final_row(const struct registry *reg, struct column *c, const struct final_req *fr)
{
    col_str(&c[P_F_CONTEST], reg->contests[fr->contest].id);
    col_str(&c[P_F_REGION], reg->regions[fr->region].code);
    col_str(&c[P_F_REASON], fr->reason);
    col_int(&c[P_F_TOKEN], fr->token_id);
    col_int(&c[P_F_MS], fr->at_ms);
    char ref[80];
    snprintf(ref, sizeof ref, "finalize:%s/%s", reg->contests[fr->contest].id,
             reg->regions[fr->region].code);
    add_audit_row(c, "finalize", fr->token_id, fr->at_ms, ref, fr->answer);
}

/* The audit rows of what an op records: a decision, an amendment. */
static void add_op_audit(const struct registry *reg, struct column *c, const struct op *op)
{
    char *detail = NULL, ref[80];
    if (op->kind == OP_FORM && op->form->amendment) {
        detail = audit_detail_amendment(reg, op->form);
        snprintf(ref, sizeof ref, "amendment:%lld", (long long)op->form->id);
        add_audit_row(c, "amendment", op->form->token_id, op->form->received_ms, ref, detail);
    } else if (op->kind == OP_DECISION) {
        const struct decision *d = op->form->decision;
        detail = audit_detail_decision(reg, op->form);
        snprintf(ref, sizeof ref, "decision:%lld", (long long)d->id);
        add_audit_row(c, "decision", d->token_id, d->decided_ms, ref, detail);
    }
    free(detail);
}

static void add_decision_row(struct column *c, const struct form *f)
{
    const struct decision *d = f->decision;
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

/* Rows are added after every op of the batch is decided, so each new form
 * goes in with its final status in this batch (a form changed twice in it
 * gets one UPDATE value), and status changes are sent only for forms stored
 * or written by an earlier batch. Built at writer_write, before the next
 * batch is decided: what it changes goes in that batch's UPDATE. */
static void build_params(struct writer *w, struct batch *b)
{
    struct column *c = b->cols;
    cols_reset(b);
    for (struct op *op = b->ops; op; op = op->next) {
        if (op->refused)
            continue;
        for (int i = 0; i < op->n_changes; i++) {
            col_int(&c[P_CHANGE_ID], op->changes[i].form->id);
            col_str(&c[P_CHANGE_STATUS], form_status_name(op->changes[i].form->status));
        }
        if (op->kind == OP_FORM)
            add_form_row(w->reg, c, op->form);
        else if (op->kind == OP_DECISION)
            add_decision_row(c, op->form);
        else if (op->kind == OP_FINALIZE)
            add_final_row(w->reg, c, op->final);
        else
            add_audit_row(c, op->audit->kind, op->audit->token_id, op->audit->at_ms, op->audit->ref,
                          op->audit->detail);
        add_op_audit(w->reg, c, op);
    }
    cols_finish(w, b);
}

/* ---- the pg jobs ----------------------------------------------------------- */

static struct batch *batch_of(struct pg_job *job)
{
    return (struct batch *)((char *)job - offsetof(struct batch, job));
}

/* The batch statement is prepared once a session, with a generic plan:
 * parsing, analysing and planning it took 9-13 % of PostgreSQL's CPU a
 * batch, most of it at the small batches of an ordinary rate. A generic
 * plan made while `forms` is small could join the status changes to it by
 * a hash join over a sequential scan and keep that plan all night, so this
 * connection, which runs nothing else, plans only nested loops over
 * indexes: a status change is one primary-key lookup whatever the table's
 * size. The plan's cost then counts the sequential scan of the one-row
 * writer_claim as disabled, far above jit_above_cost: without jit = off
 * every batch would be compiled, 0.8 s each. A job of its own ahead of the
 * batches on every new connection, as photo_pg.c prepares its put; should
 * it fail, the connection drops and the next one prepares again. */
static const char session_sql[] =
    "SELECT set_config('plan_cache_mode', 'force_generic_plan', false),"
    " set_config('enable_seqscan', 'off', false), set_config('enable_hashjoin', 'off', false),"
    " set_config('enable_mergejoin', 'off', false), set_config('jit', 'off', false)";
static const char *const batch_statement[2] = {"suara_batch", "suara_batch_retry"};

static int setup_start(struct pg_job *job, PGconn *conn)
{
    (void)job;
    if (!PQsendQueryParams(conn, session_sql, 0, NULL, NULL, NULL, NULL, 0))
        return -1;
    for (int retry = 0; retry < 2; retry++) {
        if (!PQsendPrepare(conn, batch_statement[retry], writer_batch_sql(retry), N_PARAMS,
                           param_types()))
            return -1;
    }
    return PQpipelineSync(conn) ? 0 : -1;
}

static enum pg_step setup_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_pipeline(job, conn);
}

static void setup_finish(struct pg_job *job, bool ok)
{
    struct writer *w = (struct writer *)((char *)job - offsetof(struct writer, setup));
    if (!ok && !w->closing)
        log_warn("writer_prepare_failed", "statement=%s", batch_statement[0]);
}

/* Connected (again): the setup goes first. It starts at once (nothing runs
 * on a connection just up), so it is never still queued at the next one. */
static void on_writer_up(void *ctx)
{
    struct writer *w = ctx;
    pg_submit_first(w->pg, &w->setup);
}

static int job_start(struct pg_job *job, PGconn *conn)
{
    struct batch *b = batch_of(job);
    struct writer *w = b->w;
    b->attempts++;
    /* What the database may take on this server's word: the batches it saw
     * commit (see suara_batch). */
    snprintf(b->acked_text, sizeof b->acked_text, "%" PRId64, w->acked);
    if (!PQsendQueryPrepared(conn, batch_statement[b->attempts > 1], N_PARAMS, b->values,
                             b->lengths, b->formats, 0))
        return -1;
    /* Its own sync, so its own implicit transaction: it commits (or fails)
     * alone, before the next batch in the pipeline runs. */
    return PQpipelineSync(conn) ? 0 : -1;
}

static enum pg_step job_step(struct pg_job *job, PGconn *conn)
{
    return pg_drain_pipeline(job, conn);
}

static struct batch *oldest(struct writer *w)
{
    return &w->slots[w->first];
}

static void job_finish(struct pg_job *job, bool ok)
{
    struct batch *b = batch_of(job);
    struct writer *w = b->w;
    if (w->closing) /* the batch went back to its owner in writer_close */
        return;
    if (!ok) {
        /* Unknown fate, or refused because the one before it failed: keep
         * the batch and write it again on the next connection, after the
         * batches before it (the connection finishes them in order);
         * sent again, its ON CONFLICT makes it a no-op if it had committed. */
        log_warn("batch_retry", "batch=%" PRId64 " ops=%d attempts=%d", b->number, b->n,
                 b->attempts);
        pg_submit(w->pg, &b->job);
        return;
    }
    /* A pipeline returns its results in the order it was sent. */
    SU_ASSERT(b == oldest(w));
    w->acked = b->number;
    g_metrics.db_commits++;
    histogram_observe(&g_metrics.batch_size, b->n);
    struct op *done = b->ops;
    int n = b->n;
    b->ops = NULL;
    b->n = 0;
    w->first = (w->first + 1) % WRITER_DEPTH;
    w->n--;
    g_metrics.writer_in_flight = w->n;
    w->sink.committed(w->ctx, done, n);
}

void writer_write(struct writer *w, struct op *batch, int n)
{
    SU_ASSERT(w->n < w->depth && !w->closing);
    struct batch *b = &w->slots[(w->first + w->n) % WRITER_DEPTH];
    if (w->n > 0)
        g_metrics.writer_pipelined++;
    w->n++;
    g_metrics.writer_in_flight = w->n;
    b->ops = batch;
    b->n = n;
    b->number = w->next_number++;
    b->attempts = 0;
    build_params(w, b);
    pg_submit(w->pg, &b->job);
}

void writer_set_epoch(struct writer *w, const int *epoch)
{
    w->epoch = epoch;
}

bool writer_full(const struct writer *w)
{
    return w->n == w->depth;
}

struct writer *writer_new(uv_loop_t *loop, const char *conninfo, int depth,
                          const struct registry *reg, int64_t claim_generation,
                          const struct writer_sink *sink, void *ctx)
{
    SU_ASSERT(depth >= 1 && depth <= WRITER_DEPTH);
    struct writer *w = xcalloc(1, sizeof *w);
    const struct pg_events events = {.up = on_writer_up, .ctx = w};
    snprintf(w->generation, sizeof w->generation, "%" PRId64, claim_generation);
    w->depth = depth;
    w->setup.start = setup_start;
    w->setup.step = setup_step;
    w->setup.finish = setup_finish;
    w->pg = pg_new_pipeline(loop, conninfo, &events, WRITER_DEPTH);
    w->reg = reg;
    w->sink = *sink;
    w->ctx = ctx;
    w->next_number = 1; /* suara_claim set the counter to 0 */
    for (int k = 0; k < WRITER_DEPTH; k++) {
        struct batch *b = &w->slots[k];
        b->w = w;
        b->job.start = job_start;
        b->job.step = job_step;
        b->job.finish = job_finish;
        for (int i = 0; i < N_ARRAYS; i++)
            buf_init(&b->cols[i].bytes, (size_t)1 << 30);
    }
    pg_start(w->pg);
    return w;
}

struct op *writer_close(struct writer *w)
{
    struct op *ops = NULL, **tail = &ops;
    for (int i = 0; i < w->n; i++) {
        struct batch *b = &w->slots[(w->first + i) % WRITER_DEPTH];
        *tail = b->ops;
        while (*tail)
            tail = &(*tail)->next;
        b->ops = NULL;
    }
    w->n = 0;
    g_metrics.writer_in_flight = 0;
    w->closing = true;
    pg_close(w->pg); /* finishes every job (ok=false) at once; frees pg later */
    for (int k = 0; k < WRITER_DEPTH; k++)
        for (int i = 0; i < N_ARRAYS; i++)
            buf_free(&w->slots[k].cols[i].bytes);
    free(w);
    return ops;
}
