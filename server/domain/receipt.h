/* Receipts: a hash chain over every stored form, in id order.
 *
 *   receipt(n) = SHA-256 of the canonical text of form n, which starts with
 *                receipt(n - 1) (64 zeros for the first form)
 *
 * The canonical text is one "key=value" line per immutable field (see
 * receipt.c): what the submitter was told, never the status that changes
 * later. A witness keeps the receipt of its 201; an observer keeps the head
 * (GET /api/v1/log/head); `suara verify-log` recomputes the chain from the
 * database and names the first row that no longer matches. */
#ifndef SUARA_DOMAIN_RECEIPT_H
#define SUARA_DOMAIN_RECEIPT_H

#include "core/buf.h"
#include "ledger.h"

/* Appends the canonical text of f (chained to prev) to out. */
int receipt_text(const unsigned char prev[32], const struct form *f, const char *tps_code,
                 const char *contest_id, struct buf *out);
void receipt_compute(const unsigned char prev[32], const struct form *f, const char *tps_code,
                     const char *contest_id, unsigned char out[32]);
/* Parses 64 hex characters; returns 0 or -1. */
int receipt_parse_hex(const char *hex, unsigned char out[32]);

#endif
