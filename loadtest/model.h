/* The election the load test plays: the region tree down to the TPS (with
 * each TPS's DPT), the contests with their candidate numbers, every
 * (TPS, contest) slot, and the generator's own expected tallies at every
 * node of every contest. Read from the server's database with libpq.
 *
 * The region tree is the server's own registry (domain/registry.h): one array
 * sorted by code, a preorder walk, so a subtree is the index range [i, end)
 * and a contest over region r has one expected node per index in [r, end). */
#ifndef SUARA_LOAD_MODEL_H
#define SUARA_LOAD_MODEL_H

#include "core/strmap.h"
#include "domain/registry.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#define LT_MAX_CAND 64
#define LT_CONTEST_ID_MAX 23

struct lt_contest {
    char id[LT_CONTEST_ID_MAX + 1];
    int32_t root; /* region index */
    int n_cand;
    int numbers[LT_MAX_CAND]; /* nomor urut, ascending */
    int64_t node_base;        /* first expected node of this contest */
    int64_t vote_base;        /* first vote counter: n_cand per node */
};

/* One form's counts, in the contract's terms. */
struct lt_counts {
    uint16_t registered[3][2], voted[3][2]; /* dpt, dpph, dptb x m, f */
    uint16_t ballots[4];                    /* received, returned, unused, used */
    uint16_t disability[2];                 /* registered, voted */
    uint16_t valid, invalid, total;
    int n_votes;
    uint16_t votes[LT_MAX_CAND]; /* by candidate position */
};

/* Expected totals of one tally node. */
struct lt_node {
    int32_t counted, held, disputed, confirmed;
    int64_t registered, voted, valid, invalid;
};

struct lt_slot {
    int32_t tps;
    uint16_t contest;
};

struct model {
    struct registry reg;          /* the region tree only (contests are below) */
    const struct region *regions; /* reg.regions */
    int32_t n_regions, n_tps;
    struct lt_contest *contests;
    int n_contests;
    struct strmap by_contest;
    struct lt_slot *slots; /* every (TPS, contest) pair, by TPS then contest */
    int64_t n_slots;
    struct lt_node *nodes; /* expected, per contest from node_base */
    int64_t *votes;        /* expected votes, per contest from vote_base */
    int64_t n_nodes, n_vote_counters;
};

/* Loads the model from an open connection. 0, or -1 with a message on stderr. */
int model_load(struct model *m, PGconn *db);
void model_free(struct model *m);

int32_t model_find(const struct model *m, const char *code);
int model_contest(const struct model *m, const char *id);
/* The expected node of region r in contest c, or NULL when r lies outside. */
struct lt_node *model_node(const struct model *m, int c, int32_t r);
int64_t *model_votes(const struct model *m, int c, int32_t r);
/* Adds (sign = +1) or removes (-1) one TPS's final state at every level. */
void model_apply(struct model *m, int c, int32_t tps, const struct lt_counts *counted, bool held,
                 bool disputed, bool confirmed, int sign);
int64_t lt_registered_total(const struct lt_counts *k);

/* A connection or NULL (message on stderr). */
PGconn *lt_db_connect(const char *conninfo);
/* Runs a query that returns rows; NULL (message on stderr) on failure. */
PGresult *lt_db_query(PGconn *db, const char *sql);
/* Runs a command; 0 or -1 (message on stderr). */
int lt_db_exec(PGconn *db, const char *sql);

#endif
