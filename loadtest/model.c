/* See model.h. Loading is plain blocking libpq: it happens once, before
 * the event loop starts. */
#include "model.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PGconn *lt_db_connect(const char *conninfo)
{
    PGconn *db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "suara-load: cannot connect to the database: %s", PQerrorMessage(db));
        PQfinish(db);
        return NULL;
    }
    return db;
}

PGresult *lt_db_query(PGconn *db, const char *sql)
{
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "suara-load: query failed: %s(%.120s)\n", PQerrorMessage(db), sql);
        PQclear(r);
        return NULL;
    }
    return r;
}

int lt_db_exec(PGconn *db, const char *sql)
{
    PGresult *r = PQexec(db, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "suara-load: command failed: %s(%.120s)\n", PQerrorMessage(db), sql);
    PQclear(r);
    return ok ? 0 : -1;
}

/* The tree, built by the server's registry from the same tables. */
static int load_regions(struct model *m, PGconn *db)
{
    PGresult *r =
        lt_db_query(db, "SELECT code, 0 FROM regions UNION ALL SELECT code, dpt FROM tps");
    if (!r)
        return -1;
    registry_init(&m->reg);
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if (registry_add_region(&m->reg, PQgetvalue(r, i, 0), "", atoi(PQgetvalue(r, i, 1))) != 0) {
            fprintf(stderr, "suara-load: bad region %s\n", PQgetvalue(r, i, 0));
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);
    char err[256];
    if (registry_finish(&m->reg, err, sizeof err) != 0) {
        fprintf(stderr, "suara-load: %s\n", err);
        return -1;
    }
    m->regions = m->reg.regions;
    m->n_regions = m->reg.n_regions;
    for (int32_t i = 0; i < m->n_regions; i++)
        m->n_tps += m->regions[i].level == LEVEL_TPS;
    return 0;
}

static int load_contests(struct model *m, PGconn *db)
{
    PGresult *r = lt_db_query(db, "SELECT c.id, c.region, array_to_string(array_agg(k.number "
                                  "ORDER BY k.number), ',') FROM contests c JOIN candidates k "
                                  "ON k.contest = c.id GROUP BY c.id, c.region ORDER BY c.id");
    if (!r)
        return -1;
    int n = PQntuples(r);
    m->contests = xcalloc((size_t)n + 1, sizeof *m->contests);
    strmap_init(&m->by_contest);
    if (!m->contests)
        goto fail;
    for (int i = 0; i < n; i++) {
        struct lt_contest *c = &m->contests[i];
        snprintf(c->id, sizeof c->id, "%s", PQgetvalue(r, i, 0));
        c->root = model_find(m, PQgetvalue(r, i, 1));
        if (c->root < 0) {
            fprintf(stderr, "suara-load: contest %s: unknown region\n", c->id);
            goto fail;
        }
        for (char *p = PQgetvalue(r, i, 2); *p && c->n_cand < LT_MAX_CAND;) {
            c->numbers[c->n_cand++] = (int)strtol(p, &p, 10);
            if (*p == ',')
                p++;
        }
        if (strmap_put(&m->by_contest, c->id, (void *)(intptr_t)(i + 1)) != 0)
            goto fail;
    }
    m->n_contests = n;
    PQclear(r);
    return 0;
fail:
    PQclear(r);
    return -1;
}

static int build_slots_and_nodes(struct model *m)
{
    int64_t n_slots = 0;
    for (int c = 0; c < m->n_contests; c++) {
        struct lt_contest *ct = &m->contests[c];
        int32_t n = m->regions[ct->root].end - ct->root;
        ct->node_base = m->n_nodes;
        ct->vote_base = m->n_vote_counters;
        m->n_nodes += n;
        m->n_vote_counters += (int64_t)n * ct->n_cand;
        n_slots += m->regions[ct->root].n_tps;
    }
    m->nodes = xcalloc((size_t)m->n_nodes + 1, sizeof *m->nodes);
    m->votes = xcalloc((size_t)m->n_vote_counters + 1, sizeof *m->votes);
    m->slots = xcalloc((size_t)n_slots + 1, sizeof *m->slots);
    if (!m->nodes || !m->votes || !m->slots)
        return -1;
    /* By TPS, then contest: a TPS's forms are neighbours in the plan. */
    for (int32_t t = 0; t < m->n_regions; t++) {
        if (m->regions[t].level != LEVEL_TPS)
            continue;
        for (int c = 0; c < m->n_contests; c++) {
            int32_t root = m->contests[c].root;
            if (t >= root && t < m->regions[root].end)
                m->slots[m->n_slots++] = (struct lt_slot){t, (uint16_t)c};
        }
    }
    return 0;
}

int model_load(struct model *m, PGconn *db)
{
    memset(m, 0, sizeof *m);
    if (load_regions(m, db) != 0 || load_contests(m, db) != 0 || build_slots_and_nodes(m) != 0) {
        fprintf(stderr, "suara-load: could not load the election from the database\n");
        return -1;
    }
    return 0;
}

void model_free(struct model *m)
{
    registry_free(&m->reg);
    strmap_free(&m->by_contest);
    free(m->contests);
    free(m->slots);
    free(m->nodes);
    free(m->votes);
    memset(m, 0, sizeof *m);
}

int32_t model_find(const struct model *m, const char *code)
{
    return registry_find(&m->reg, code, strlen(code));
}

int model_contest(const struct model *m, const char *id)
{
    return (int)((intptr_t)strmap_get(&m->by_contest, id) - 1);
}

struct lt_node *model_node(const struct model *m, int c, int32_t r)
{
    const struct lt_contest *ct = &m->contests[c];
    if (r < ct->root || r >= m->regions[ct->root].end)
        return NULL;
    return &m->nodes[ct->node_base + (r - ct->root)];
}

int64_t *model_votes(const struct model *m, int c, int32_t r)
{
    const struct lt_contest *ct = &m->contests[c];
    if (r < ct->root || r >= m->regions[ct->root].end)
        return NULL;
    return &m->votes[ct->vote_base + (int64_t)(r - ct->root) * ct->n_cand];
}

int64_t lt_registered_total(const struct lt_counts *k)
{
    int64_t sum = 0;
    for (int row = 0; row < 3; row++)
        sum += k->registered[row][0] + k->registered[row][1];
    return sum;
}

void model_apply(struct model *m, int c, int32_t tps, const struct lt_counts *counted, bool held,
                 bool disputed, bool confirmed, int sign)
{
    const struct lt_contest *ct = &m->contests[c];
    for (int32_t r = tps; r >= ct->root; r = m->regions[r].parent) {
        struct lt_node *n = model_node(m, c, r);
        n->held += sign * held;
        n->disputed += sign * disputed;
        if (counted) {
            int64_t *v = model_votes(m, c, r);
            n->counted += sign;
            n->confirmed += sign * confirmed;
            n->registered += sign * lt_registered_total(counted);
            n->voted += sign * counted->total;
            n->valid += sign * counted->valid;
            n->invalid += sign * counted->invalid;
            for (int k = 0; k < ct->n_cand; k++)
                v[k] += sign * counted->votes[k];
        }
        if (r == ct->root || m->regions[r].parent < 0)
            break;
    }
}
