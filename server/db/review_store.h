/* The review desk's requests in PostgreSQL: loaded once at start into the
 * desk (domain/review_desk.h), and each new one inserted on the event-loop
 * connection before the reviewer's 201. */
#ifndef SUARA_DB_REVIEW_STORE_H
#define SUARA_DB_REVIEW_STORE_H

#include "domain/auth.h"
#include "domain/ledger.h"
#include "domain/review_desk.h"
#include "pg.h"

#include <stdbool.h>

/* Loads every stored request into desk, then done(ctx, ok). */
void review_store_load(struct pg *pg, struct review_desk *desk, void (*done)(void *ctx, bool ok),
                       void *ctx);

/* Inserts r (copied; the caller keeps r) and calls done(ctx, ok) once the
 * INSERT has committed (ok) or failed. The insert is idempotent on r->id,
 * so a retry after a lost connection cannot store it twice. */
void review_store_insert(struct pg *pg, const struct review_request *r,
                         void (*done)(void *ctx, bool ok), void *ctx);

#endif
