/* See log_entry.h. A status leaf follows the leaf of the entry (a form's
 * arrival or a decision) that made the change, after that entry's earlier
 * changes (ledger.c's log_op and log_entry), so walking back over status
 * leaves finds the entry, and how many changes came before. */
#include "log_entry.h"
#include "log_status.h"

#include <string.h>

/* The seq and receipt of the entry of a form or decision leaf about form
 * form_id; NULL when the ledger has no such entry. */
static const struct form *entry_of_leaf(const struct ledger *l, enum publog_kind kind,
                                        int64_t form_id, int64_t *seq,
                                        const unsigned char **receipt)
{
    const struct form *f = ledger_by_id(l, form_id);
    if (!f)
        return NULL;
    if (kind == PUBLOG_FORM) {
        *seq = f->seq;
        *receipt = f->receipt;
        return f;
    }
    if (kind != PUBLOG_DECISION || !f->decision || !f->decision->has_receipt)
        return NULL;
    *seq = f->decision->seq;
    *receipt = f->decision->receipt;
    return f;
}

static bool status_entry(const struct ledger *l, struct publog *p, int64_t leaf, int64_t form_id,
                         unsigned char entry[32])
{
    int64_t at = leaf, id;
    enum publog_kind kind;
    do {
        if (--at < 0)
            return false; /* a status leaf before any entry: not a log ledger.c makes */
        kind = publog_locate(p, at, &id);
    } while (kind == PUBLOG_STATUS);
    int64_t seq;
    const unsigned char *receipt;
    const struct form *f = entry_of_leaf(l, kind, id, &seq, &receipt);
    return f && log_status_receipt(l, f, seq, receipt, (int)(leaf - at - 1), form_id, entry);
}

/* publog_entry_fn over the ledger. */
static bool ledger_entry(void *ctx, struct publog *p, int64_t leaf, unsigned char entry[32])
{
    const struct ledger *l = ctx;
    int64_t form_id, seq;
    enum publog_kind kind = publog_locate(p, leaf, &form_id);
    if (kind == PUBLOG_STATUS)
        return status_entry(l, p, leaf, form_id, entry);
    const unsigned char *receipt;
    if (!entry_of_leaf(l, kind, form_id, &seq, &receipt))
        return false;
    memcpy(entry, receipt, 32);
    return true;
}

void log_entry_attach(struct ledger *l, struct publog *p)
{
    l->log = p;
    if (p)
        publog_set_entries(p, ledger_entry, l);
}
