/* One stored form as PostgreSQL gives it back: the column list to select,
 * and the parser from text fields to a struct form. Shared by start-up
 * loading (COPY) and `suara verify-log`, so both read a row the same way. */
#ifndef SUARA_DB_FORM_ROW_H
#define SUARA_DB_FORM_ROW_H

#include "domain/ledger.h"

/* Each count column of the list (domain/form.h) as "f.<column>, ". */
#define FORM_ROW_COUNT_(member, path, column) "f." #column ", "
#define FORM_ROW_LIST                                                                              \
    "f.id, f.submission_id, f.tps, f.contest, f.revision, f.status, f.outcome, "                   \
    "coalesce(f.confirms, 0), f.token_id, f.seq, "                                                 \
    "round(date_part('epoch', f.received_at) * 1000)::bigint, f.checks, "                          \
    "f.photo_sha256, " FORM_COUNTS(                                                                \
        FORM_ROW_COUNT_) "f.votes, d.id, d.decision, d.reason, d.token_id, d.seq, "                \
                         "round(date_part('epoch', d.decided_at) * 1000)::bigint, f.receipt, "     \
                         "f.photos, "                                                              \
                         "f.receipt_format, f.amendment, d.receipt "                               \
                         "FROM forms f LEFT JOIN decisions d ON d.form_id = f.id"
/* In id order, which is seq order for forms. */
#define FORM_ROW_COLUMNS FORM_ROW_LIST " ORDER BY f.id"

/* Field positions in a row of FORM_ROW_LIST. */
enum {
    FORM_ROW_TPS = 2,     /* the TPS code, for the caller to resolve */
    FORM_ROW_CONTEST = 3, /* the contest id, likewise */
    FORM_ROW_PHOTO = 12,
    FORM_ROW_COUNTS = 13, /* the list's counts, in its order */
    FORM_ROW_VOTES = FORM_ROW_COUNTS + FORM_N_COUNTS,
    FORM_ROW_DECISION, /* d.id, then decision, reason, token_id, seq, decided_ms */
    FORM_ROW_RECEIPT = FORM_ROW_DECISION + 6, /* the stored receipt (hex), NULL before receipts */
    FORM_ROW_PHOTOS,
    FORM_ROW_RECEIPT_FORMAT,
    FORM_ROW_AMENDMENT,
    FORM_ROW_DECISION_RECEIPT,
    FORM_ROW_FIELDS
};

/* A new form from a row (NULL or "" stands for SQL NULL), with tps and
 * contest left for the caller (-1 / 0). NULL on a malformed row. */
struct form *form_row_parse(char **f, int n);

#endif
