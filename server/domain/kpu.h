/* KPU's own published figures, a source separate from the witnesses
 * (`suara import kpu`): Sirekap's per-TPS results, summed at every level like
 * the tallies, and the kabupaten/kota recapitulation (D.Hasil) where it was
 * imported. Pure logic: db/load.c reads the rows, tally.c asks whether a TPS's
 * counted form differs from KPU's figures (the kpu_differs counter and
 * worklist), and kpu_install swaps in a freshly loaded set after an import. */
#ifndef SUARA_DOMAIN_KPU_H
#define SUARA_DOMAIN_KPU_H

#include "ledger.h"
#include "registry.h"
#include "tally.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* Figures of one node: for a TPS its own Sirekap row (tps = 1), above it the
 * sum of the rows under it. valid/invalid are -1 where KPU gave none. */
struct kpu_node {
    int32_t tps; /* TPS with Sirekap figures under the node */
    int64_t valid, invalid;
};

struct kpu_recap {
    int32_t region;
    int64_t *votes; /* by candidate position */
};

struct kpu_contest {
    int32_t base, n;
    struct kpu_node *nodes;
    int64_t *votes; /* n * n_candidates */
    struct kpu_recap *recaps;
    int n_recaps, cap_recaps;
};

struct kpu {
    const struct registry *reg;
    int n_contests;
    struct kpu_contest *contests;
    int64_t rows;
};

int kpu_init(struct kpu *k, const struct registry *reg);
void kpu_free(struct kpu *k);

/* Adds one row of kpu_results. source "sirekap" (region a TPS) or "recap"
 * (any region; normally a kabupaten/kota). votes by candidate position;
 * valid/invalid -1 when unknown. SU_INVAL for a region outside the contest
 * or a second Sirekap row for one TPS, SU_NOMEM. */
int kpu_add(struct kpu *k, int contest, int32_t region, bool recap, const int64_t *votes,
            int64_t valid, int64_t invalid);

/* Whether the TPS's counted form (state) disagrees with KPU's Sirekap
 * figures for it: votes of any pair, or valid or invalid where given. False
 * when either side has no figures. */
bool kpu_tps_differs(const struct kpu *k, int contest, int32_t tps, const struct tps_state *s);

/* Replaces the tallies' KPU figures by `fresh` (taking it over, the old set
 * is freed) and recomputes every node's kpu_differs and the worklist. */
void kpu_install(struct ledger *l, struct kpu *fresh);

/* Adds "kpu": {"tps", "valid", "invalid", "votes"} where Sirekap figures
 * exist under the node, and "kpu_recap": {"votes"} where a recap was
 * imported for it, to a tally node's JSON; nothing otherwise (every live
 * message carries the nodes, so absent figures cost no bytes). */
void kpu_add_json(cJSON *node, const struct tallies *t, int contest, int32_t region);

#endif
