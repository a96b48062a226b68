/* The ledger: every form ever stored, per TPS and contest, and the rules that
 * decide a new form's outcome (counted, correction, confirmation, dispute,
 * held) and a reviewer's decision. Pure logic, no I/O.
 *
 * Writes happen in two steps, because a form is acknowledged only after
 * PostgreSQL has committed it:
 *   1. ledger_decide_* runs when the writer seals a batch. It assigns ids,
 *      revision and seq, sets statuses and records, in the op, the TPS's
 *      state before and after, and which stored forms changed status.
 *   2. After COMMIT, ledger_commit marks the op's forms committed and moves
 *      the tallies by (after - before).
 * Between the two, ledger_written marks the forms of a batch handed to the
 * writer: the next batch may be decided before this one commits (at most
 * two are in flight, db/writer.h), and a status it changes on such a form
 * must be written as an UPDATE, since the form's INSERT has gone already.
 * Batches commit in the order they were decided (the database refuses batch
 * n+1 until batch n committed) and a sealed batch is retried until it
 * commits, so decisions never need undoing. Reads (TPS history, review
 * queue) show committed forms only. */
#ifndef SUARA_DOMAIN_LEDGER_H
#define SUARA_DOMAIN_LEDGER_H

#include "core/strmap.h"
#include "election.h"
#include "form.h"
#include "photo_index.h"
#include "publog.h"
#include "tally.h"

#include <stdbool.h>
#include <stdint.h>

/* All forms of one TPS in one contest, oldest first. */
struct slot {
    struct form *first, *last;
    struct form *counted;
    bool confirmed;
    bool with_photo;                      /* counted in tps_with_photo of the tallies */
    uint32_t n_forms, n_held, n_disputed; /* 32 bits: a flood of forms must not wrap */
    int64_t seq; /* the newest committed form or decision in the slot: what its views show */
    uint32_t photos_arrived; /* pages of its forms stored since start-up: the TPS view's ETag */
};

struct status_change {
    struct form *form;
    uint8_t status;
};

/* An admin's finalisation of a region in a contest (OP_FINALIZE). */
struct final_req {
    int contest;
    int32_t region;
    int32_t token_id;
    int64_t at_ms;
    char *reason;
    char *answer; /* the 200 body, made by the API when the request came */
};

/* An audit event that records nothing else in the batch (OP_AUDIT): the
 * aggregated auth_failed and export events. */
struct audit_row {
    const char *kind; /* static string */
    int32_t token_id; /* 0 = none */
    int64_t at_ms;
    char ref[160]; /* unique per event: a retried batch never audits twice */
    char *detail;  /* JSON object text */
};

enum op_kind { OP_FORM, OP_DECISION, OP_FINALIZE, OP_AUDIT };
/* A form op changes at most two stored forms: the counted one it replaces and
 * its author's one pending form (a witness's new form supersedes its own
 * earlier pending ones, so there is never more than one); a decision changes
 * the counted form and the decided one. set_status asserts the bound. */

#define OP_MAX_CHANGES 8

/* One queued write: a new form, a decision on a stored one, a final region or
 * an audit event. Whoever queues it (the ingest module) keeps the requests
 * waiting for it; the ledger decides it, the writer stores it. */
struct op {
    struct op *next;
    enum op_kind kind;
    struct form *form;
    struct decision *decision; /* OP_DECISION: not yet attached to the form */
    struct final_req *final;   /* OP_FINALIZE */
    struct audit_row *audit;   /* OP_AUDIT */
    int64_t seq;
    enum refusal refused; /* seal found the op no longer valid: not written */
    struct tps_state before, after;
    struct status_change changes[OP_MAX_CHANGES];
    int n_changes;
    /* The public log's status entries (replay.h): every change of a form that
     * had a status already, in rule order; unlike `changes` also of forms of
     * this batch, so that the log does not depend on how forms were batched. */
    struct status_change logged[OP_MAX_CHANGES];
    int n_logged;
};

struct ledger {
    const struct registry *reg;
    struct tallies *tallies;
    struct slot **slots;         /* per contest, by region index - contest root */
    struct strmap by_submission; /* submission_id -> struct form * (pending ones too) */
    struct form **by_id;         /* form id -> form, NULL for holes */
    int64_t by_id_cap;
    /* seq -> the form whose arrival or decision took that seq (the changes
     * feed reads the ledger through it instead of keeping copies) */
    struct form **by_seq;
    int64_t by_seq_cap;
    int64_t next_form_id;
    int64_t next_decision_id;
    int64_t next_seq;
    int64_t n_forms;
    int64_t last_form_id; /* the head of the receipt chain */
    unsigned char last_receipt[32];
    /* Stored photos (set by the app once loaded; NULL: none known yet), and
     * every committed form naming each photo hash (domain/form_photos.h). */
    const struct photo_index *photos;
    struct strmap photo_refs;
    struct finals finals; /* committed final regions */
    struct form *refused; /* forms refused at seal, kept for their retries */
    struct form *dropped; /* tracked forms never sealed (shutdown), see ledger_drop */
    struct publog *log;   /* optional: every committed form becomes its next leaf */
};

int ledger_init(struct ledger *l, const struct registry *reg, struct tallies *tallies);
void ledger_free(struct ledger *l);

/* Frees a form and its op that were never handed to the ledger. */
void form_discard(struct form *f, struct op *op);
/* Registers a pending form for idempotency before it is sealed. */
void ledger_track(struct ledger *l, struct form *f);
/* A tracked form that will never be sealed (its op was dropped at shutdown).
 * The submission index has no deletion, so the form is not freed: it stays
 * findable, not committed and with no op (a late retry is answered 503, never
 * from freed memory), and is freed with the ledger. */
void ledger_drop(struct ledger *l, struct form *f);
struct form *ledger_by_submission(const struct ledger *l, const char *submission_id);
struct form *ledger_by_id(const struct ledger *l, int64_t id);
/* The form whose arrival (f->seq == seq) or decision (f->decision->seq ==
 * seq) took this seq, or NULL. */
struct form *ledger_by_seq(const struct ledger *l, int64_t seq);
struct slot *ledger_slot(const struct ledger *l, int contest, int32_t tps);

/* Step 1, at seal: decide (see the file comment). */
void ledger_decide_form(struct ledger *l, struct op *op);
void ledger_decide_review(struct ledger *l, struct op *op);
void ledger_decide_finalize(struct ledger *l, struct op *op);
/* The op's batch was handed to the writer (after every op of it was
 * decided): its new form counts as stored for later decisions' UPDATEs. */
void ledger_written(struct op *op);
/* Step 2, after COMMIT. */
void ledger_commit(struct ledger *l, struct op *op);

/* Start-up: makes room for about n stored forms, so loading them does not
 * grow the indexes step by step. */
int ledger_reserve(struct ledger *l, int64_t n);
/* Start-up: adds a stored form with its current status and decision. Forms
 * must come in id order; call ledger_finish_load and ledger_rebuild_tallies
 * once all are loaded. */
int ledger_load_form(struct ledger *l, struct form *f);
void ledger_rebuild_tallies(struct ledger *l);
/* Start-up: the receipt chain starts from `genesis` (before any form loads). */
void ledger_set_genesis(struct ledger *l, const unsigned char genesis[32]);
/* Frees an op of any kind that was never handed to the ledger, or whose
 * work is done, with what it owns (not its form once that is tracked). */
void op_free(struct op *op);
/* Start-up, once every form is loaded: rebuilds the public log (every
 * entry's receipt in seq order) and the head of the receipt chain, and checks
 * the stored statuses by replaying the outcome rules over the forms and
 * decisions (replay.h). 0, or -1 with where the history breaks in err: the
 * server must not serve it. */
int ledger_finish_load(struct ledger *l, char *err, size_t err_size);

/* How many forms of a slot one token has stored (sealed ones included; those
 * still queued for the writer are not): what --forms-per-tps bounds. */
uint32_t ledger_forms_by_token(const struct slot *s, int32_t token_id);

/* The state of a slot as the tallies see it. */
void slot_state(const struct slot *s, struct tps_state *out);
#endif
