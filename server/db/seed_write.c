/* See seed_write.h. The whole seed is rendered as COPY input first, so a
 * seed too big for memory fails before the database is touched; then one
 * transaction, serialised against other seed runs by an advisory lock. */
#include "seed_write.h"
#include "core/buf.h"
#include "core/err.h"
#include "sync.h"

#include <stdio.h>
#include <string.h>

#define SEED_LOCK_KEY "495874470498"

/* COPY input, one CSV buffer per temporary table. */
struct copy_input {
    struct buf regions, tps, contests, candidates;
};

static const char *const setup_sql[] = {
    "CREATE TEMP TABLE seed_regions (code text, parent text, level text, name text)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_tps (code text, desa text, number integer, dpt integer)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_contests (id text, kind text, region text, title text)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE seed_candidates (contest text, number integer, head text, deputy text,"
    " verified boolean) ON COMMIT DROP",
};

/* Upserts that leave unchanged rows alone (no dead tuples on a re-run). */
static const char *const upsert_sql[] = {
    "INSERT INTO regions (code, parent, level, name)"
    " SELECT code, parent, level, name FROM seed_regions ORDER BY code"
    " ON CONFLICT (code) DO UPDATE SET parent = EXCLUDED.parent, level = EXCLUDED.level,"
    " name = EXCLUDED.name"
    " WHERE (regions.parent, regions.level, regions.name)"
    " IS DISTINCT FROM (EXCLUDED.parent, EXCLUDED.level, EXCLUDED.name)",
    "INSERT INTO tps (code, desa, number, dpt)"
    " SELECT code, desa, number, dpt FROM seed_tps ORDER BY code"
    " ON CONFLICT (code) DO UPDATE SET desa = EXCLUDED.desa, number = EXCLUDED.number,"
    " dpt = EXCLUDED.dpt"
    " WHERE (tps.desa, tps.number, tps.dpt) IS DISTINCT FROM"
    " (EXCLUDED.desa, EXCLUDED.number, EXCLUDED.dpt)",
    "INSERT INTO contests (id, kind, region, title)"
    " SELECT id, kind, region, title FROM seed_contests ORDER BY id"
    " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, region = EXCLUDED.region,"
    " title = EXCLUDED.title"
    " WHERE (contests.kind, contests.region, contests.title)"
    " IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.region, EXCLUDED.title)",
    "DELETE FROM candidates k USING seed_contests c WHERE k.contest = c.id"
    " AND NOT EXISTS (SELECT 1 FROM seed_candidates s"
    " WHERE s.contest = k.contest AND s.number = k.number)",
    "INSERT INTO candidates (contest, number, head, deputy, verified)"
    " SELECT contest, number, head, deputy, verified FROM seed_candidates"
    " ORDER BY contest, number"
    " ON CONFLICT (contest, number) DO UPDATE SET head = EXCLUDED.head,"
    " deputy = EXCLUDED.deputy, verified = EXCLUDED.verified"
    " WHERE (candidates.head, candidates.deputy, candidates.verified)"
    " IS DISTINCT FROM (EXCLUDED.head, EXCLUDED.deputy, EXCLUDED.verified)",
};

/* Contests that already have forms must keep their region and candidate
 * numbers: stored votes are positional, and moving a contest would strand
 * its forms. Names may still be corrected. */
static const char frozen_sql[] =
    "SELECT c.id FROM seed_contests c JOIN contests old ON old.id = c.id"
    " WHERE EXISTS (SELECT 1 FROM forms f WHERE f.contest = c.id)"
    " AND (old.region <> c.region"
    " OR ARRAY(SELECT number FROM candidates WHERE contest = c.id ORDER BY number)"
    " IS DISTINCT FROM"
    " ARRAY(SELECT number FROM seed_candidates WHERE contest = c.id ORDER BY number))"
    " ORDER BY c.id";

/* Appends one CSV record of n fields (NULL = SQL NULL) to a COPY buffer. */
static int emit(struct buf *out, int n, const char *const *fields)
{
    int rc = SU_OK;
    for (int i = 0; i < n && rc == SU_OK; i++)
        rc = sync_csv_field(out, fields[i], i == 0);
    if (rc == SU_OK)
        rc = buf_append(out, "\n", 1);
    return rc;
}

static int emit_regions(struct buf *out, const struct seed *s)
{
    int rc = SU_OK;
    for (size_t i = 0; i < s->n_regions && rc == SU_OK; i++) {
        const struct seed_region *r = &s->regions[i];
        const char *fields[] = {r->code, r->parent[0] ? r->parent : NULL,
                                region_level_name(r->level), r->name};
        rc = emit(out, 4, fields);
    }
    return rc;
}

static int emit_tps(struct buf *out, const struct seed *s)
{
    int rc = SU_OK;
    for (size_t i = 0; i < s->n_tps && rc == SU_OK; i++) {
        const struct seed_tps *t = &s->tps[i];
        char number[16], dpt[16];
        snprintf(number, sizeof number, "%d", t->number);
        snprintf(dpt, sizeof dpt, "%d", t->dpt);
        const char *fields[] = {t->code, t->desa, number, dpt};
        rc = emit(out, 4, fields);
    }
    return rc;
}

static int emit_contests(struct buf *out, const struct seed *s)
{
    int rc = SU_OK;
    for (size_t i = 0; i < s->n_contests && rc == SU_OK; i++) {
        const struct seed_contest *c = &s->contests[i];
        const char *fields[] = {c->id, c->kind, c->region, c->title};
        rc = emit(out, 4, fields);
    }
    return rc;
}

static int emit_candidates(struct buf *out, const struct seed *s)
{
    int rc = SU_OK;
    for (size_t i = 0; i < s->n_candidates && rc == SU_OK; i++) {
        const struct seed_candidate *k = &s->candidates[i];
        char number[16];
        snprintf(number, sizeof number, "%d", k->number);
        const char *fields[] = {k->contest, number, k->head, k->deputy,
                                k->verified ? "true" : "false"};
        rc = emit(out, 5, fields);
    }
    return rc;
}

/* Renders the model as COPY input. SU_OK, SU_NOMEM or SU_TOOBIG. */
static int render(struct copy_input *in, const struct seed *s)
{
    buf_init(&in->regions, 64 << 20);
    buf_init(&in->tps, 64 << 20);
    buf_init(&in->contests, 16 << 20);
    buf_init(&in->candidates, 16 << 20);
    int rc = emit_regions(&in->regions, s);
    if (rc == SU_OK)
        rc = emit_tps(&in->tps, s);
    if (rc == SU_OK)
        rc = emit_contests(&in->contests, s);
    if (rc == SU_OK)
        rc = emit_candidates(&in->candidates, s);
    return rc;
}

static void render_free(struct copy_input *in)
{
    buf_free(&in->regions);
    buf_free(&in->tps);
    buf_free(&in->contests);
    buf_free(&in->candidates);
}

/* Refuses a database that `suara migrate` has not prepared. SU_OK or SU_ERR. */
static int check_schema(struct sync_db *db, const char *who)
{
    struct pg_result *res = sync_query(db, "SELECT to_regclass('candidates') IS NOT NULL", 0, NULL);
    if (!res)
        return SU_ERR;
    int rc = SU_OK;
    if (strcmp(sync_value(res, 0, 0), "t") != 0) {
        fprintf(stderr, "%s: the database has no Suara schema yet: run `suara migrate` first\n",
                who);
        rc = SU_ERR;
    }
    sync_clear(res);
    return rc;
}

/* Creates the temporary tables and fills them. SU_OK or SU_ERR. */
static int copy_all(struct sync_db *db, const struct copy_input *in)
{
    for (size_t i = 0; i < sizeof setup_sql / sizeof setup_sql[0]; i++) {
        if (sync_exec(db, setup_sql[i], 0, NULL) != SU_OK)
            return SU_ERR;
    }
    const struct {
        const char *sql;
        const struct buf *data;
    } copies[] = {
        {"COPY seed_regions FROM STDIN (FORMAT csv)", &in->regions},
        {"COPY seed_tps FROM STDIN (FORMAT csv)", &in->tps},
        {"COPY seed_contests FROM STDIN (FORMAT csv)", &in->contests},
        {"COPY seed_candidates FROM STDIN (FORMAT csv)", &in->candidates},
    };
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        if (sync_copy(db, copies[i].sql, copies[i].data->data ? copies[i].data->data : "",
                      copies[i].data->len) != SU_OK)
            return SU_ERR;
    }
    return SU_OK;
}

/* Refuses to move a contest that has forms (see frozen_sql). SU_OK or SU_ERR. */
static int check_frozen(struct sync_db *db, const char *who)
{
    struct pg_result *res = sync_query(db, frozen_sql, 0, NULL);
    if (!res)
        return SU_ERR;
    for (int r = 0; r < sync_rows(res); r++)
        fprintf(stderr,
                "%s: contest %s already has forms: its region and candidate numbers "
                "cannot change\n",
                who, sync_value(res, r, 0));
    int rc = sync_rows(res) > 0 ? SU_ERR : SU_OK;
    sync_clear(res);
    return rc;
}

static int upsert_all(struct sync_db *db)
{
    for (size_t i = 0; i < sizeof upsert_sql / sizeof upsert_sql[0]; i++) {
        if (sync_exec(db, upsert_sql[i], 0, NULL) != SU_OK)
            return SU_ERR;
    }
    return SU_OK;
}

int seed_write(const struct seed *s, const char *who, const char *conninfo)
{
    struct copy_input in;
    struct sync_db db = {0};
    int rc = render(&in, s);
    if (rc != SU_OK) {
        fprintf(stderr, "%s: %s\n", who, su_strerror(rc));
        render_free(&in);
        return SU_ERR;
    }
    if (sync_connect(&db, who, conninfo) != SU_OK) {
        render_free(&in);
        return SU_ERR;
    }
    const char *key[] = {SEED_LOCK_KEY};
    rc = check_schema(&db, who);
    if (rc == SU_OK)
        rc = sync_begin(&db);
    if (rc == SU_OK)
        rc = sync_exec(&db, "SELECT pg_advisory_xact_lock($1)", 1, key);
    if (rc == SU_OK)
        rc = copy_all(&db, &in);
    if (rc == SU_OK)
        rc = check_frozen(&db, who);
    if (rc == SU_OK)
        rc = upsert_all(&db);
    if (rc == SU_OK)
        rc = sync_commit(&db);
    if (rc != SU_OK)
        fprintf(stderr, "%s: nothing was written\n", who);
    sync_close(&db);
    render_free(&in);
    return rc == SU_OK ? SU_OK : SU_ERR;
}
