/* The outcome rules replayed from the log, to check what is stored: a second,
 * deliberately separate statement of the rules that domain/ledger.c applies
 * (docs/form-rules.md, "Outcomes"), run over one TPS and contest at a time.
 * Every form's outcome (what its receipt says it was told) and confirmed form
 * must be what the rules give at its place in the log, every decision must
 * find its form waiting for review, and every stored status must be what
 * replaying the forms and decisions in seq order leaves. So a status or a
 * decision changed behind the server's back, which would change the tally
 * after a restart, is found, and where. Pure logic, no I/O. */
#ifndef SUARA_DOMAIN_REPLAY_H
#define SUARA_DOMAIN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One stored form of the slot, with its decision if any. */
struct replay_form {
    int64_t id, seq;
    int32_t token;
    bool holds;          /* a failed check holds it */
    bool amended;        /* an admin's amendment: counted whatever else holds */
    uint8_t outcome;     /* stored: enum form_status told to the submitter */
    uint8_t status;      /* stored: enum form_status now */
    int64_t confirms;    /* stored: the form it confirmed, or 0 */
    const void *numbers; /* compared with `same` (confirmation or dispute) */
    bool has_decision, decision_count;
    int64_t decision_id, decision_seq;
};

typedef bool (*replay_same_numbers)(const void *a, const void *b);

struct form;
/* A stored form (form.h) as the replay sees it, the form itself standing for
 * its numbers: what the ledger's start-up check and `suara verify-log` both
 * build, so the two cannot read a form differently. */
struct replay_form replay_form_of(const struct form *f);
/* replay_same_numbers for replay_form_of's numbers: form_counts_equal. */
bool replay_same_counts(const void *a, const void *b);

/* Replays the n forms of one slot (in id order) and their decisions. 0, or
 * -1 with the first thing that does not follow the rules in err. */
int replay_slot(const struct replay_form *forms, int n, replay_same_numbers same, char *err,
                size_t err_size);

/* Each status change the rules make, in the order they make it: form_id is
 * given `status` by the entry (a form's arrival or a decision) of seq `seq`.
 * A form's own first status is its outcome, in its receipt: not a change.
 * These are the public log's status entries (publog.h). */
typedef void (*replay_changed)(void *ctx, int64_t seq, int64_t form_id, uint8_t status);

/* replay_slot, telling `changed` (with ctx) every status change. */
int replay_slot_changes(const struct replay_form *forms, int n, replay_same_numbers same,
                        replay_changed changed, void *ctx, char *err, size_t err_size);

#endif
