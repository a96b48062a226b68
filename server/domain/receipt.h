/* Receipts: a hash chain over every entry of the log, in seq order (the order
 * the server decided and committed them): stored forms and reviewers'
 * decisions.
 *
 *   receipt(n) = SHA-256 of the canonical text of entry n, which starts with
 *                receipt(n - 1) (64 zeros for the first entry)
 *
 * The canonical text is one "key=value" line per immutable field (see
 * receipt.c): for a form, what the submitter was told (never the status that
 * changes later: statuses follow from the entries by the outcome rules, which
 * `suara verify-log` and the server at start-up replay); for a decision, the
 * decision itself. `prev` is the receipt of the previous entry that has one:
 * decisions made before they joined the log (schema/006: seq below
 * log_format.decisions_from_seq) have none and are skipped, so older rows keep
 * verifying as they were chained; every later decision must have one. A
 * witness keeps the receipt of its 201; the receipts are the leaves of the
 * public log (publog.h). */
#ifndef SUARA_DOMAIN_RECEIPT_H
#define SUARA_DOMAIN_RECEIPT_H

#include "core/buf.h"
#include "ledger.h"

/* Appends the canonical text of f (chained to prev) to out, in the form's
 * receipt_format. */
int receipt_text(const unsigned char prev[32], const struct form *f, const char *tps_code,
                 const char *contest_id, struct buf *out);
void receipt_compute(const unsigned char prev[32], const struct form *f, const char *tps_code,
                     const char *contest_id, unsigned char out[32]);
/* A reviewer's decision on form form_id, chained to prev. */
int receipt_decision_text(const unsigned char prev[32], const struct decision *d, int64_t form_id,
                          struct buf *out);
void receipt_decision(const unsigned char prev[32], const struct decision *d, int64_t form_id,
                      unsigned char out[32]);
/* A status change as an entry of the public log (not of the stored chain):
 * form_id given `status` by the entry of seq `seq`, chained to prev, the
 * public log's previous leaf (that entry's receipt, or the status entry
 * before it). The text:
 *   suara-status-v1\nprev=<hex>\nseq=<seq>\nform_id=<id>\nstatus=<name>\n */
void receipt_status(const unsigned char prev[32], int64_t seq, int64_t form_id, int status,
                    unsigned char out[32]);
/* Parses 64 hex characters; returns 0 or -1. */
int receipt_parse_hex(const char *hex, unsigned char out[32]);

#endif
