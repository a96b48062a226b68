/* See log_status.h. The replay emits every change of the slot in seq order,
 * and an entry's changes follow its own leaf in the order the rules made them
 * (ledger.c's log_entry), so the k-th change of seq s is leaf
 * leaf(entry s) + 1 + k, chained to the leaf before it. Entries not yet
 * committed have the highest seqs of all, so replaying them too cannot change
 * the earlier changes; theirs have no entry leaf and are left out. */
#include "log_status.h"
#include "core/mem.h"
#include "receipt.h"
#include "replay.h"

#include <stdlib.h>
#include <string.h>

struct walk {
    const struct ledger *l;
    int64_t form_id, size;
    int64_t seq, entry_leaf, k; /* the entry whose changes come now */
    unsigned char prev[32];
    struct log_status *out;
    int n;
    bool mismatch;
};

/* The leaf of the entry of seq `seq`, its receipt in prev; -1 when it has none. */
static int64_t entry_leaf(const struct ledger *l, int64_t seq, unsigned char prev[32])
{
    const struct form *e = ledger_by_seq(l, seq);
    if (!e || !l->log)
        return -1;
    if (e->seq == seq) {
        memcpy(prev, e->receipt, 32);
        return e->committed ? publog_leaf_of_form(l->log, e->id) : -1;
    }
    if (!e->decision || !e->decision->has_receipt)
        return -1;
    memcpy(prev, e->decision->receipt, 32);
    return publog_leaf_of_decision(l->log, e->decision->id);
}

static void on_change(void *ctx, int64_t seq, int64_t form_id, uint8_t status)
{
    struct walk *w = ctx;
    if (seq != w->seq) {
        w->seq = seq;
        w->k = 0;
        w->entry_leaf = entry_leaf(w->l, seq, w->prev);
    }
    if (w->entry_leaf < 0)
        return;
    struct log_status st = {.seq = seq, .leaf = w->entry_leaf + 1 + w->k++, .status = status};
    memcpy(st.prev, w->prev, 32);
    receipt_status(w->prev, seq, form_id, status, st.receipt);
    memcpy(w->prev, st.receipt, 32);
    if (form_id != w->form_id || st.leaf >= w->size)
        return;
    if (!publog_leaf_is(w->l->log, st.leaf, st.receipt))
        w->mismatch = true;
    else if (w->n < LOG_STATUS_MAX)
        w->out[w->n++] = st;
}

/* Replays the slot of form f, every change to changed(ctx, ...). Its verdict
 * is not the caller's: forms not yet committed already have the statuses
 * their ops gave, which the replay's last check compares. */
static void replay_of(const struct ledger *l, const struct form *f, replay_changed changed,
                      void *ctx)
{
    const struct slot *s = ledger_slot(l, f->contest, f->tps);
    struct replay_form *forms = xmalloc(sizeof *forms * (s->n_forms + 1));
    int n = 0;
    for (const struct form *g = s->first; g; g = g->next_in_slot)
        forms[n++] = replay_form_of(g);
    char err[256];
    (void)replay_slot_changes(forms, n, replay_same_counts, changed, ctx, err, sizeof err);
    free(forms);
}

int log_status_of(const struct ledger *l, const struct form *f, int64_t size,
                  struct log_status out[LOG_STATUS_MAX])
{
    struct walk w = {.l = l, .form_id = f->id, .size = size, .seq = -1, .out = out};
    replay_of(l, f, on_change, &w);
    return w.mismatch ? -1 : w.n;
}

/* log_status_receipt's walk: the changes of one seq, chained, up to the k-th. */
struct nth {
    int64_t seq, form_id;
    int k, seen;
    bool found;
    unsigned char receipt[32];
};

static void on_nth(void *ctx, int64_t seq, int64_t form_id, uint8_t status)
{
    struct nth *w = ctx;
    if (seq != w->seq || w->seen > w->k)
        return;
    receipt_status(w->receipt, seq, form_id, status, w->receipt);
    if (w->seen++ == w->k)
        w->found = form_id == w->form_id;
}

bool log_status_receipt(const struct ledger *l, const struct form *entry_form, int64_t seq,
                        const unsigned char entry_receipt[32], int k, int64_t form_id,
                        unsigned char out[32])
{
    struct nth w = {.seq = seq, .form_id = form_id, .k = k};
    memcpy(w.receipt, entry_receipt, 32);
    replay_of(l, entry_form, on_nth, &w);
    if (w.found)
        memcpy(out, w.receipt, 32);
    return w.found;
}
