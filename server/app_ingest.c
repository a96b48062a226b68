/* See app_ingest.h. An op is allocated here as the first member of a struct
 * ingest_op, which also holds the requests waiting for it, so a retry finds
 * them through the form's pending_op and op_free frees the whole. The queue
 * and the batches being written are the only places ops live until their
 * answers go out, which is what the acknowledgement sweep walks. */
#include "app_ingest.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "db/review_store.h"
#include "db/writer.h"
#include "domain/review_view.h"
#include "domain/view.h"

#include <stdlib.h>
#include <string.h>

#define SWEEP_MS 100
/* A second batch goes out only while the one in flight is smaller than this
 * (see next_batch_due). */
#define PIPELINE_MAX_OPS 128

struct ingest_op {
    struct op op; /* first: an op is its ingest_op */
    struct waiter *waiters;
};

struct ingest {
    const struct config *cfg;
    struct ledger *ledger;
    struct writer *writer;
    struct op *q_head, *q_tail;
    int q_len;
    /* Sealed and handed to the writer, not yet committed, oldest first: the
     * first ops of each batch (batches[i] for i < n_batches). */
    struct op *batches[WRITER_DEPTH];
    int batch_len[WRITER_DEPTH]; /* their ops */
    int n_batches;
    bool closing;
    uv_timer_t flush_timer, sweep_timer;
    int open_handles;
};

static struct ingest_op *item_of(struct op *op)
{
    return (struct ingest_op *)op;
}

static void maybe_seal(struct ingest *ing);

/* ---- answers --------------------------------------------------------------- */

/* Every waiter of op gets status (0: its own ok_status) and body. */
static void answer(struct op *op, int status, const char *body)
{
    struct ingest_op *it = item_of(op);
    size_t len = strlen(body);
    while (it->waiters) {
        struct waiter *w = it->waiters;
        it->waiters = w->next;
        w->done(w, status ? status : w->ok_status, body, len);
    }
}

static void answer_one(struct waiter *w, int status, char *body)
{
    w->done(w, status, body, strlen(body));
    free(body);
}

static void answer_unavailable(struct op *op, const char *code)
{
    char *body = view_error(code, "not acknowledged; retry with the same submission_id", NULL);
    answer(op, 503, body);
    free(body);
}

/* A write refused before it was queued: nothing was stored. */
static void refuse_now(struct waiter *w, int rc)
{
    g_metrics.forms_by_outcome[METRIC_OUTCOME_UNAVAILABLE_503]++;
    if (!w)
        return;
    answer_one(w, 503,
               view_error(rc == SU_TOOBIG ? "queue_full" : "shutting_down",
                          "nothing was stored; retry later with the same submission_id", NULL));
}

static void count_outcome(const struct form *f, int64_t now)
{
    static const int metric[] = {[FS_COUNTED] = METRIC_OUTCOME_COUNTED,
                                 [FS_HELD] = METRIC_OUTCOME_HELD,
                                 [FS_DISPUTED] = METRIC_OUTCOME_DISPUTED,
                                 [FS_CONFIRMATION] = METRIC_OUTCOME_CONFIRMATION};
    g_metrics.forms_by_outcome[metric[f->outcome]]++;
    histogram_observe(&g_metrics.ack_seconds, (double)(now - f->received_ms) / 1000.0);
}

/* The answer of a committed op, built only if someone waits for it. */
static void reply_committed(struct ingest *ing, struct op *op, int64_t now)
{
    if (op->kind == OP_FORM && !op->refused)
        count_outcome(op->form, now);
    if (!item_of(op)->waiters)
        return;
    char *body = NULL;
    if (op->refused) {
        body = view_refusal(op->refused);
        answer(op, 409, body);
    } else if (op->kind == OP_FINALIZE) {
        answer(op, 0, op->final->answer);
    } else if (op->kind == OP_FORM) {
        body = view_receipt(ing->ledger->reg, op->form);
        answer(op, 0, body);
    } else if (op->kind == OP_DECISION) {
        body = view_json(view_form(ing->ledger->reg, ing->ledger, op->form));
        answer(op, 0, body);
    }
    free(body);
}

/* ---- batches ----------------------------------------------------------------- */

/* Decides the queue's first ops (at most batch_max) in order, against the
 * ledger's state including the earlier ops of the same batch. */
static int seal(struct ingest *ing, struct op **batch)
{
    struct op **tail = batch;
    int n = 0;
    while (ing->q_head && n < ing->cfg->batch_max) {
        struct op *op = ing->q_head;
        ing->q_head = op->next;
        op->next = NULL;
        ing->q_len--;
        if (op->kind == OP_FORM)
            ledger_decide_form(ing->ledger, op);
        else if (op->kind == OP_DECISION)
            ledger_decide_review(ing->ledger, op);
        else if (op->kind == OP_FINALIZE)
            ledger_decide_finalize(ing->ledger, op);
        *tail = op;
        tail = &op->next;
        n++;
    }
    if (!ing->q_head)
        ing->q_tail = NULL;
    g_metrics.queue_depth = ing->q_len;
    return n;
}

static void start_batch(struct ingest *ing)
{
    uv_timer_stop(&ing->flush_timer);
    struct op **batch = &ing->batches[ing->n_batches];
    *batch = NULL;
    int n = seal(ing, batch);
    ing->batch_len[ing->n_batches++] = n;
    for (struct op *op = *batch; op; op = op->next)
        ledger_written(op);
    writer_write(ing->writer, *batch, n);
}

/* After COMMIT of the oldest batch: its forms are marked committed and the
 * tallies moved first, then a next batch is sealed and sent if one is due,
 * and only then are the answers encoded and queued - so PostgreSQL works on
 * the batches after it while this loop answers this one. */
static void on_committed(void *ctx, struct op *done, int n)
{
    struct ingest *ing = ctx;
    (void)n;
    int64_t now = clock_now_ms();
    SU_ASSERT(ing->n_batches > 0 && done == ing->batches[0]);
    ing->n_batches--;
    memmove(ing->batches, ing->batches + 1, (size_t)ing->n_batches * sizeof ing->batches[0]);
    memmove(ing->batch_len, ing->batch_len + 1, (size_t)ing->n_batches * sizeof ing->batch_len[0]);
    for (struct op *op = done; op; op = op->next)
        ledger_commit(ing->ledger, op);
    maybe_seal(ing);
    while (done) {
        struct op *op = done;
        done = op->next;
        reply_committed(ing, op, now);
        op_free(op);
    }
}

static void on_flush_timer(uv_timer_t *t)
{
    struct ingest *ing = t->data;
    if (!ing->closing && ing->q_head && ing->n_batches == 0)
        start_batch(ing);
}

/* While a batch is in flight, the next one goes out once it is as large as
 * that one (or full): sent at once it would be small, and PostgreSQL pays
 * per batch (the statement's plan, the commit) while the ones it holds
 * would wait anyway; as large, it is ready about when PostgreSQL is done
 * with the one before. If the queue does not grow so far, it goes out after
 * that COMMIT, as it did before the pipeline. And only while batches are
 * small: a large batch means forms arrive faster than PostgreSQL commits
 * them, the overlap gains nothing, and two batches in flight would halve
 * the batches' size (docs/benchmarks.md: at 256 connections the pipeline was
 * slower, at 64 faster). */
static bool next_batch_due(const struct ingest *ing)
{
    int in_flight = ing->batch_len[ing->n_batches - 1];
    if (in_flight >= PIPELINE_MAX_OPS)
        return false;
    return ing->q_len >= (in_flight < ing->cfg->batch_max ? in_flight : ing->cfg->batch_max);
}

/* A batch goes out when the writer has room for one (fewer than WRITER_DEPTH
 * in flight): with none in flight when the queue is full or once the oldest
 * op has waited batch_delay_ms, else when next_batch_due. */
static void maybe_seal(struct ingest *ing)
{
    if (ing->closing || !ing->q_head || writer_full(ing->writer))
        return;
    if (ing->n_batches > 0) {
        if (next_batch_due(ing))
            start_batch(ing);
        return;
    }
    if (ing->q_len >= ing->cfg->batch_max || ing->cfg->batch_delay_ms == 0) {
        start_batch(ing);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&ing->flush_timer))
        uv_timer_start(&ing->flush_timer, on_flush_timer, (uint64_t)ing->cfg->batch_delay_ms, 0);
}

/* ---- submitting ------------------------------------------------------------- */

static void wait_for(struct ingest *ing, struct op *op, struct waiter *w, int ok_status)
{
    struct ingest_op *it = item_of(op);
    w->ok_status = ok_status;
    w->deadline_ms = clock_mono_ms() + ing->cfg->ack_timeout_ms;
    w->next = it->waiters;
    it->waiters = w;
}

static struct op *new_op(enum op_kind kind)
{
    struct ingest_op *it = xcalloc(1, sizeof *it);
    it->op.kind = kind;
    return &it->op;
}

/* SU_OK (queued), SU_TOOBIG (the queue is full) or SU_ERR (stopping). */
static int enqueue(struct ingest *ing, struct op *op)
{
    if (ing->closing)
        return SU_ERR;
    if (ing->q_len >= ing->cfg->queue_max)
        return SU_TOOBIG;
    op->next = NULL;
    if (ing->q_tail)
        ing->q_tail->next = op;
    else
        ing->q_head = op;
    ing->q_tail = op;
    ing->q_len++;
    g_metrics.queue_depth = ing->q_len;
    maybe_seal(ing);
    return SU_OK;
}

int ingest_form(struct ingest *ing, struct form *f, struct waiter *w)
{
    struct op *op = new_op(OP_FORM);
    op->form = f;
    f->pending_op = op;
    int rc = enqueue(ing, op);
    if (rc != SU_OK)
        goto fail;
    ledger_track(ing->ledger, f);
    wait_for(ing, op, w, 201);
    return SU_OK;
fail:
    form_discard(f, op);
    refuse_now(w, rc);
    return rc;
}

/* Queues an op that owns what it carries (a decision, a finalisation) and
 * makes w wait for its COMMIT; a refusal frees the op and answers w now. */
static int submit_owned(struct ingest *ing, struct op *op, struct waiter *w)
{
    int rc = enqueue(ing, op);
    if (rc != SU_OK)
        goto fail;
    wait_for(ing, op, w, 200);
    return SU_OK;
fail:
    op_free(op); /* and what it carries, never attached to a form */
    refuse_now(w, rc);
    return rc;
}

int ingest_decision(struct ingest *ing, struct form *f, struct decision *d, struct waiter *w)
{
    struct op *op = new_op(OP_DECISION);
    op->form = f;
    op->decision = d;
    return submit_owned(ing, op, w);
}

int ingest_finalize(struct ingest *ing, struct final_req *fr, struct waiter *w)
{
    struct op *op = new_op(OP_FINALIZE);
    op->final = fr;
    return submit_owned(ing, op, w);
}

int ingest_audit(struct ingest *ing, struct audit_row *row)
{
    struct op *op = new_op(OP_AUDIT);
    op->audit = row;
    int rc = enqueue(ing, op);
    if (rc != SU_OK) {
        log_warn("audit_dropped", "kind=%s detail=%s", row->kind, row->detail);
        op_free(op);
    }
    return rc;
}

void ingest_resubmit(struct ingest *ing, struct form *f, struct waiter *w)
{
    if (f->refused) /* refused at seal: the same answer again */
        answer_one(w, 409, view_refusal(f->refused));
    else if (f->committed)
        answer_one(w, 200, view_receipt(ing->ledger->reg, f));
    else if (f->pending_op && !ing->closing) /* on its way: answered with the first request */
        wait_for(ing, f->pending_op, w, 200);
    else
        refuse_now(w, SU_ERR);
}

/* ---- the acknowledgement sweep -------------------------------------------- */

/* Submitters whose deadline passed get 503; the op itself stays queued. */
static void sweep_op(struct op *op, int64_t now)
{
    struct waiter **pp = &item_of(op)->waiters;
    while (*pp) {
        struct waiter *w = *pp;
        if (w->deadline_ms > now) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        answer_one(w, 503,
                   view_error("ack_timeout",
                              "the database did not confirm in time; retry with the same "
                              "submission_id",
                              NULL));
    }
}

static void on_sweep(uv_timer_t *t)
{
    struct ingest *ing = t->data;
    int64_t now = clock_mono_ms(); /* waiters' deadlines are monotonic */
    for (int i = 0; i < ing->n_batches; i++)
        for (struct op *op = ing->batches[i]; op; op = op->next)
            sweep_op(op, now);
    for (struct op *op = ing->q_head; op; op = op->next)
        sweep_op(op, now);
}

/* ---- life ------------------------------------------------------------------- */

struct ingest *ingest_new(uv_loop_t *loop, const struct config *cfg, struct ledger *ledger,
                          int64_t claim_generation, const int *epoch)
{
    struct ingest *ing = xcalloc(1, sizeof *ing);
    static const struct writer_sink sink = {on_committed};
    ing->cfg = cfg;
    ing->ledger = ledger;
    ing->writer =
        writer_new(loop, cfg->db, cfg->writer_depth, ledger->reg, claim_generation, &sink, ing);
    writer_set_epoch(ing->writer, epoch);
    uv_timer_init(loop, &ing->flush_timer);
    uv_timer_init(loop, &ing->sweep_timer);
    ing->flush_timer.data = ing->sweep_timer.data = ing;
    ing->open_handles = 2;
    uv_timer_start(&ing->sweep_timer, on_sweep, SWEEP_MS, SWEEP_MS);
    return ing;
}

bool ingest_idle(const struct ingest *ing)
{
    return !ing->q_head && ing->n_batches == 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct ingest *ing = h->data;
    if (--ing->open_handles == 0)
        free(ing);
}

void ingest_close(struct ingest *ing)
{
    ing->closing = true;
    while (ing->q_head) {
        struct op *op = ing->q_head;
        ing->q_head = op->next;
        answer_unavailable(op, "shutting_down");
        if (op->kind == OP_FORM) { /* tracked by submission_id: kept, see ledger_drop */
            ledger_drop(ing->ledger, op->form);
            op->form = NULL;
        }
        op_free(op);
    }
    ing->q_tail = NULL;
    ing->q_len = 0;
    /* A batch not known to be committed is not acknowledged: its forms are
     * in the ledger (freed with it) and a retry after restart finds them
     * stored or not. */
    struct op *batch = writer_close(ing->writer);
    ing->writer = NULL;
    ing->n_batches = 0;
    while (batch) {
        struct op *op = batch;
        batch = op->next;
        answer_unavailable(op, "shutting_down");
        if (op->form && op->form->pending_op == op)
            op->form->pending_op = NULL; /* a late retry must not wait on it */
        op_free(op);
    }
    uv_close((uv_handle_t *)&ing->flush_timer, on_handle_closed);
    uv_close((uv_handle_t *)&ing->sweep_timer, on_handle_closed);
}

/* ---- the review desk's requests ------------------------------------------ */

/* The request waits in memory until its INSERT commits, then joins the desk
 * and the reviewer gets 201. */
struct saving {
    struct review_request *r;
    struct review_desk *desk;
    const struct auth *auth;
    struct waiter *w;
};

static void request_saved(void *ctx, bool ok)
{
    struct saving *s = ctx;
    struct review_request *r = s->r, *added = NULL;
    if (!ok) {
        free(r->note);
        answer_one(s->w, 503,
                   view_error("storage_unavailable", "nothing was stored; retry later", NULL));
    } else if (review_request_add(s->desk, r->id, r->form_id, r->token_id, r->kind, r->note,
                                  r->at_ms, &added) != SU_OK) {
        /* Stored, but over the per-form limit in memory (a concurrent
         * request won the last place): the next start loads it. */
        answer_one(
            s->w, 409,
            view_error("too_many_requests", "this form has as many requests as it may", NULL));
    } else {
        struct token_names names;
        cJSON *o =
            token_names_init(&names, s->auth) == SU_OK ? review_request_json(added, &names) : NULL;
        token_names_free(&names);
        char *body = o ? view_json(o) : NULL;
        answer_one(s->w, 201, body ? body : xstrdup("{}"));
    }
    free(r); /* the note went to the desk, or was freed by review_request_add */
    free(s);
}

void ingest_review_request(struct pg *pg, struct review_desk *desk, const struct auth *auth,
                           struct review_request *r, struct waiter *w)
{
    struct saving *s = xcalloc(1, sizeof *s);
    *s = (struct saving){r, desk, auth, w};
    review_store_insert(pg, r, request_saved, s);
}
