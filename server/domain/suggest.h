/* Suggestions for a held form: every change of one count that would make all
 * of the form's failing checks pass - what a misread digit looks like (84 read
 * as 884 breaks valid_sum; putting 84 back fixes it). Pure logic.
 *
 * Every check is linear in each count with a coefficient of 0 or +-1, so for
 * each count the values that could satisfy a failing equation (or reach the
 * bound of an inequality) follow from the check's residual; each candidate
 * is then verified with form_checks, and kept only when no check fails. */
#ifndef SUARA_DOMAIN_SUGGEST_H
#define SUARA_DOMAIN_SUGGEST_H

#include "form.h"
#include "registry.h"

#include <stdint.h>

/* The most suggestions a form can have, so that the list is always whole:
 * every count of the form (its 21 counts besides the votes, and one vote per
 * candidate) with at most one candidate value per residual of the checks. */
#define SUGGEST_FIELDS_MAX (12 + 4 + 2 + CONTEST_MAX_CANDIDATES + 3)
#define SUGGEST_RESIDUALS 14
#define SUGGEST_MAX (SUGGEST_FIELDS_MAX * SUGGEST_RESIDUALS)

struct suggestion {
    char field[24]; /* "votes.1", "valid", "ballots.used", "registered.dpt.m", ... */
    int value;
    uint32_t fixes; /* the failing checks it makes pass, as bits */
};

/* Fills out with up to max suggestions, in the order of the form's fields;
 * returns how many. None when the form fails no check. */
int suggest_fixes(const struct form_counts *c, const uint16_t *votes, const struct contest *contest,
                  int32_t roll_dpt, struct suggestion *out, int max);

#endif
