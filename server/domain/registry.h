/* The election's static facts in memory: the region tree down to the TPS
 * (with each TPS's DPT), and the contests with their candidate pairs.
 *
 * Regions are kept in one array sorted by code. Because codes are fixed-width
 * per level, that order is a preorder walk of the tree: every region's subtree
 * is the contiguous index range [i, region.end). A contest over region r
 * therefore covers exactly the indices [r, regions[r].end), which is how the
 * tallies index their nodes, and "is TPS t inside region r" is a range check.
 *
 * Built once at start-up (registry_add_* then registry_finish), read-only after. */
#ifndef SUARA_DOMAIN_REGISTRY_H
#define SUARA_DOMAIN_REGISTRY_H

#include "core/strmap.h"
#include "region_code.h"

#include <stdbool.h>
#include <stdint.h>

#define CONTEST_MAX_CANDIDATES 64
#define CONTEST_ID_MAX 23

struct region {
    char code[REGION_CODE_MAX + 1];
    uint8_t level;        /* enum region_level */
    int32_t parent;       /* index, -1 for the province */
    int32_t end;          /* one past the last index of the subtree */
    int32_t first_child;  /* index or -1 */
    int32_t next_sibling; /* index or -1 */
    int32_t n_children;
    int32_t n_tps; /* TPS in the subtree (1 for a TPS) */
    int32_t dpt;   /* TPS: its DPT from the roll; others: sum of the subtree */
    char *name;    /* owned; TPS get "TPS 001" */
};

struct candidate {
    int number; /* nomor urut */
    char *head;
    char *deputy;
};

struct contest {
    char id[CONTEST_ID_MAX + 1];
    char *kind;
    char *title;
    char region_code[REGION_CODE_MAX + 1];
    int32_t region; /* index of the region the contest covers */
    int index;      /* position in registry.contests */
    int n_candidates;
    struct candidate *candidates; /* sorted by number */
};

struct registry {
    struct region *regions;
    int32_t n_regions;
    int32_t cap_regions;
    struct contest *contests;
    int n_contests;
    int cap_contests;
    struct strmap by_code;    /* code -> (intptr_t)(index + 1) */
    struct strmap by_contest; /* id -> struct contest * */
};

void registry_init(struct registry *r);
void registry_free(struct registry *r);

/* Adds a region or TPS (level taken from the code). dpt only for a TPS. */
int registry_add_region(struct registry *r, const char *code, const char *name, int32_t dpt);
/* Adds a contest; candidates are added after it with registry_add_candidate. */
int registry_add_contest(struct registry *r, const char *id, const char *kind, const char *region,
                         const char *title);
int registry_add_candidate(struct registry *r, const char *contest_id, int number, const char *head,
                           const char *deputy);
/* Sorts, links parents and children, resolves contest regions. Fails (with a
 * message in err) on an orphan region, a duplicate code or a contest whose
 * region does not exist. */
int registry_finish(struct registry *r, char *err, size_t err_size);

/* Index of the region or TPS with this code, or -1. */
int32_t registry_find(const struct registry *r, const char *code, size_t len);
const struct contest *registry_contest(const struct registry *r, const char *id, size_t len);
/* Position of a candidate number in contest->candidates, or -1. */
int contest_candidate_pos(const struct contest *c, int number);

static inline bool region_contains(const struct registry *r, int32_t outer, int32_t inner)
{
    return inner >= outer && inner < r->regions[outer].end;
}

#endif
