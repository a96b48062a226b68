/* The batch writer: persistence only. It is handed a sealed batch (ops whose
 * outcomes the ledger has decided, see ledger.h) and writes it in ONE
 * statement - hence one transaction and one fsync for the whole batch - then
 * reports that it committed. It answers nobody and decides nothing: the
 * ingest module (server/app_ingest.h) seals batches, moves the tallies and
 * replies. A batch whose fate is unknown (the connection broke) is kept and
 * written again on the next connection; ON CONFLICT (id) DO NOTHING makes a
 * batch that had in fact committed a no-op, so nothing is ever stored or
 * counted twice. */
#ifndef SUARA_DB_WRITER_H
#define SUARA_DB_WRITER_H

#include "domain/ledger.h"
#include "pg.h"

#include <stdbool.h>
#include <stdint.h>

struct writer;

struct writer_sink {
    /* The batch handed to writer_write committed: its n ops, in order, are
     * the caller's again. The writer is free for the next batch. */
    void (*committed)(void *ctx, struct op *batch, int n);
};

/* Every batch is refused by the database unless the claim of
 * claim_generation (see load.h) still holds, and makes COMMIT wait for a
 * synchronous standby. */
struct writer *writer_new(struct pg *pg, const struct registry *reg, int64_t claim_generation,
                          const struct writer_sink *sink, void *ctx);
/* Every batch asserts this epoch (see schema/007_election_life.sql): after a
 * switch to live, a batch of the rehearsal fails instead of mixing in. */
void writer_set_epoch(struct writer *w, const int *epoch);
/* True from writer_write until the batch has committed. */
bool writer_busy(const struct writer *w);
/* Writes the n sealed ops of batch (linked by op->next, in seal order); the
 * writer keeps them until they commit. Only when not busy. */
void writer_write(struct writer *w, struct op *batch, int n);
/* Stops writing and returns the batch not yet known to be committed (or
 * NULL), which is the caller's again: it must not be acknowledged. Frees w
 * at once, or when pg_close finishes its job. */
struct op *writer_close(struct writer *w);

/* The SQL text of a batch (built once from the count list of form.h). */
const char *writer_batch_sql(void);

#endif
