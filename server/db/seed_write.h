/* Writes a checked seed (domain/seed) to PostgreSQL for `suara seed`, in one
 * transaction: the rows are copied into temporary tables and upserted from
 * there, so a second run changes nothing and a failed run leaves nothing
 * half-loaded. Rows are never deleted, except the candidates a contest no
 * longer lists, and only while it has no forms. */
#ifndef SUARA_DB_SEED_WRITE_H
#define SUARA_DB_SEED_WRITE_H

#include "domain/seed.h"

/* Connects to conninfo and writes s, which must have no problems. Every
 * failure is reported on stderr prefixed with `who`. SU_OK or SU_ERR. */
int seed_write(const struct seed *s, const char *who, const char *conninfo);

#endif
