/* The batch writer: persistence only. It is handed a sealed batch (ops whose
 * outcomes the ledger has decided, see ledger.h) and writes it in ONE
 * statement - hence one transaction and one fsync for the whole batch - then
 * reports that it committed. It answers nobody and decides nothing: the
 * ingest module (server/app_ingest.h) seals batches, moves the tallies and
 * replies. Up to WRITER_DEPTH batches are in flight at once, each its own
 * transaction, committed in order: batch n+1 can only commit after batch n
 * (suara_batch, schema/012). Batches whose fate is unknown (the connection
 * broke, or one failed) are kept and written again, in order, on the next
 * connection; ON CONFLICT (id) DO NOTHING makes a batch that had in fact
 * committed a no-op, so nothing is ever stored or counted twice. */
#ifndef SUARA_DB_WRITER_H
#define SUARA_DB_WRITER_H

#include "domain/ledger.h"
#include "pg.h"

#include <stdbool.h>
#include <stdint.h>

/* At most this many batches in flight (--writer-depth): with 2, batch n+1 is
 * sealed and sent while batch n commits (docs/architecture.md, "The
 * pipelined writer"). */
#define WRITER_DEPTH 2

struct writer;

struct writer_sink {
    /* The oldest batch handed to writer_write committed: its n ops, in order,
     * are the caller's again. Batches are reported in the order written. */
    void (*committed)(void *ctx, struct op *batch, int n);
};

/* Writes on a connection of its own (conninfo), in libpq's pipeline mode.
 * Every batch is refused by the database unless the claim of
 * claim_generation (see load.h) still holds and the batch before it
 * committed, and makes COMMIT wait for a synchronous standby. */
struct writer *writer_new(uv_loop_t *loop, const char *conninfo, int depth,
                          const struct registry *reg, int64_t claim_generation,
                          const struct writer_sink *sink, void *ctx);
/* Every batch asserts this epoch (see schema/007_election_life.sql): after a
 * switch to live, a batch of the rehearsal fails instead of mixing in. */
void writer_set_epoch(struct writer *w, const int *epoch);
/* True while `depth` batches are not yet committed. */
bool writer_full(const struct writer *w);
/* Writes the n sealed ops of batch (linked by op->next, in seal order) after
 * the batches written before it; the writer keeps them until they commit.
 * Only when not full. */
void writer_write(struct writer *w, struct op *batch, int n);
/* Stops writing, closes the connection and frees w; returns the ops of every
 * batch not yet known to be committed, in order (or NULL), which are the
 * caller's again: they must not be acknowledged. */
struct op *writer_close(struct writer *w);

#endif
