/* The ingest module: a write's journey from the API to its answer. The API
 * (net/) hands over a decoded form, a reviewer's decision or a final region
 * together with the waiter its reply goes to; this module queues it as an op,
 * seals batches (the ledger decides every op, in order), hands each sealed
 * batch to the writer (db/writer.h), which only persists it, and once it has
 * committed moves the tallies (ledger_commit) and builds the replies: 201 or
 * 200 with the receipt, 409 for a write refused at seal, 503 when the queue is
 * full, the acknowledgement timed out or the server is stopping. Owned by
 * app.c; one event loop, no locks. */
#ifndef SUARA_APP_INGEST_H
#define SUARA_APP_INGEST_H

#include "core/config.h"
#include "core/waiter.h"
#include "db/pg.h"
#include "domain/auth.h"
#include "domain/ledger.h"
#include "domain/review_desk.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct ingest;

/* Once the ledger is loaded: batches go to a writer on a connection of its
 * own (cfg->db) under the claim of claim_generation, each asserting *epoch
 * (see db/writer.h). */
struct ingest *ingest_new(uv_loop_t *loop, const struct config *cfg, struct ledger *ledger,
                          int64_t claim_generation, const int *epoch);

/* Each of these takes over what it is given and completes w exactly once:
 * after COMMIT, or at once with 503 when it returns an error (SU_TOOBIG: the
 * queue is full; SU_ERR: stopping).
 * A new form (form_new, checked by the API, its submission_id unknown). */
int ingest_form(struct ingest *ing, struct form *f, struct waiter *w);
/* A reviewer's decision d on the committed form f. */
int ingest_decision(struct ingest *ing, struct form *f, struct decision *d, struct waiter *w);
/* An admin's finalisation; fr->answer is the 200 body. */
int ingest_finalize(struct ingest *ing, struct final_req *fr, struct waiter *w);
/* An audit event nobody waits for (dropped, and logged, when refused). */
int ingest_audit(struct ingest *ing, struct audit_row *row);
/* A retry of the known form f with the same content: its first answer (200)
 * again, now or once its batch commits. */
void ingest_resubmit(struct ingest *ing, struct form *f, struct waiter *w);

/* A reviewer's request on the desk: stored (taking r) on pg, then added to
 * desk; w gets 201 with the request, 409 or 503. */
void ingest_review_request(struct pg *pg, struct review_desk *desk, const struct auth *auth,
                           struct review_request *r, struct waiter *w);

/* True when nothing is queued or being written. */
bool ingest_idle(const struct ingest *ing);
/* Answers everything not yet committed with 503 shutting_down, stops the
 * writer (before pg_close) and frees ing once its handles are closed. */
void ingest_close(struct ingest *ing);

#endif
