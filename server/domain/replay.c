/* See replay.h. */
#include "replay.h"
#include "core/mem.h"
#include "form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most slots hold a form or three: theirs replay without the allocator (the
 * start-up replays every slot of a national night, millions). */
#define SMALL_SLOT 16

struct event {
    int64_t seq;
    int form;      /* index into the slot's forms */
    bool decision; /* the form's decision, else the form's arrival */
};

static int by_seq(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Events come nearly sorted (forms by id are in seq order; a decision comes
 * after its form): an insertion sort for a small slot, qsort beyond. Seqs
 * are unique, so both give the same order. */
static void sort_events(struct event *e, int n)
{
    if (n > 2 * SMALL_SLOT) {
        qsort(e, (size_t)n, sizeof *e, by_seq);
        return;
    }
    for (int i = 1; i < n; i++) {
        struct event x = e[i];
        int j = i;
        for (; j > 0 && e[j - 1].seq > x.seq; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

static bool waiting(uint8_t status)
{
    return status == FS_HELD || status == FS_DISPUTED;
}

struct run {
    const struct replay_form *forms;
    uint8_t *status;     /* replayed */
    const int *prev_own; /* big slots: each form's witness's form before it, or -1 */
    int counted;         /* index, or -1 */
    replay_same_numbers same;
    replay_changed changed;
    void *ctx;
    char *err;
    size_t err_size;
};

/* A form that has a status gets another, because of the entry of seq `seq`. */
static void change(struct run *r, int i, int status, int64_t seq)
{
    r->status[i] = (uint8_t)status;
    if (r->changed)
        r->changed(r->ctx, seq, r->forms[i].id, (uint8_t)status);
}

/* The previously counted form is superseded first, then i counts; an
 * arriving form's own status is its outcome, not a change. */
static void make_counted(struct run *r, int i, int64_t seq, bool arriving)
{
    if (r->counted >= 0)
        change(r, r->counted, FS_SUPERSEDED, seq);
    if (arriving)
        r->status[i] = FS_COUNTED;
    else
        change(r, i, FS_COUNTED, seq);
    r->counted = i;
}

static int arrive(struct run *r, int i)
{
    const struct replay_form *f = &r->forms[i];
    int outcome;
    if (f->amended)
        outcome = FS_COUNTED; /* an amendment replaces the result, as the pleno decided */
    else if (f->holds)
        outcome = FS_HELD;
    else if (r->counted < 0 || r->forms[r->counted].token == f->token)
        outcome = FS_COUNTED; /* the first count, or the same witness's correction */
    else
        outcome = r->same(f->numbers, r->forms[r->counted].numbers) ? FS_CONFIRMATION : FS_DISPUTED;
    int64_t confirms = outcome == FS_CONFIRMATION ? r->forms[r->counted].id : 0;
    if (outcome != f->outcome || confirms != f->confirms) {
        snprintf(r->err, r->err_size,
                 "form %lld: its receipt says it was %s (confirming %lld); the rules give %s "
                 "(confirming %lld) at its place in the log",
                 (long long)f->id, form_status_name(f->outcome), (long long)f->confirms,
                 form_status_name(outcome), (long long)confirms);
        return -1;
    }
    /* A witness's newer form replaces its own waiting ones. A form waits only
     * from its arrival, and each arrival replaced the witness's waiting forms
     * before it: of them, only the witness's latest can be waiting. A big
     * slot looks at that one alone, so that a replay stays O(forms) (the log
     * replays a slot for each status leaf a proof needs, log_status.h). */
    if (r->prev_own) {
        int j = r->prev_own[i];
        if (j >= 0 && waiting(r->status[j]))
            change(r, j, FS_SUPERSEDED, f->seq);
    } else {
        for (int j = 0; j < i; j++) {
            if (r->forms[j].token == f->token && waiting(r->status[j]))
                change(r, j, FS_SUPERSEDED, f->seq);
        }
    }
    if (outcome == FS_COUNTED)
        make_counted(r, i, f->seq, true);
    else
        r->status[i] = (uint8_t)outcome;
    return 0;
}

static int decide(struct run *r, int i)
{
    const struct replay_form *f = &r->forms[i];
    if (!waiting(r->status[i])) {
        snprintf(r->err, r->err_size,
                 "decision %lld on form %lld: the rules say the form was %s, not waiting for "
                 "review",
                 (long long)f->decision_id, (long long)f->id, form_status_name(r->status[i]));
        return -1;
    }
    if (f->decision_count)
        make_counted(r, i, f->decision_seq, false);
    else
        change(r, i, FS_REJECTED, f->decision_seq);
    return 0;
}

struct own {
    int32_t token;
    int form;
};

static int by_token(const void *a, const void *b)
{
    const struct own *x = a, *y = b;
    if (x->token != y->token)
        return (x->token > y->token) - (x->token < y->token);
    return (x->form > y->form) - (x->form < y->form);
}

/* Each form's previous form by the same witness (index, or -1), by sorting
 * the forms by witness: O(n log n) for a big slot, allocated. NULL when the
 * forms do not arrive in id order (seqs changed in the database): then the
 * witness's latest form need not be the only one waiting, and arrive looks
 * at every earlier form, as it does for a small slot. */
static int *previous_own(const struct replay_form *forms, int n)
{
    for (int i = 1; i < n; i++) {
        if (forms[i].seq <= forms[i - 1].seq)
            return NULL;
    }
    struct own *o = xmalloc(sizeof *o * (size_t)n);
    for (int i = 0; i < n; i++)
        o[i] = (struct own){forms[i].token, i};
    qsort(o, (size_t)n, sizeof *o, by_token);
    int *prev = xmalloc(sizeof *prev * (size_t)n);
    for (int k = 0; k < n; k++)
        prev[o[k].form] = k > 0 && o[k - 1].token == o[k].token ? o[k - 1].form : -1;
    free(o);
    return prev;
}

int replay_slot(const struct replay_form *forms, int n, replay_same_numbers same, char *err,
                size_t err_size)
{
    return replay_slot_changes(forms, n, same, NULL, NULL, err, err_size);
}

int replay_slot_changes(const struct replay_form *forms, int n, replay_same_numbers same,
                        replay_changed changed, void *ctx, char *err, size_t err_size)
{
    struct event small_events[2 * SMALL_SLOT + 1];
    uint8_t small_status[SMALL_SLOT + 1];
    bool small = n <= SMALL_SLOT;
    struct event *events = small ? small_events : xmalloc(sizeof *events * (size_t)(2 * n + 1));
    uint8_t *status =
        small ? memset(small_status, 0, sizeof small_status) : xcalloc((size_t)n + 1, 1);
    int n_events = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        events[n_events++] = (struct event){forms[i].seq, i, false};
        if (forms[i].has_decision)
            events[n_events++] = (struct event){forms[i].decision_seq, i, true};
    }
    sort_events(events, n_events);
    int *prev_own = small ? NULL : previous_own(forms, n);
    struct run r = {forms, status, prev_own, -1, same, changed, ctx, err, err_size};
    for (int e = 0; e < n_events && rc == 0; e++)
        rc = events[e].decision ? decide(&r, events[e].form) : arrive(&r, events[e].form);
    for (int i = 0; i < n && rc == 0; i++) {
        if (r.status[i] != forms[i].status) {
            snprintf(err, err_size,
                     "form %lld: stored status %s, but replaying the log gives %s (a status "
                     "or a decision was changed outside the server)",
                     (long long)forms[i].id, form_status_name(forms[i].status),
                     form_status_name(r.status[i]));
            rc = -1;
        }
    }
    if (!small) {
        free(prev_own);
        free(status);
        free(events);
    }
    return rc;
}

struct replay_form replay_form_of(const struct form *f)
{
    return (struct replay_form){
        .id = f->id,
        .seq = f->seq,
        .token = f->token_id,
        .holds = form_checks_hold(f->checks),
        .amended = f->amendment != NULL,
        .outcome = f->outcome,
        .status = f->status,
        .confirms = f->confirms,
        .numbers = f,
        .has_decision = f->decision != NULL,
        .decision_count = f->decision && f->decision->count,
        .decision_id = f->decision ? f->decision->id : 0,
        .decision_seq = f->decision ? f->decision->seq : 0,
    };
}

bool replay_same_counts(const void *a, const void *b)
{
    return form_counts_equal(a, b);
}
