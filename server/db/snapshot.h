/* Writes the timeline's new points (domain/timeline.h) to PostgreSQL every
 * --snapshot-s seconds, on a connection of its own, so a snapshot never
 * waits in line before a batch of forms and never delays an acknowledgement.
 * A write that fails is retried at the next period with everything not yet
 * stored; ON CONFLICT DO NOTHING makes a repeated write harmless. */
#ifndef SUARA_DB_SNAPSHOT_H
#define SUARA_DB_SNAPSHOT_H

#include "core/config.h"
#include "domain/tally.h"
#include "domain/timeline.h"

#include <uv.h>

struct snapshotter;

struct snapshotter *snapshot_new(uv_loop_t *loop, const struct config *cfg, struct timeline *tl,
                                 const struct tallies *t);
/* Stops the timer and closes the connection; frees s once the handles are
 * closed (keep the loop running). */
void snapshot_close(struct snapshotter *s);
/* Every insert asserts this epoch, like the writer's batches (writer.h). */
void snapshot_set_epoch(struct snapshotter *s, const int *epoch);

extern const char snapshot_insert_sql[];

#endif
