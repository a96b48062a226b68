/* Group commit. Forms and review decisions queue in memory; when the
 * connection is idle and the batch is full or batch_delay_ms has passed, the
 * queue is sealed into one batch (outcomes decided, see ledger.h) and written
 * in ONE statement - hence one transaction and one fsync for the whole batch.
 * Only after its COMMIT are the tallies moved and the submitters answered.
 * A batch whose fate is unknown (the connection broke) is kept and written
 * again on the next connection; ON CONFLICT (id) DO NOTHING makes a batch that
 * had in fact committed a no-op, so nothing is ever stored or counted twice. */
#ifndef SUARA_DB_WRITER_H
#define SUARA_DB_WRITER_H

#include "core/config.h"
#include "domain/ledger.h"
#include "pg.h"

#include <stdint.h>

struct writer;

/* on_commit runs after each committed batch (the live feed has news). Every
 * batch is refused by the database unless the claim of claim_generation (see
 * load.h) still holds, and makes COMMIT wait for a synchronous standby. */
struct writer *writer_new(uv_loop_t *loop, struct pg *pg, struct ledger *ledger,
                          const struct config *cfg, int64_t claim_generation,
                          void (*on_commit)(void *ctx), void *ctx);
/* SU_OK (the writer owns op) or SU_TOOBIG when the queue is full. */
int writer_enqueue(struct writer *w, struct op *op);
/* True when nothing is queued or in flight. */
/* Every batch asserts this epoch (see schema/007_election_life.sql): after a
 * switch to live, a batch of the rehearsal fails instead of mixing in. */
void writer_set_epoch(struct writer *w, const int *epoch);
bool writer_idle(const struct writer *w);
/* Answers everything still waiting with 503 and frees the writer's handles;
 * frees w once they are closed. */
void writer_close(struct writer *w);

/* The SQL text of a batch (built once from the count list of form.h). */
const char *writer_batch_sql(void);

#endif
