/* One stored form as PostgreSQL gives it back: the column list to select,
 * and the parser from text fields to a struct form. Shared by start-up
 * loading (COPY) and `suara verify-log`, so both read a row the same way. */
#ifndef SUARA_DB_FORM_ROW_H
#define SUARA_DB_FORM_ROW_H

#include "domain/ledger.h"

#define FORM_ROW_LIST                                                                              \
    "f.id, f.submission_id, f.tps, f.contest, f.revision, f.status, f.outcome, "                   \
    "coalesce(f.confirms, 0), f.token_id, f.seq, "                                                 \
    "round(date_part('epoch', f.received_at) * 1000)::bigint, f.checks, f.photo_sha256, "          \
    "f.reg_dpt_m, f.reg_dpt_f, f.reg_dpph_m, f.reg_dpph_f, f.reg_dptb_m, f.reg_dptb_f, "           \
    "f.voted_dpt_m, f.voted_dpt_f, f.voted_dpph_m, f.voted_dpph_f, f.voted_dptb_m, "               \
    "f.voted_dptb_f, f.ballots_received, f.ballots_returned, f.ballots_unused, "                   \
    "f.ballots_used, f.disability_registered, f.disability_voted, f.valid, f.invalid, "            \
    "f.total, f.votes, d.id, d.decision, d.reason, d.token_id, d.seq, "                            \
    "round(date_part('epoch', d.decided_at) * 1000)::bigint, f.receipt, f.photos, "                \
    "f.receipt_format, f.amendment, d.receipt "                                                    \
    "FROM forms f LEFT JOIN decisions d ON d.form_id = f.id"
/* In id order, which is seq order for forms. */
#define FORM_ROW_COLUMNS FORM_ROW_LIST " ORDER BY f.id"

#define FORM_ROW_FIELDS 46
#define FORM_ROW_TPS 2      /* the TPS code, for the caller to resolve */
#define FORM_ROW_CONTEST 3  /* the contest id, likewise */
#define FORM_ROW_RECEIPT 41 /* the stored receipt (hex), NULL before receipts */

/* A new form from a row (NULL or "" stands for SQL NULL), with tps and
 * contest left for the caller (-1 / 0). NULL on a malformed row. */
struct form *form_row_parse(char **f, int n);

#endif
