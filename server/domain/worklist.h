/* Worklists: which TPS of a contest need attention, per status, kept in step
 * with the tallies so that the monitoring desk's lists never scan the forms.
 *
 * A status is one row of a table (worklist.c): a name and a rule over the
 * TPS's state as the tallies see it. Each status has one bit per region index
 * of the contest (bits of non-TPS regions stay 0). The registry's preorder
 * makes every region's TPS a contiguous range of bits, so a node's total is a
 * popcount of its range and a page in TPS code order is a walk over set bits
 * from the cursor: O(range / 64 + page), whatever the number of forms.
 * tally_apply updates a TPS's bits after every change of its state. */
#ifndef SUARA_DOMAIN_WORKLIST_H
#define SUARA_DOMAIN_WORKLIST_H

#include "registry.h"
#include "tally.h"

#include <stdint.h>

enum worklist_status {
    WL_MISSING,     /* no counted form */
    WL_HELD,        /* a form waits for review because it failed a check */
    WL_DISPUTED,    /* a second witness's numbers differ from the counted form */
    WL_UNCONFIRMED, /* counted, no second witness agreed */
    WL_NO_PHOTO,    /* counted, no stored photo */
    WL_FLAGGED,     /* the counted form carries a warning */
    WL_KPU_DIFFERS, /* counted, and KPU's Sirekap figures differ */
    WL_COUNT
};

struct worklists;

/* Every TPS starts in the lists an empty state puts it in (missing). */
struct worklists *worklists_new(const struct registry *reg);
void worklists_free(struct worklists *w);

/* The TPS at `node` (region index - contest root) now has state s. */
void worklists_set(struct worklists *w, int contest, int32_t node, const struct tps_state *s);
/* Sets one status of one node (the photos' answer, which form_photos.c
 * knows better than a tps_state: see has_no_photo). */
void worklists_set_one(struct worklists *w, int contest, int32_t node, int status, bool on);

/* "missing", ... -> enum worklist_status, or -1. */
int worklist_status_parse(const char *name);
const char *worklist_status_name(int status);

/* TPS with `status` among the nodes [lo, hi) of the contest. */
int64_t worklist_count(const struct worklists *w, int contest, int status, int32_t lo, int32_t hi);
/* Up to max nodes with `status` in [lo, hi), in order, into out; returns how
 * many were found. */
int worklist_collect(const struct worklists *w, int contest, int status, int32_t lo, int32_t hi,
                     int32_t *out, int max);

#endif
