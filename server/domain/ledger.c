/* See ledger.h. The outcome rules follow the contract's "Outcomes" section;
 * one rule the contract leaves open is settled here: a witness's newest form
 * for a TPS and contest replaces that witness's own earlier forms still
 * waiting for review (they become superseded), so reviewers never decide a
 * form its author has already corrected. */
#include "ledger.h"
#include "form_photos.h"
#include "core/err.h"
#include "receipt.h"
#include "replay.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ledger_init(struct ledger *l, const struct registry *reg, struct tallies *tallies)
{
    memset(l, 0, sizeof *l);
    l->reg = reg;
    l->tallies = tallies;
    l->next_form_id = 1;
    l->next_decision_id = 1;
    l->next_seq = 1;
    strmap_init(&l->by_submission);
    l->slots = xcalloc((size_t)reg->n_contests, sizeof *l->slots);
    if (!l->slots)
        return SU_NOMEM;
    for (int i = 0; i < reg->n_contests; i++) {
        int32_t root = reg->contests[i].region;
        l->slots[i] = xcalloc((size_t)(reg->regions[root].end - root), sizeof **l->slots);
        if (!l->slots[i])
            return SU_NOMEM;
    }
    return SU_OK;
}

/* Forms linked by next_in_slot outside any slot (refused, dropped). */
static void free_form_list(struct form *f)
{
    while (f) {
        struct form *next = f->next_in_slot;
        form_free(f);
        f = next;
    }
}

void ledger_free(struct ledger *l)
{
    for (int64_t id = 0; id < l->by_id_cap; id++) {
        if (l->by_id[id])
            form_free(l->by_id[id]);
    }
    free_form_list(l->refused);
    free_form_list(l->dropped);
    finals_free(&l->finals);
    for (int i = 0; i < l->reg->n_contests; i++)
        free(l->slots[i]);
    free(l->slots);
    free(l->by_id);
    free(l->by_seq);
    strmap_free(&l->by_submission);
    form_photos_free(l);
    memset(l, 0, sizeof *l);
}

void form_discard(struct form *f, struct op *op)
{
    free(op);
    form_free(f);
}

void ledger_track(struct ledger *l, struct form *f)
{
    /* strmap_put fails only for want of memory, which aborts (core/mem.h):
     * a form missing from this index would let its retry be stored again
     * under the same id, a batch PostgreSQL would refuse forever. */
    SU_ASSERT(strmap_put(&l->by_submission, f->submission_id, f) == SU_OK);
}

void ledger_drop(struct ledger *l, struct form *f)
{
    f->pending_op = NULL;
    f->next_in_slot = l->dropped;
    l->dropped = f;
}

struct form *ledger_by_submission(const struct ledger *l, const char *submission_id)
{
    return strmap_get(&l->by_submission, submission_id);
}

struct form *ledger_by_id(const struct ledger *l, int64_t id)
{
    return id > 0 && id < l->by_id_cap ? l->by_id[id] : NULL;
}

struct form *ledger_by_seq(const struct ledger *l, int64_t seq)
{
    return seq > 0 && seq < l->by_seq_cap ? l->by_seq[seq] : NULL;
}

/* Grows an index of forms (by id or by seq) so that `key` fits. */
static int grow_index(struct form ***index, int64_t *cap_io, int64_t key)
{
    int64_t cap = *cap_io ? *cap_io : 1024;
    while (cap <= key)
        cap *= 2;
    if (cap == *cap_io)
        return SU_OK;
    struct form **p = xrealloc(*index, (size_t)cap * sizeof *p);
    if (!p)
        return SU_NOMEM;
    memset(p + *cap_io, 0, (size_t)(cap - *cap_io) * sizeof *p);
    *index = p;
    *cap_io = cap;
    return SU_OK;
}

static int grow_by_id(struct ledger *l, int64_t id)
{
    return grow_index(&l->by_id, &l->by_id_cap, id);
}

static int index_by_seq(struct ledger *l, int64_t seq, struct form *f)
{
    if (seq >= l->by_seq_cap && grow_index(&l->by_seq, &l->by_seq_cap, seq) != SU_OK)
        return SU_NOMEM;
    l->by_seq[seq] = f;
    return SU_OK;
}

int ledger_reserve(struct ledger *l, int64_t n)
{
    if (n <= 0)
        return SU_OK;
    if (grow_by_id(l, n + 1) != SU_OK || grow_index(&l->by_seq, &l->by_seq_cap, n + 1) != SU_OK ||
        (l->log && publog_reserve(l->log, n) != SU_OK))
        return SU_NOMEM;
    return strmap_reserve(&l->by_submission, (size_t)n);
}

static int index_by_id(struct ledger *l, struct form *f)
{
    if (f->id >= l->by_id_cap && grow_by_id(l, f->id) != SU_OK)
        return SU_NOMEM;
    l->by_id[f->id] = f;
    l->n_forms++;
    return SU_OK;
}

struct slot *ledger_slot(const struct ledger *l, int contest, int32_t tps)
{
    return &l->slots[contest][tps - l->reg->contests[contest].region];
}

uint32_t ledger_forms_by_token(const struct slot *s, int32_t token_id)
{
    uint32_t n = 0;
    for (const struct form *f = s->first; f; f = f->next_in_slot)
        n += f->token_id == token_id;
    return n;
}

void slot_state(const struct slot *s, struct tps_state *out)
{
    out->counted = s->counted;
    out->counts = s->counted ? &s->counted->counts : NULL;
    out->votes = s->counted ? s->counted->votes : NULL;
    out->confirmed = s->counted && s->confirmed;
    out->held = s->n_held > 0;
    out->disputed = s->n_disputed > 0;
    out->flagged = s->counted && (s->counted->checks & FORM_CHECK_WARNINGS);
}

static void count_pending(struct slot *s, int status, int sign)
{
    if (status == FS_HELD)
        s->n_held += (uint32_t)sign;
    else if (status == FS_DISPUTED)
        s->n_disputed += (uint32_t)sign;
}

/* Changes a form's status, keeping the slot's counters right and recording
 * the change for the batch's UPDATE when the form is already in the database. */
static void set_status(struct slot *s, struct op *op, struct form *f, int status)
{
    count_pending(s, f->status, -1);
    count_pending(s, status, +1);
    f->status = (uint8_t)status;
    if (op->kind != OP_FORM || f != op->form) { /* an arriving form's first status is no change */
        SU_ASSERT(op->n_logged < OP_MAX_CHANGES);
        op->logged[op->n_logged++] = (struct status_change){f, (uint8_t)status};
    }
    if (!f->committed && !f->written)
        return;
    SU_ASSERT(op->n_changes < OP_MAX_CHANGES);
    op->changes[op->n_changes++] = (struct status_change){f, (uint8_t)status};
}

static void append(struct slot *s, struct form *f)
{
    if (s->last)
        s->last->next_in_slot = f;
    else
        s->first = f;
    s->last = f;
    s->n_forms++;
}

static void supersede_own_pending(struct slot *s, struct op *op, int32_t token_id)
{
    for (struct form *f = s->first; f; f = f->next_in_slot) {
        if (f->token_id == token_id && form_pending(f))
            set_status(s, op, f, FS_SUPERSEDED);
    }
}

static void make_counted(struct slot *s, struct op *op, struct form *f)
{
    if (s->counted)
        set_status(s, op, s->counted, FS_SUPERSEDED);
    set_status(s, op, f, FS_COUNTED);
    s->counted = f;
    s->confirmed = false;
}

static int outcome_of(const struct slot *s, const struct form *f)
{
    if (f->amendment)
        return FS_COUNTED; /* an admin's amendment replaces the result, as the pleno decided */
    if (form_checks_hold(f->checks))
        return FS_HELD;
    if (!s->counted || s->counted->token_id == f->token_id)
        return FS_COUNTED; /* first count, or the same witness's correction */
    return form_counts_equal(f, s->counted) ? FS_CONFIRMATION : FS_DISPUTED;
}

static void chain_receipt(struct ledger *l, struct form *f)
{
    receipt_compute(l->last_receipt, f, l->reg->regions[f->tps].code,
                    l->reg->contests[f->contest].id, f->receipt);
    memcpy(l->last_receipt, f->receipt, sizeof f->receipt);
    l->last_form_id = f->id;
}

/* The same DPT voters receive every contest's ballot at a TPS, so voted.dpt
 * (men and women apart) should agree with the counted form of each other
 * contest there; DPPh and DPTb rows may differ. */
static bool voters_differ_across_contests(const struct ledger *l, const struct form *f)
{
    const struct registry *reg = l->reg;
    for (int c = 0; c < reg->n_contests; c++) {
        if (c == f->contest || !region_contains(reg, reg->contests[c].region, f->tps))
            continue;
        const struct form *other = ledger_slot(l, c, f->tps)->counted;
        if (other && memcmp(other->counts.voted[ROW_DPT], f->counts.voted[ROW_DPT],
                            sizeof f->counts.voted[ROW_DPT]) != 0)
            return true;
    }
    return false;
}

/* A form or decision for a region whose result became final while it waited:
 * refused (never stored); the form is kept so its retries get the same 409. */
static bool refuse_if_final(struct ledger *l, struct op *op, int contest, int32_t tps)
{
    if (!finals_covers(l->tallies, contest, tps))
        return false;
    op->refused = REFUSAL_REGION_FINAL;
    return true;
}

void ledger_decide_form(struct ledger *l, struct op *op)
{
    struct form *f = op->form;
    if (!f->amendment && refuse_if_final(l, op, f->contest, f->tps)) {
        f->refused = (uint8_t)op->refused;
        f->pending_op = NULL;
        f->next_in_slot = l->refused;
        l->refused = f;
        return;
    }
    struct slot *s = ledger_slot(l, f->contest, f->tps);
    slot_state(s, &op->before);
    f->id = l->next_form_id++;
    f->seq = op->seq = l->next_seq++;
    f->revision = s->n_forms + 1;
    if (voters_differ_across_contests(l, f))
        f->checks |= 1u << WARN_CROSS_CONTEST_VOTERS;
    index_by_id(l, f);
    index_by_seq(l, f->seq, f);

    int outcome = outcome_of(s, f);
    f->outcome = (uint8_t)outcome;
    if (outcome == FS_CONFIRMATION)
        f->confirms = s->counted->id;
    chain_receipt(l, f);
    supersede_own_pending(s, op, f->token_id);
    f->status = FS_SUPERSEDED; /* neutral until set_status below */
    append(s, f);
    if (outcome == FS_COUNTED) {
        make_counted(s, op, f);
    } else {
        if (outcome == FS_CONFIRMATION)
            s->confirmed = true;
        set_status(s, op, f, outcome);
    }
    slot_state(s, &op->after);
}

void ledger_decide_review(struct ledger *l, struct op *op)
{
    struct form *f = op->form;
    struct slot *s = ledger_slot(l, f->contest, f->tps);
    if (!form_pending(f) || !f->committed) {
        op->refused = REFUSAL_NOT_PENDING;
        return;
    }
    if (refuse_if_final(l, op, f->contest, f->tps))
        return;
    slot_state(s, &op->before);
    struct decision *d = op->decision;
    d->id = l->next_decision_id++;
    d->seq = op->seq = l->next_seq++;
    index_by_seq(l, d->seq, f);
    if (d->count)
        make_counted(s, op, f);
    else
        set_status(s, op, f, FS_REJECTED);
    /* The decision is the log's next entry, chained like a form. */
    receipt_decision(l->last_receipt, d, f->id, d->receipt);
    d->has_receipt = true;
    memcpy(l->last_receipt, d->receipt, sizeof d->receipt);
    f->decision = d;
    op->decision = NULL; /* now owned by the form */
    slot_state(s, &op->after);
}

void ledger_decide_finalize(struct ledger *l, struct op *op)
{
    const struct final_req *fr = op->final;
    if (finals_covers(l->tallies, fr->contest, fr->region)) {
        op->refused = REFUSAL_ALREADY_FINAL;
        return;
    }
    tally_mark_final(l->tallies, fr->contest, fr->region, TALLY_FINAL_SEALED);
}

/* A committed op's entries in the public log: the form or the decision, then
 * each status change it made, chained to the leaf before it. */
static void log_op(struct publog *log, const struct op *op)
{
    const struct form *f = op->form;
    unsigned char prev[32];
    if (op->kind == OP_FORM) {
        publog_add_form(log, f->id, f->receipt);
        memcpy(prev, f->receipt, sizeof prev);
    } else {
        publog_add_decision(log, f->decision->id, f->id, f->decision->receipt);
        memcpy(prev, f->decision->receipt, sizeof prev);
    }
    for (int i = 0; i < op->n_logged; i++) {
        receipt_status(prev, op->seq, op->logged[i].form->id, op->logged[i].status, prev);
        publog_add_status(log, op->logged[i].form->id, prev);
    }
}

void ledger_written(struct op *op)
{
    if (op->kind == OP_FORM && !op->refused)
        op->form->written = true;
}

void ledger_commit(struct ledger *l, struct op *op)
{
    if (op->refused || op->kind == OP_AUDIT)
        return;
    if (op->kind == OP_FINALIZE) {
        /* Out of memory only costs /status its list entry; the tally nodes
         * are marked all the same. */
        if (finals_add(&l->finals, l->tallies, op->final->contest, op->final->region,
                       op->final->at_ms) != SU_OK)
            tally_mark_final(l->tallies, op->final->contest, op->final->region,
                             TALLY_FINAL_SEALED | TALLY_FINAL_SHOWN);
        return;
    }
    op->form->committed = true;
    op->form->pending_op = NULL;
    struct form *f = op->form;
    struct slot *s = ledger_slot(l, f->contest, f->tps);
    if (op->seq > s->seq)
        s->seq = op->seq;
    tally_apply(l->tallies, f->contest, f->tps, &op->before, &op->after, op->seq);
    if (op->kind == OP_FORM)
        form_photos_track(l, f);
    /* Ops of one slot commit in the order they were decided, so `before`
     * is what the tallies showed until now. */
    if (op->before.counted)
        op->before.counted->tallied = false;
    if (op->after.counted)
        op->after.counted->tallied = true;
    form_photos_refresh(l, f->contest, f->tps, op->after.counted);
    if (l->log)
        log_op(l->log, op);
}

int ledger_load_form(struct ledger *l, struct form *f)
{
    struct slot *s = ledger_slot(l, f->contest, f->tps);
    if (index_by_id(l, f) != SU_OK)
        return SU_NOMEM;
    ledger_track(l, f);
    f->committed = true;
    form_photos_track(l, f);
    append(s, f);
    count_pending(s, f->status, +1);
    if (f->status == FS_COUNTED)
        s->counted = f;
    if (f->id >= l->next_form_id)
        l->next_form_id = f->id + 1;
    l->last_form_id = f->id; /* forms come in id order */
    int64_t seq = f->decision && f->decision->seq > f->seq ? f->decision->seq : f->seq;
    if (seq > s->seq)
        s->seq = seq;
    if (seq >= l->next_seq)
        l->next_seq = seq + 1;
    if (f->decision && f->decision->id >= l->next_decision_id)
        l->next_decision_id = f->decision->id + 1;
    if (index_by_seq(l, f->seq, f) != SU_OK ||
        (f->decision && index_by_seq(l, f->decision->seq, f) != SU_OK))
        return SU_NOMEM;
    return SU_OK;
}

static int64_t slot_last_seq(const struct slot *s)
{
    int64_t seq = 0;
    for (const struct form *f = s->first; f; f = f->next_in_slot) {
        if (f->seq > seq)
            seq = f->seq;
        if (f->decision && f->decision->seq > seq)
            seq = f->decision->seq;
    }
    return seq;
}

void ledger_rebuild_tallies(struct ledger *l)
{
    static const struct tps_state empty;
    for (int c = 0; c < l->reg->n_contests; c++) {
        int32_t root = l->reg->contests[c].region;
        for (int32_t r = root; r < l->reg->regions[root].end; r++) {
            struct slot *s = &l->slots[c][r - root];
            if (!s->first)
                continue;
            s->confirmed = false;
            for (const struct form *f = s->first; f; f = f->next_in_slot) {
                if (s->counted && f->status == FS_CONFIRMATION && f->confirms == s->counted->id)
                    s->confirmed = true;
            }
            struct tps_state st;
            slot_state(s, &st);
            if (s->counted)
                s->counted->tallied = true;
            tally_apply(l->tallies, c, r, &empty, &st, slot_last_seq(s));
        }
    }
}

void ledger_set_genesis(struct ledger *l, const unsigned char genesis[32])
{
    memcpy(l->last_receipt, genesis, sizeof l->last_receipt);
}

void op_free(struct op *op)
{
    if (op->decision) { /* refused or never sealed: not attached to the form */
        free(op->decision->reason);
        free(op->decision);
    }
    if (op->final) {
        free(op->final->reason);
        free(op->final->answer);
        free(op->final);
    }
    if (op->audit) {
        free(op->audit->detail);
        free(op->audit);
    }
    free(op);
}

/* ---- start-up: the log and the replay check ----------------------------- */

static int decision_by_seq(const void *a, const void *b)
{
    const struct form *x = *(const struct form *const *)a, *y = *(const struct form *const *)b;
    return (x->decision->seq > y->decision->seq) - (x->decision->seq < y->decision->seq);
}

/* The status changes the replay found (replay.h), to be put in the public log
 * after the entries that made them. Few next to the forms: each follows a
 * witness's correction or newer form, or a reviewer's decision. */
struct logged_change {
    int64_t seq, form_id;
    uint8_t status;
};

struct log_build {
    struct ledger *l;
    struct logged_change *changes;
    int64_t n_changes, cap, next;
};

static void collect_change(void *ctx, int64_t seq, int64_t form_id, uint8_t status)
{
    struct log_build *b = ctx;
    if (b->n_changes == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->changes = xrealloc(b->changes, sizeof *b->changes * (size_t)b->cap);
    }
    b->changes[b->n_changes] = (struct logged_change){seq, form_id, status};
    b->n_changes++;
}

/* The changes by the entry that made them, each entry's in the order the
 * rules made them: a stable counting sort over seq, two passes (a comparison
 * sort of the millions of changes of a national night was a good part of the
 * log's start-up). Every seq is below l->next_seq. */
static void sort_changes(struct log_build *b)
{
    if (b->n_changes < 2)
        return;
    int64_t n_seqs = b->l->next_seq + 1;
    int64_t *at = xcalloc((size_t)n_seqs, sizeof *at);
    for (int64_t i = 0; i < b->n_changes; i++) {
        SU_ASSERT(b->changes[i].seq > 0 && b->changes[i].seq < n_seqs);
        at[b->changes[i].seq]++;
    }
    for (int64_t s = 0, sum = 0; s < n_seqs; s++) {
        int64_t n = at[s];
        at[s] = sum;
        sum += n;
    }
    struct logged_change *sorted = xmalloc(sizeof *sorted * (size_t)b->n_changes);
    for (int64_t i = 0; i < b->n_changes; i++)
        sorted[at[b->changes[i].seq]++] = b->changes[i];
    free(at);
    free(b->changes);
    b->changes = sorted;
}

/* The entry of seq `seq` (form form_id, or the decision decision_id on it),
 * then the status changes it made, each chained to the leaf before it as
 * ledger_commit does. */
static void log_entry(struct log_build *b, int64_t seq, const unsigned char receipt[32],
                      int64_t form_id, int64_t decision_id)
{
    struct ledger *l = b->l;
    memcpy(l->last_receipt, receipt, 32);
    while (b->next < b->n_changes && b->changes[b->next].seq < seq)
        b->next++; /* made by a decision from before decisions joined the log: not in it */
    if (!l->log)
        return;
    if (decision_id)
        publog_add_decision(l->log, decision_id, form_id, receipt);
    else
        publog_add_form(l->log, form_id, receipt);
    unsigned char prev[32];
    memcpy(prev, receipt, sizeof prev);
    for (; b->next < b->n_changes && b->changes[b->next].seq == seq; b->next++) {
        receipt_status(prev, seq, b->changes[b->next].form_id, b->changes[b->next].status, prev);
        publog_add_status(l->log, b->changes[b->next].form_id, prev);
    }
}

/* A decision's receipt, recomputed against the entry before it: decisions
 * are few, so this costs nothing, and a decision changed in the database
 * (with statuses made to match) would otherwise move the tally unseen.
 * Forms are not recomputed here (millions of texts): `suara verify-log`. */
static int decision_entry(struct log_build *b, const struct form *f, char *err, size_t err_size)
{
    struct ledger *l = b->l;
    unsigned char computed[32];
    receipt_decision(l->last_receipt, f->decision, f->id, computed);
    if (memcmp(computed, f->decision->receipt, 32) != 0) {
        snprintf(err, err_size,
                 "decision %lld: its receipt does not match its content (on form %lld; it was "
                 "changed outside the server)",
                 (long long)f->decision->id, (long long)f->id);
        return -1;
    }
    log_entry(b, f->decision->seq, f->decision->receipt, f->id, f->decision->id);
    return 0;
}

/* Every entry in seq order: forms come by id, which is their seq order, and
 * the (few) decisions with a receipt are merged in by their seq; each is
 * followed by the status changes it made (b->changes, sorted). */
static int rebuild_log(struct log_build *b, char *err, size_t err_size)
{
    struct ledger *l = b->l;
    int64_t n_decided = 0;
    for (int64_t id = 1; id < l->by_id_cap; id++) {
        const struct form *f = l->by_id[id];
        n_decided += f && f->decision && f->decision->has_receipt;
    }
    struct form **decided = xmalloc(sizeof *decided * (size_t)(n_decided + 1));
    int64_t k = 0;
    for (int64_t id = 1; id < l->by_id_cap; id++) {
        struct form *f = l->by_id[id];
        if (f && f->decision && f->decision->has_receipt)
            decided[k++] = f;
    }
    qsort(decided, (size_t)n_decided, sizeof *decided, decision_by_seq);
    k = 0;
    int rc = 0;
    for (int64_t id = 1; id < l->by_id_cap && rc == 0; id++) {
        const struct form *f = l->by_id[id];
        if (!f)
            continue;
        for (; rc == 0 && k < n_decided && decided[k]->decision->seq < f->seq; k++)
            rc = decision_entry(b, decided[k], err, err_size);
        if (rc == 0)
            log_entry(b, f->seq, f->receipt, f->id, 0);
    }
    for (; rc == 0 && k < n_decided; k++)
        rc = decision_entry(b, decided[k], err, err_size);
    free(decided);
    return rc;
}

/* A slot's forms lie wherever the load put them (in id order, across every
 * slot), so walking the slots takes a cache miss or two per form: asking for
 * the first form of a slot a few ahead hides most of them (the replay was
 * a good part of the log's start-up). */
#define PREFETCH_SLOTS 8

static void prefetch_form(const struct form *f)
{
    if (f) {
        __builtin_prefetch(f);
        __builtin_prefetch((const char *)f + 64);
    }
}

/* The replay check of one slot (replay.h), its status changes collected
 * into b when b is given; 0 or -1 with err. */
static int replay_slot_of(const struct slot *s, struct replay_form **buf, uint32_t *cap,
                          struct log_build *b, char *err, size_t err_size)
{
    if (s->n_forms > *cap) {
        *cap = s->n_forms * 2;
        *buf = xrealloc(*buf, sizeof **buf * *cap);
    }
    int n = 0;
    for (const struct form *f = s->first; f; f = f->next_in_slot) {
        prefetch_form(f->next_in_slot);
        (*buf)[n++] = replay_form_of(f);
    }
    return replay_slot_changes(*buf, n, replay_same_counts, b ? collect_change : NULL, b, err,
                               err_size);
}

/* The replay first, since the public log needs the status changes it finds;
 * but a decision whose receipt does not match is named before what the
 * replay found, as it is what was changed. */
int ledger_finish_load(struct ledger *l, char *err, size_t err_size)
{
    struct log_build b = {.l = l};
    char replay_err[512] = "";
    int replayed = 0;
    struct replay_form *buf = NULL;
    uint32_t cap = 0;
    for (int c = 0; c < l->reg->n_contests && replayed == 0; c++) {
        int32_t root = l->reg->contests[c].region;
        int32_t end = l->reg->regions[root].end;
        for (int32_t r = root; r < end && replayed == 0; r++) {
            const struct slot *s = &l->slots[c][r - root];
            if (r + PREFETCH_SLOTS < end)
                prefetch_form(l->slots[c][r + PREFETCH_SLOTS - root].first);
            if (s->first)
                replayed = replay_slot_of(s, &buf, &cap, l->log ? &b : NULL, replay_err,
                                          sizeof replay_err);
        }
    }
    free(buf);
    sort_changes(&b);
    int rc = rebuild_log(&b, err, err_size);
    free(b.changes);
    if (rc == 0 && replayed != 0) {
        snprintf(err, err_size, "%s", replay_err);
        rc = -1;
    }
    return rc;
}
