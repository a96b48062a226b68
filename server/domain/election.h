/* The election's state beside the count: the mode (a rehearsal in `test`, the
 * real count in `live`), the epoch a server loaded (every batch it writes
 * asserts it, see schema/007_election_life.sql), and the regions whose result
 * is final. Pure data and rules, no I/O. */
#ifndef SUARA_DOMAIN_ELECTION_H
#define SUARA_DOMAIN_ELECTION_H

#include "tally.h"

#include <stdbool.h>
#include <stdint.h>

/* The channel `suara election` notifies and the server listens on. */
#define ELECTION_CHANNEL "suara_election"
/* Reasons of a finalisation or an amendment, in bytes. */
#define ELECTION_REASON_MAX 2000

enum election_mode { MODE_TEST, MODE_LIVE };

const char *election_mode_name(enum election_mode mode);
/* MODE_TEST or MODE_LIVE for "test"/"live", else -1. */
int election_mode_parse(const char *name);

struct election {
    enum election_mode mode;
    int epoch;
    unsigned char genesis[32]; /* where the receipt chain starts */
};

/* A region whose result is final in a contest (its whole subtree). */
struct final_region {
    int contest;
    int32_t region;
    int64_t at_ms;
};

struct finals {
    struct final_region *list; /* in the order they became final */
    int n, cap;
};

void finals_free(struct finals *f);
/* Records a final region and marks its subtree's tally nodes final
 * (TALLY_FINAL_SEALED | TALLY_FINAL_SHOWN). SU_OK or SU_NOMEM. */
int finals_add(struct finals *f, struct tallies *t, int contest, int32_t region, int64_t at_ms);
/* Whether the region (TPS or above) is final in the contest, as decided so
 * far: forms and decisions there are refused unless they are amendments. */
bool finals_covers(const struct tallies *t, int contest, int32_t region);

#endif
