/* The timeline: how the count moved over the night, as periodic snapshots of
 * the province and kabupaten/kota nodes of every contest. Pure logic: the
 * points live here, db/snapshot.c writes new ones to PostgreSQL and
 * db/load.c reads the stored ones back at start-up, so the timeline survives
 * a restart and reads never wait on the database.
 *
 * A series is one (contest, node) pair; it gains a point only when the node's
 * seq moved since its last point. Each series keeps at most max_points (the
 * oldest are dropped, in memory only: the table keeps every row). */
#ifndef SUARA_DOMAIN_TIMELINE_H
#define SUARA_DOMAIN_TIMELINE_H

#include "registry.h"
#include "tally.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* Points kept in memory per series: two days at the default 60 s period. */
#define TIMELINE_MAX_POINTS 2880

struct timeline_point {
    int64_t at_ms;
    int64_t seq;
    int64_t valid, invalid;
    int32_t tps_counted;
};

struct timeline_series {
    int32_t region;
    int n, cap;
    int n_stored;  /* points [0, n_stored) are in the database */
    int n_sending; /* points [n_stored, n_sending) are being written */
    struct timeline_point *points;
    int64_t *votes; /* cap * n_candidates, point-major */
};

struct timeline_contest {
    int n_candidates;
    int n_series;
    struct timeline_series *series;
};

struct timeline {
    const struct registry *reg;
    int n_contests;
    struct timeline_contest *contests;
    int max_points;
};

int timeline_init(struct timeline *tl, const struct registry *reg, int max_points);
void timeline_free(struct timeline *tl);

/* The series of (contest, region), or NULL when the region is not a
 * province or kabupaten/kota node of the contest. */
struct timeline_series *timeline_series(const struct timeline *tl, int contest, int32_t region);

/* Adds a point at now_ms to every series whose node's seq moved since its
 * last point; returns how many were added. */
int timeline_take(struct timeline *tl, const struct tallies *t, int64_t now_ms);
/* Start-up: a stored point (already in the database), in seq order per
 * series. votes has n_votes entries (extra or missing ones are ignored/0). */
int timeline_load_point(struct timeline *tl, int contest, int32_t region,
                        const struct timeline_point *p, const int64_t *votes, int n_votes);

/* {"contest", "region", "points": [{"at", "seq", "tps_counted", "valid",
 * "invalid", "votes": {...}}]}, oldest first. */
cJSON *timeline_json(const struct timeline *tl, int contest, int32_t region);

#endif
