/* GET /api/v1/audit's query: a page of the audit trail, read on the server's
 * connection as a job (never blocking the loop), encoded by PostgreSQL into
 * the contract's body {"events": [...], "next": ID|null}. */
#ifndef SUARA_DB_AUDIT_READ_H
#define SUARA_DB_AUDIT_READ_H

#include "core/waiter.h"
#include "pg.h"

#include <stdint.h>

#define AUDIT_KIND_MAX 32

/* Events with id > after, of `kind` ("" = every kind), at most `limit`, in
 * id order; completes w with 200 and the body, or 503 when the database
 * failed. Takes over w. */
void audit_read(struct pg *pg, const char *kind, int64_t after, int limit, struct waiter *w);

#endif
