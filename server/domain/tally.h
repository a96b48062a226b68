/* Live tallies per contest at every level, from the province down to the TPS.
 *
 * A contest over region r has one node per region in r's subtree, indexed by
 * (region index - r) thanks to the registry's preorder (see registry.h). A
 * TPS node's totals are those of its counted form; every other node is the
 * sum of its children. Tallies move only by tally_apply, which walks from the
 * TPS to the contest's root adding the difference between two states of the
 * TPS - so a correction moves every level by exactly the change. */
#ifndef SUARA_DOMAIN_TALLY_H
#define SUARA_DOMAIN_TALLY_H

#include "form.h"
#include "registry.h"

#include <stdbool.h>
#include <stdint.h>

struct tally_node {
    int64_t seq; /* the last change that touched this node */
    int32_t tps_total, tps_counted, tps_held, tps_disputed, tps_confirmed;
    int32_t tps_flagged;     /* counted TPS whose counted form has a warning */
    int32_t tps_with_photo;  /* counted TPS whose counted form's photos are all stored */
    int32_t tps_kpu_differs; /* counted TPS whose form differs from KPU's Sirekap figures */
    int64_t registered, voted, valid, invalid;
    uint8_t final; /* TALLY_FINAL_* bits: the result of this node is final */
};

/* A region becomes final in two steps, like a form: when its finalisation is
 * sealed into a batch, later forms and decisions there are refused (SEALED);
 * once it is committed, reads show it (SHOWN). */
#define TALLY_FINAL_SEALED 1u
#define TALLY_FINAL_SHOWN 2u

struct contest_tally {
    const struct contest *contest;
    int32_t base; /* region index of the contest's root */
    int32_t n;    /* nodes */
    struct tally_node *nodes;
    int64_t *votes; /* n * contest->n_candidates, node-major */
};

struct worklists; /* worklist.h: which TPS need attention, kept in step */
struct kpu;       /* kpu.h: KPU's own figures, NULL until loaded */

struct tallies {
    const struct registry *reg;
    struct worklists *worklists;
    struct kpu *kpu;
    int64_t kpu_generation;         /* bumped by kpu_install: new KPU figures move no seq */
    struct contest_tally *contests; /* by contest index */
    int n_contests;
    int64_t seq; /* the newest seq applied to any node */
    /* The (contest, TPS) pairs moved since the live feed's last tick (see
     * tally_dirty_key), so that the tick walks only what moved. Past
     * TALLY_DIRTY_MAX entries it only records that it overflowed. */
    uint64_t *dirty;
    int32_t n_dirty, cap_dirty;
    bool dirty_overflow;
};

#define TALLY_DIRTY_MAX 65536
static inline uint64_t tally_dirty_key(int contest, int32_t region)
{
    return (uint64_t)(uint32_t)contest << 32 | (uint32_t)region;
}
/* Forgets the moved pairs (after the tick has walked them). */
void tally_dirty_clear(struct tallies *t);
struct form;

/* What of a TPS's state in one contest shows in the tallies. */
struct tps_state {
    struct form *counted;             /* the counted form, or NULL */
    const struct form_counts *counts; /* the counted form, or NULL */
    const uint16_t *votes;            /* its votes by candidate position */
    bool confirmed, held, disputed;
    bool flagged;     /* the counted form carries a warning */
    bool kpu_differs; /* set by tally_apply from the KPU figures */
};

int tallies_init(struct tallies *t, const struct registry *reg);
void tallies_free(struct tallies *t);
void tally_apply(struct tallies *t, int contest, int32_t tps, const struct tps_state *before,
                 const struct tps_state *after, int64_t seq);

/* Moves tps_with_photo by delta from the TPS up to the contest's root. Not
 * a change of seq: a photo arriving moves no count. */
void tally_add_with_photo(struct tallies *t, int contest, int32_t tps, int delta);

/* The node of `region` in `contest`, or NULL when the region lies outside. */
const struct tally_node *tally_node(const struct tallies *t, int contest, int32_t region);
const int64_t *tally_votes(const struct tallies *t, int contest, int32_t region);

/* Sets `bits` on the node of `region` and of every region below it. */
void tally_mark_final(struct tallies *t, int contest, int32_t region, unsigned bits);

/* Sum of all registered rows, the form's contribution to `registered`. */
int64_t form_registered_total(const struct form_counts *c);

#endif
