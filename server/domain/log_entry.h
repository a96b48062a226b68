/* Every leaf's entry of the public log given back from memory, so that the
 * tree need not keep leaf hashes (publog.h, merkle.h): a form's leaf is its
 * receipt, a decision's the decision's receipt, both kept by the ledger with
 * the form; a status change, which is stored nowhere, is found again by
 * replaying the outcome rules over its slot (log_status_receipt). The tree
 * checks what it is given against the block's stored root, so an entry that
 * changed in memory, or a replay that disagrees with what was logged, makes
 * the proof fail instead of being sent. Pure logic over memory; the at most 8
 * entries of a block per proof, a status one a replay of a handful of forms. */
#ifndef SUARA_DOMAIN_LOG_ENTRY_H
#define SUARA_DOMAIN_LOG_ENTRY_H

#include "ledger.h"
#include "publog.h"

/* Makes p the ledger's public log (l->log) and l the giver of its entries.
 * p may be NULL: no log. */
void log_entry_attach(struct ledger *l, struct publog *p);

#endif
