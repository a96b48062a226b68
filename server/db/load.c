/* See load.h. Each stage is one COPY; the next starts when the previous is
 * done, since later stages resolve codes against what earlier ones built.
 *
 * What takes seconds at a national size runs in libuv's thread pool: the
 * registry's tree between the registry stages and the rest, and at the end
 * the public log (with the replay of the rules) beside the tallies' rebuild,
 * on two threads. The loop meanwhile answers /readyz 503 and sends the
 * fence's heartbeats (fence.h): a server busy loading must not look hung and
 * lose its claim. Nothing else touches the target until the load is done
 * (every API call is 503 not_ready before), and no stage runs while a pool
 * step does. */
#include "load.h"
#include "copy.h"
#include "form_row.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "domain/kpu.h"
#include "domain/log_entry.h"
#include "core/mem.h"
#include "domain/receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The schema this server writes: migrations up to this version. */
#define SCHEMA_VERSION 12

/* One server per database: each keeps the tallies in its own memory, so a
 * second writer would make both wrong. The claim (schema/005_writer_claim.sql)
 * is a session advisory lock plus a generation number that every batch and
 * every reclaim must still match. */
static const char sql_claim[] = "COPY (SELECT suara_claim()) TO STDOUT";
#define CLAIM_ERROR "another suara serve holds this database; stop it first"

/* The newest migration, and whether the public log's (006, which landed after
 * 007 to 011) is applied too: a database migrated before it has a newer
 * version but not its tables. */
static const char sql_schema[] =
    "COPY (SELECT coalesce(max(version), 0), bool_or(version = 6) FROM schema_migrations) "
    "TO STDOUT";
static const char sql_regions[] = "COPY (SELECT code, name FROM regions) TO STDOUT";
static const char sql_tps[] =
    "COPY (SELECT code, 'TPS ' || lpad(number::text, 3, '0'), dpt FROM tps) TO STDOUT";
static const char sql_contests[] =
    "COPY (SELECT id, kind, region, title FROM contests ORDER BY region, id) TO STDOUT";
static const char sql_candidates[] =
    "COPY (SELECT contest, number, head, deputy FROM candidates) TO STDOUT";
static const char sql_tokens[] = "COPY (SELECT id, hash, role, scope, name FROM tokens "
                                 "WHERE revoked_at IS NULL) TO STDOUT";
/* The planner's estimate is enough to size the indexes (-1: never analysed). */
static const char sql_estimate[] = "COPY (SELECT greatest(reltuples, 0)::bigint FROM pg_class "
                                   "WHERE oid = 'forms'::regclass) TO STDOUT";
static const char sql_election[] = "COPY (SELECT mode, epoch, genesis FROM election) TO STDOUT";
static const char sql_finals[] =
    "COPY (SELECT contest, region, round(date_part('epoch', at) * 1000)::bigint FROM finals"
    " ORDER BY at, contest, region) TO STDOUT";
static const char sql_forms[] = "COPY (SELECT " FORM_ROW_COLUMNS ") TO STDOUT";
static const char sql_kpu[] =
    "COPY (SELECT contest, region, source, votes, coalesce(valid, -1), coalesce(invalid, -1)"
    " FROM kpu_results) TO STDOUT";
static const char sql_snapshots[] =
    "COPY (SELECT contest, region, seq, (date_part('epoch', at) * 1000)::bigint, tps_counted,"
    " valid, invalid, votes FROM tally_snapshots ORDER BY contest, region, seq) TO STDOUT";

struct loader {
    uv_loop_t *loop;
    struct pg *pg;
    struct load_target *t;
    struct copy_job copy;
    int stage;
    void (*done)(void *ctx, bool ok);
    void *ctx;
    int64_t started_ms, started_cpu_ms;
    uint64_t session;    /* the session that holds the claim */
    bool registry_built; /* the pool step after the registry stages is done */
    bool stopped;        /* load_stop: never touch pg again */
    uv_work_t log_work, tally_work;
    int in_pool; /* pool steps not yet back on the loop */
    bool step_ok, log_ok;
    int64_t log_ms, log_cpu_ms, tally_ms;
    char why[216]; /* where the history breaks */
};

static void next_stage(void *ctx, bool ok);

static int row_claim(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n == 1 && f[0]) { /* NULL: another server holds the lock */
        l->t->claim_generation = atoll(f[0]);
        l->session = l->t->claim_session = pg_session(l->pg);
        return 0;
    }
    snprintf(l->copy.error, sizeof l->copy.error, CLAIM_ERROR);
    return -1;
}

static int row_schema(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n == 2 && f[0] && atoi(f[0]) >= SCHEMA_VERSION && f[1] && strcmp(f[1], "t") == 0)
        return 0;
    snprintf(l->copy.error, sizeof l->copy.error,
             "the database schema is older than this server (version %d needed): run suara migrate",
             SCHEMA_VERSION);
    return -1;
}

static int row_region(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n != 2 || !f[0] || !f[1])
        return -1;
    return registry_add_region(l->t->reg, f[0], f[1], 0);
}

static int row_tps(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n != 3 || !f[0] || !f[1] || !f[2])
        return -1;
    return registry_add_region(l->t->reg, f[0], f[1], atoi(f[2]));
}

static int row_contest(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n != 4 || !f[0] || !f[1] || !f[2] || !f[3])
        return -1;
    return registry_add_contest(l->t->reg, f[0], f[1], f[2], f[3]);
}

static int row_candidate(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n != 4 || !f[0] || !f[1] || !f[2] || !f[3])
        return -1;
    return registry_add_candidate(l->t->reg, f[0], atoi(f[1]), f[2], f[3]);
}

static int add_token(struct auth *auth, const struct registry *reg, char **f, int n)
{
    if (n != 5 || !f[0] || !f[1] || !f[2] || !f[3])
        return -1;
    /* A token with an unknown scope is skipped, never widened. */
    int rc = auth_add(auth, reg, atoi(f[0]), f[1], f[2], f[3], f[4] ? f[4] : "");
    if (rc == SU_INVAL)
        log_warn("token_skipped", "id=%s scope=%s", f[0], f[3]);
    return rc == SU_NOMEM ? -1 : 0;
}

static int row_token(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    return add_token(l->t->auth, l->t->reg, f, n);
}

static int parse_election(struct election *e, char **f, int n)
{
    int mode = n == 3 && f[0] && f[1] && f[2] ? election_mode_parse(f[0]) : -1;
    if (mode < 0 || receipt_parse_hex(f[2], e->genesis) != 0)
        return -1;
    e->mode = (enum election_mode)mode;
    e->epoch = atoi(f[1]);
    return 0;
}

static int row_election(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (parse_election(l->t->election, f, n) != 0)
        return -1;
    ledger_set_genesis(l->t->ledger, l->t->election->genesis);
    return 0;
}

/* A final region that no longer resolves (renamed seed data) is skipped. */
static int add_final(struct finals *finals, struct tallies *t, const struct registry *reg, char **f,
                     int n)
{
    if (n != 3 || !f[0] || !f[1] || !f[2])
        return -1;
    const struct contest *c = registry_contest(reg, f[0], strlen(f[0]));
    int32_t r = registry_find(reg, f[1], strlen(f[1]));
    if (!c || r < 0 || !tally_node(t, c->index, r)) {
        log_warn("final_skipped", "contest=%s region=%s", f[0], f[1]);
        return 0;
    }
    if (finals_covers(t, c->index, r) && finals->n) /* inside one already final */
        return 0;
    return finals_add(finals, t, c->index, r, atoll(f[2])) == SU_OK ? 0 : -1;
}

static int row_final(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    return add_final(&l->t->ledger->finals, l->t->tallies, l->t->reg, f, n);
}

static int row_estimate(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    if (n == 1 && f[0] && ledger_reserve(l->t->ledger, atoll(f[0])) != SU_OK)
        return -1;
    return 0;
}

static int row_form(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    const struct registry *reg = l->t->reg;
    struct form *form = form_row_parse(f, n);
    if (!form)
        return -1;
    const char *tps = f[FORM_ROW_TPS], *contest = f[FORM_ROW_CONTEST];
    const struct contest *c = registry_contest(reg, contest, strlen(contest));
    form->tps = registry_find(reg, tps, strlen(tps));
    if (form->tps < 0 || !c || form->n_votes != c->n_candidates ||
        !region_contains(reg, c->region, form->tps)) {
        snprintf(l->copy.error, sizeof l->copy.error, "form %lld: unknown TPS or contest",
                 (long long)form->id);
        form_discard(form, NULL);
        return -1;
    }
    form->contest = (uint16_t)c->index;
    return ledger_load_form(l->t->ledger, form) == SU_OK ? 0 : -1;
}

/* A timeline point; one for a contest or node that no longer exists is
 * skipped (the seed changed), never fatal. */
static int row_snapshot(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    const struct registry *reg = l->t->reg;
    if (n != 8 || !f[0] || !f[1] || !f[2] || !f[3] || !f[4] || !f[5] || !f[6] || !f[7])
        return -1;
    const struct contest *c = registry_contest(reg, f[0], strlen(f[0]));
    int32_t region = registry_find(reg, f[1], strlen(f[1]));
    long votes[CONTEST_MAX_CANDIDATES];
    int n_votes = copy_parse_int_array(f[7], votes, CONTEST_MAX_CANDIDATES);
    if (!c || region < 0 || n_votes < 0)
        return 0;
    struct timeline_point p = {atoll(f[3]), atoll(f[2]), atoll(f[5]), atoll(f[6]), atoi(f[4])};
    int64_t v[CONTEST_MAX_CANDIDATES];
    for (int k = 0; k < n_votes; k++)
        v[k] = votes[k];
    return timeline_load_point(l->t->timeline, c->index, region, &p, v, n_votes) == SU_NOMEM ? -1
                                                                                             : 0;
}

/* A row of kpu_results; one for a region or contest the seed no longer has
 * is skipped with a warning, never fatal. */
static int add_kpu_row(struct kpu *k, const struct registry *reg, char **f, int n)
{
    if (n != 6 || !f[0] || !f[1] || !f[2] || !f[3] || !f[4] || !f[5])
        return -1;
    const struct contest *c = registry_contest(reg, f[0], strlen(f[0]));
    int32_t region = registry_find(reg, f[1], strlen(f[1]));
    long votes[CONTEST_MAX_CANDIDATES];
    int n_votes = copy_parse_int_array(f[3], votes, CONTEST_MAX_CANDIDATES);
    int64_t v[CONTEST_MAX_CANDIDATES];
    for (int i = 0; i < n_votes; i++)
        v[i] = votes[i];
    int rc =
        c && region >= 0 && n_votes == c->n_candidates
            ? kpu_add(k, c->index, region, strcmp(f[2], "recap") == 0, v, atoll(f[4]), atoll(f[5]))
            : SU_INVAL;
    if (rc == SU_INVAL)
        log_warn("kpu_row_skipped", "contest=%s region=%s", f[0], f[1]);
    return 0;
}

static int row_kpu(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    return add_kpu_row(l->t->tallies->kpu, l->t->reg, f, n);
}

struct stage {
    const char *sql;
    int (*row)(void *ctx, char **f, int n);
};

/* The schema first: an older one has no claim functions. */
static const struct stage stages[] = {
    {sql_schema, row_schema},
    {sql_claim, row_claim},
    {sql_regions, row_region},
    {sql_tps, row_tps},
    {sql_contests, row_contest},
    {sql_candidates, row_candidate},
    {sql_tokens, row_token},
    {sql_election, row_election},
    {sql_finals, row_final},
    {sql_estimate, row_estimate},
    {sql_kpu, row_kpu},
    {sql_forms, row_form},
    {sql_snapshots, row_snapshot},
};
#define N_STAGES (int)(sizeof stages / sizeof stages[0])
#define STAGE_TOKENS 6

static void fail(struct loader *l)
{
    struct load_target *t = l->t;
    t->busy = NULL;
    if (!t->error[0])
        snprintf(t->error, sizeof t->error, "%s", l->copy.error[0] ? l->copy.error : "load failed");
    if (t->ledger->slots)
        ledger_free(t->ledger);
    if (t->tallies->contests)
        tallies_free(t->tallies);
    timeline_free(t->timeline);
    auth_free(t->auth);
    registry_free(t->reg);
    if (t->log)
        publog_reset(t->log);
    l->done(l->ctx, false);
    free(l);
}

/* Between the registry stages and the rest: the tree must be whole before
 * tokens and forms can be resolved against it. */
static bool finish_registry(struct loader *l)
{
    char err[256];
    struct load_target *t = l->t;
    if (t->reg->n_regions == 0 || t->reg->n_contests == 0) {
        snprintf(t->error, sizeof t->error,
                 "the database has no regions or contests: run suara seed");
        log_error("load_failed", "error=\"%s\"", t->error);
        return false;
    }
    if (registry_finish(t->reg, err, sizeof err) != SU_OK) {
        snprintf(t->error, sizeof t->error, "%s", err);
        log_error("load_failed", "error=\"%s\"", err);
        return false;
    }
    if (tallies_init(t->tallies, t->reg) != SU_OK ||
        ledger_init(t->ledger, t->reg, t->tallies) != SU_OK ||
        timeline_init(t->timeline, t->reg, TIMELINE_MAX_POINTS) != SU_OK ||
        kpu_init(t->tallies->kpu = xcalloc(1, sizeof *t->tallies->kpu), t->reg) != SU_OK)
        return false;
    log_entry_attach(t->ledger, t->log);
    return true;
}

/* Back on the loop after pool steps: false when the load cannot go on (and
 * has failed): the app is stopping, or the connection came up again
 * meanwhile, in a session that does not hold the claim. */
static bool back_on_loop(struct loader *l)
{
    if (l->stopped) {
        snprintf(l->t->error, sizeof l->t->error, "stopping");
    } else if (pg_session(l->pg) != l->session) {
        snprintf(l->t->error, sizeof l->t->error,
                 "the database connection broke while loading; loading again");
        log_warn("load_failed", "error=\"%s\"", l->t->error);
    } else {
        return true;
    }
    fail(l);
    return false;
}

static void build_registry(uv_work_t *w)
{
    struct loader *l = w->data;
    l->step_ok = finish_registry(l);
}

static void registry_built(uv_work_t *w, int status)
{
    struct loader *l = w->data;
    (void)status; /* never cancelled */
    l->in_pool--;
    if (!back_on_loop(l))
        return;
    if (!l->step_ok) {
        fail(l);
        return;
    }
    l->registry_built = true;
    next_stage(l, true);
}

/* The public log and the replay check, timed on its own thread: the log's own
 * cost, the tallies' rebuild apart (docs/benchmarks.md). */
static void build_log(uv_work_t *w)
{
    struct loader *l = w->data;
    int64_t started = clock_mono_ms(), cpu = clock_thread_cpu_ms();
    l->log_ok = ledger_finish_load(l->t->ledger, l->why, sizeof l->why) == 0;
    l->log_ms = clock_mono_ms() - started;
    l->log_cpu_ms = clock_thread_cpu_ms() - cpu;
}

/* Tests only (test_load_fence.py): with SUARA_LOAD_HOLD_FILE set, the last
 * pool step waits until that file exists, so a test can make a load last as
 * long as a national one, however fast the machine, and watch the loop. */
static void hold_for_test(void)
{
    const char *path = getenv("SUARA_LOAD_HOLD_FILE");
    if (!path || !*path)
        return;
    log_info("load_held", "file=\"%s\"", path);
    const struct timespec poll = {0, 10 * 1000 * 1000};
    while (access(path, F_OK) != 0)
        nanosleep(&poll, NULL);
}

/* Beside build_log: it reads the forms and writes only the tallies and what
 * no part of the log reads (slot->confirmed, form->tallied). */
static void build_tallies(uv_work_t *w)
{
    struct loader *l = w->data;
    hold_for_test();
    int64_t started = clock_mono_ms();
    ledger_rebuild_tallies(l->t->ledger);
    l->tally_ms = clock_mono_ms() - started;
}

static void finish(struct loader *l)
{
    if (!l->log_ok) {
        /* Serving a history whose statuses the log does not give would
         * publish a tally nobody can check: refuse, and say where. */
        snprintf(l->t->error, sizeof l->t->error, "the stored history does not verify: %s", l->why);
        log_error("load_failed", "error=\"%s\"", l->t->error);
        fail(l);
        return;
    }
    int64_t now = clock_mono_ms();
    log_info("loaded",
             "regions=%d contests=%d tokens=%d forms=%lld seq=%lld ms=%lld log_ms=%lld "
             "tallies_ms=%lld cpu_ms=%lld log_cpu_ms=%lld",
             l->t->reg->n_regions, l->t->reg->n_contests, l->t->auth->n,
             (long long)l->t->ledger->n_forms, (long long)(l->t->ledger->next_seq - 1),
             (long long)(now - l->started_ms), (long long)l->log_ms, (long long)l->tally_ms,
             (long long)(clock_cpu_ms() - l->started_cpu_ms), (long long)l->log_cpu_ms);
    l->t->busy = NULL;
    l->done(l->ctx, true);
    free(l);
}

static void log_and_tallies_built(uv_work_t *w, int status)
{
    struct loader *l = w->data;
    (void)status;
    if (--l->in_pool > 0)
        return; /* the other one is still running */
    if (back_on_loop(l))
        finish(l);
}

/* Queues a pool step; libuv's queue cannot refuse a valid request. */
static void in_pool(struct loader *l, uv_work_t *w, uv_work_cb work, uv_after_work_cb after)
{
    w->data = l;
    l->in_pool++;
    int rc = uv_queue_work(l->loop, w, work, after);
    SU_ASSERT(rc == 0);
}

static void next_stage(void *ctx, bool ok)
{
    struct loader *l = ctx;
    if (!ok || l->stopped) {
        fail(l);
        return;
    }
    if (l->stage == STAGE_TOKENS && !l->registry_built) {
        in_pool(l, &l->log_work, build_registry, registry_built);
        return;
    }
    if (l->stage == N_STAGES) {
        in_pool(l, &l->log_work, build_log, log_and_tallies_built);
        in_pool(l, &l->tally_work, build_tallies, log_and_tallies_built);
        return;
    }
    const struct stage *s = &stages[l->stage++];
    copy_job_init(&l->copy, s->sql, s->row, next_stage, l);
    pg_submit(l->pg, &l->copy.job);
}

void load_all(uv_loop_t *loop, struct pg *pg, struct load_target *target,
              void (*done)(void *ctx, bool ok), void *ctx)
{
    struct loader *l = xcalloc(1, sizeof *l);
    if (!l) {
        done(ctx, false);
        return;
    }
    l->loop = loop;
    l->pg = pg;
    l->t = target;
    l->done = done;
    l->ctx = ctx;
    l->started_ms = clock_mono_ms();
    l->started_cpu_ms = clock_cpu_ms();
    target->error[0] = '\0';
    target->busy = l;
    registry_init(target->reg);
    auth_init(target->auth);
    /* Every load rebuilds the log from nothing (ledger_finish_load): a leaf
     * left from an earlier load, or from the rehearsal before a switch to
     * live, would otherwise be appended twice or sign a history that is gone. */
    if (target->log && publog_reset(target->log) != 0) {
        target->busy = NULL;
        free(l);
        done(ctx, false);
        return;
    }
    next_stage(l, true);
}

void load_stop(struct load_target *target)
{
    if (target->busy)
        target->busy->stopped = true;
}

struct token_loader {
    struct copy_job copy;
    const struct registry *reg;
    struct auth auth;
    void (*done)(void *ctx, struct auth *auth);
    void *ctx;
};

static int row_token_reload(void *ctx, char **f, int n)
{
    struct token_loader *tl = ctx;
    return add_token(&tl->auth, tl->reg, f, n);
}

static void tokens_loaded(void *ctx, bool ok)
{
    struct token_loader *tl = ctx;
    struct auth *out = ok ? xmalloc(sizeof *out) : NULL;
    if (out)
        *out = tl->auth;
    else
        auth_free(&tl->auth);
    tl->done(tl->ctx, out);
    free(tl);
}

void load_tokens(struct pg *pg, const struct registry *reg,
                 void (*done)(void *ctx, struct auth *auth), void *ctx)
{
    struct token_loader *tl = xcalloc(1, sizeof *tl);
    if (!tl) {
        done(ctx, NULL);
        return;
    }
    tl->reg = reg;
    tl->done = done;
    tl->ctx = ctx;
    auth_init(&tl->auth);
    copy_job_init(&tl->copy, sql_tokens, row_token_reload, tokens_loaded, tl);
    pg_submit(pg, &tl->copy.job);
}

struct kpu_loader {
    struct copy_job copy;
    const struct registry *reg;
    struct kpu *kpu;
    void (*done)(void *ctx, struct kpu *kpu);
    void *ctx;
};

static int row_kpu_reload(void *ctx, char **f, int n)
{
    struct kpu_loader *kl = ctx;
    return add_kpu_row(kl->kpu, kl->reg, f, n);
}

static void kpu_loaded(void *ctx, bool ok)
{
    struct kpu_loader *kl = ctx;
    if (!ok) {
        kpu_free(kl->kpu);
        free(kl->kpu);
        kl->kpu = NULL;
    }
    kl->done(kl->ctx, kl->kpu);
    free(kl);
}

void load_kpu(struct pg *pg, const struct registry *reg, void (*done)(void *ctx, struct kpu *kpu),
              void *ctx)
{
    struct kpu_loader *kl = xcalloc(1, sizeof *kl);
    kl->reg = reg;
    kl->done = done;
    kl->ctx = ctx;
    kl->kpu = xcalloc(1, sizeof *kl->kpu);
    kpu_init(kl->kpu, reg);
    copy_job_init(&kl->copy, sql_kpu, row_kpu_reload, kpu_loaded, kl);
    pg_submit(pg, &kl->copy.job);
}

struct claimer {
    struct copy_job copy;
    char sql[96];
    enum db_claim result;
    void (*done)(void *ctx, enum db_claim result);
    void *ctx;
};

static int row_reclaim(void *ctx, char **f, int n)
{
    struct claimer *c = ctx;
    if (n == 1 && f[0] && strcmp(f[0], "ok") == 0)
        c->result = DB_CLAIM_OK;
    else if (n == 1 && f[0] && strcmp(f[0], "lost") == 0)
        c->result = DB_CLAIM_LOST;
    return 0;
}

static void reclaimed(void *ctx, bool ok)
{
    struct claimer *c = ctx;
    enum db_claim result = ok ? c->result : DB_CLAIM_BUSY;
    if (result == DB_CLAIM_BUSY && ok)
        log_warn("db_claim_busy", "error=\"" CLAIM_ERROR "\"");
    c->done(c->ctx, result);
    free(c);
}

void load_claim(struct pg *pg, int64_t generation, void (*done)(void *ctx, enum db_claim),
                void *ctx)
{
    struct claimer *c = xcalloc(1, sizeof *c);
    c->done = done;
    c->ctx = ctx;
    c->result = DB_CLAIM_BUSY;
    snprintf(c->sql, sizeof c->sql, "COPY (SELECT suara_reclaim(%lld)) TO STDOUT",
             (long long)generation);
    copy_job_init(&c->copy, c->sql, row_reclaim, reclaimed, c);
    pg_submit_first(pg, &c->copy.job); /* before a batch waiting to be written again */
}

/* ---- the election's state again, after NOTIFY suara_election ---------------- */

struct election_loader {
    struct copy_job copy;
    struct pg *pg;
    const struct registry *reg;
    struct election_state *st;
    int stage;
    void (*done)(void *ctx, struct election_state *st);
    void *ctx;
};

static int row_election_reload(void *ctx, char **f, int n)
{
    struct election_loader *el = ctx;
    return parse_election(&el->st->election, f, n);
}

/* Finals come as a list only; the caller marks the ones it lacks. */
static int row_final_reload(void *ctx, char **f, int n)
{
    struct election_loader *el = ctx;
    struct election_state *st = el->st;
    if (n != 3 || !f[0] || !f[1] || !f[2])
        return -1;
    const struct contest *c = registry_contest(el->reg, f[0], strlen(f[0]));
    int32_t r = registry_find(el->reg, f[1], strlen(f[1]));
    if (!c || r < 0)
        return 0;
    if (st->n == st->cap) {
        int cap = st->cap ? st->cap * 2 : 16;
        struct final_region *p = xrealloc(st->finals, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        st->finals = p;
        st->cap = cap;
    }
    st->finals[st->n++] = (struct final_region){c->index, r, atoll(f[2])};
    return 0;
}

static void election_stage_done(void *ctx, bool ok)
{
    struct election_loader *el = ctx;
    if (ok && el->stage == 0) {
        el->stage = 1;
        copy_job_init(&el->copy, sql_finals, row_final_reload, election_stage_done, el);
        pg_submit(el->pg, &el->copy.job);
        return;
    }
    if (!ok) {
        free(el->st->finals);
        free(el->st);
        el->st = NULL;
    }
    el->done(el->ctx, el->st);
    free(el);
}

void load_election(struct pg *pg, const struct registry *reg,
                   void (*done)(void *ctx, struct election_state *st), void *ctx)
{
    struct election_loader *el = xcalloc(1, sizeof *el);
    struct election_state *st = xcalloc(1, sizeof *st);
    if (!el || !st) {
        free(el);
        free(st);
        done(ctx, NULL);
        return;
    }
    el->pg = pg;
    el->reg = reg;
    el->st = st;
    el->done = done;
    el->ctx = ctx;
    copy_job_init(&el->copy, sql_election, row_election_reload, election_stage_done, el);
    pg_submit(pg, &el->copy.job);
}
