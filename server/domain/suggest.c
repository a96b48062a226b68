/* See suggest.h. */
#include "suggest.h"

#include <stdio.h>
#include <string.h>

/* A form under trial: its counts, changed one at a time. */
struct trial {
    struct form_counts c;
    uint16_t votes[CONTEST_MAX_CANDIDATES];
    int n_votes;
    int32_t roll;
};

static int64_t vote_sum(const struct trial *t)
{
    int64_t sum = 0;
    for (int i = 0; i < t->n_votes; i++)
        sum += t->votes[i];
    return sum;
}

static int64_t row(const uint16_t r[2])
{
    return (int64_t)r[SEX_M] + r[SEX_F];
}

static int64_t allowance(int32_t roll)
{
    int64_t dpt = roll > 0 ? roll : 0;
    return dpt + (dpt * 25 + 999) / 1000;
}

/* One residual per equation or bound of the checks (form.c): an equation
 * holds at 0, a bound "lhs <= rhs" is reached at 0. */
static int64_t residual(const struct trial *t, int k)
{
    const struct form_counts *c = &t->c;
    const uint16_t *b = c->ballots;
    switch (k) {
    case 0:
        return vote_sum(t) - c->valid;
    case 1:
        return (int64_t)c->valid + c->invalid - c->total;
    case 2:
        return (int64_t)b[BALLOT_USED] + b[BALLOT_RETURNED] + b[BALLOT_UNUSED] - b[BALLOT_RECEIVED];
    case 3:
        return form_sum_rows(c->voted) - (int64_t)b[BALLOT_USED];
    case 4:
        return (int64_t)b[BALLOT_USED] - c->total;
    case 5:
        return row(c->registered[ROW_DPT]) - t->roll;
    case 6:
        return (int64_t)c->voted[ROW_DPT][SEX_M] - c->registered[ROW_DPT][SEX_M];
    case 7:
        return (int64_t)c->voted[ROW_DPT][SEX_F] - c->registered[ROW_DPT][SEX_F];
    case 8:
        return (int64_t)c->voted[ROW_DPPH][SEX_M] - c->registered[ROW_DPPH][SEX_M];
    case 9:
        return (int64_t)c->voted[ROW_DPPH][SEX_F] - c->registered[ROW_DPPH][SEX_F];
    case 10:
        return row(c->registered[ROW_DPT]) + row(c->registered[ROW_DPPH]) - TPS_CAPACITY;
    case 11:
        return b[BALLOT_RECEIVED] - allowance(t->roll);
    case 12:
        return (int64_t)c->disability[DISABILITY_VOTED] - c->disability[DISABILITY_REGISTERED];
    case 13:
        return c->disability[DISABILITY_VOTED] - (int64_t)form_sum_rows(c->voted);
    default:
        return 0;
    }
}
#define N_RESIDUALS SUGGEST_RESIDUALS

struct field {
    char name[sizeof(((struct suggestion *)0)->field)];
    uint16_t *value;
};

static int add_rows(struct field *f, int n, const char *part, uint16_t rows[3][2])
{
    static const char *const row_names[3] = {"dpt", "dpph", "dptb"};
    static const char *const sex_names[2] = {"m", "f"};
    for (int r = 0; r < 3; r++) {
        for (int s = 0; s < 2; s++) {
            snprintf(f[n].name, sizeof f[n].name, "%s.%s.%s", part, row_names[r], sex_names[s]);
            f[n++].value = &rows[r][s];
        }
    }
    return n;
}

static int add_field(struct field *f, int n, const char *name, uint16_t *value)
{
    snprintf(f[n].name, sizeof f[n].name, "%s", name);
    f[n].value = value;
    return n + 1;
}

/* Every count of the trial form, in the order of the contract's body. */
static int list_fields(struct trial *t, const struct contest *contest, struct field *f)
{
    static const char *const ballots[4] = {"ballots.received", "ballots.returned", "ballots.unused",
                                           "ballots.used"};
    struct form_counts *c = &t->c;
    int n = add_rows(f, 0, "registered", c->registered);
    n = add_rows(f, n, "voted", c->voted);
    for (int k = 0; k < 4; k++)
        n = add_field(f, n, ballots[k], &c->ballots[k]);
    n = add_field(f, n, "disability.registered", &c->disability[DISABILITY_REGISTERED]);
    n = add_field(f, n, "disability.voted", &c->disability[DISABILITY_VOTED]);
    for (int k = 0; k < t->n_votes; k++) {
        char name[24];
        snprintf(name, sizeof name, "votes.%d", contest->candidates[k].number);
        n = add_field(f, n, name, &t->votes[k]);
    }
    n = add_field(f, n, "valid", &c->valid);
    n = add_field(f, n, "invalid", &c->invalid);
    return add_field(f, n, "total", &c->total);
}

static uint32_t errors_of(const struct trial *t)
{
    return form_checks(&t->c, t->votes, t->n_votes, t->roll) & FORM_CHECK_ERRORS;
}

/* The values of one field at which some residual reaches 0. */
static int candidates(struct trial *t, uint16_t *x, int64_t *out)
{
    uint16_t x0 = *x;
    int n = 0;
    for (int k = 0; k < N_RESIDUALS; k++) {
        int64_t r0 = residual(t, k);
        *x = (uint16_t)(x0 + 1);
        int64_t slope = residual(t, k) - r0;
        *x = x0;
        if (slope == 0 || r0 % slope != 0)
            continue;
        int64_t v = x0 - r0 / slope;
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen |= out[i] == v;
        if (!seen && v >= 0 && v <= FORM_COUNT_MAX && v != x0)
            out[n++] = v;
    }
    return n;
}

int suggest_fixes(const struct form_counts *c, const uint16_t *votes, const struct contest *contest,
                  int32_t roll_dpt, struct suggestion *out, int max)
{
    struct trial t = {.c = *c, .n_votes = contest->n_candidates, .roll = roll_dpt};
    memcpy(t.votes, votes, (size_t)t.n_votes * sizeof t.votes[0]);
    uint32_t failing = errors_of(&t);
    if (!failing)
        return 0;
    struct field fields[SUGGEST_FIELDS_MAX];
    int n_fields = list_fields(&t, contest, fields);
    int n = 0;
    for (int i = 0; i < n_fields && n < max; i++) {
        uint16_t *x = fields[i].value, x0 = *x;
        int64_t values[N_RESIDUALS];
        int n_values = candidates(&t, x, values);
        for (int j = 0; j < n_values && n < max; j++) {
            *x = (uint16_t)values[j];
            if (!errors_of(&t)) {
                memcpy(out[n].field, fields[i].name, sizeof out[n].field);
                out[n].value = (int)values[j];
                out[n++].fixes = failing;
            }
            *x = x0;
        }
    }
    return n;
}
