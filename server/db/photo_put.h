/* The photo puts on the photo connection, grouped: a put that arrives while
 * a transaction of photos is in flight waits for it and goes into the next
 * one with every other put that arrived meanwhile. Each group is one
 * transaction (BEGIN, one prepared INSERT a photo, COMMIT, sent as one libpq
 * pipeline), so one WAL flush for all of them: every put of a group answers
 * only after that COMMIT, all of them the same way (stored, or SU_AGAIN with
 * nothing of the group stored). */
#ifndef SUARA_DB_PHOTO_PUT_H
#define SUARA_DB_PHOTO_PUT_H

#include "domain/photo_index.h"
#include "domain/photo_store.h"

struct pg;
struct photo_puts;

struct photo_puts *photo_puts_new(struct pg *pg);
/* Prepares the put statement on a connection that just came up, ahead of
 * every job waiting: a prepared statement lives as long as its connection. */
void photo_puts_prepare(struct photo_puts *q);
/* Queues a put; done runs once, after the COMMIT of its group (data must
 * stay valid until then). */
void photo_puts_add(struct photo_puts *q, const struct photo_entry *e, const unsigned char *data,
                    photo_put_done done, void *ctx);
/* Before closing the connection: puts not yet sent answer SU_AGAIN now; the
 * group in flight answers when the connection's jobs are failed. */
void photo_puts_close(struct photo_puts *q);
void photo_puts_free(struct photo_puts *q);

#endif
