/* A form's status changes as leaves of the public log (publog.h), with what a
 * verifier needs to check each: the leaf's index, the text's fields and the
 * previous leaf's receipt it is chained to. Status changes are not stored
 * anywhere (docs/api.md): they are found again by replaying the outcome rules
 * over the form's TPS and contest (replay.h), the statement of the rules the
 * start-up uses to put them in the log, and each recomputed leaf is checked
 * against the tree before it is answered. Pure logic over memory; O(forms of
 * the slot), a handful. */
#ifndef SUARA_DOMAIN_LOG_STATUS_H
#define SUARA_DOMAIN_LOG_STATUS_H

#include "ledger.h"

#include <stdint.h>

/* More than any form gets: held, then counted or rejected, then superseded. */
#define LOG_STATUS_MAX 8

struct log_status {
    int64_t seq;  /* the entry (a form's arrival, a decision) that made the change */
    int64_t leaf; /* its leaf index in the log */
    uint8_t status;
    unsigned char prev[32];    /* the previous leaf's receipt, which the text names */
    unsigned char receipt[32]; /* SHA-256 of the text: the leaf's entry */
};

/* The status changes of form f that are leaves of the log's first `size`
 * leaves, in leaf order, into out (room for LOG_STATUS_MAX). Returns how many,
 * or -1 when a recomputed leaf is not the tree's (the two statements of the
 * rules disagree: a bug, never the client's fault). Changes made by an entry
 * not in the log (a decision from before decisions joined it, one not yet
 * committed) are left out. */
int log_status_of(const struct ledger *l, const struct form *f, int64_t size,
                  struct log_status out[LOG_STATUS_MAX]);

/* The receipt of the k-th status change (from 0) that the entry of seq
 * `seq` made, chained from that entry's receipt, found by replaying the
 * slot of `entry_form` (the form that arrived, or the decided one): what
 * the tree asks for to recompute a status leaf (log_entry.h). false unless
 * that change exists and is of form form_id. */
bool log_status_receipt(const struct ledger *l, const struct form *entry_form, int64_t seq,
                        const unsigned char entry_receipt[32], int k, int64_t form_id,
                        unsigned char out[32]);

#endif
