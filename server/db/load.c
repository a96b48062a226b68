/* See load.h. Each stage is one COPY; the next starts when the previous is
 * done, since later stages resolve codes against what earlier ones built. */
#include "load.h"
#include "copy.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_FIELDS 35

static const char sql_regions[] = "COPY (SELECT code, name FROM regions) TO STDOUT";
static const char sql_tps[] =
    "COPY (SELECT code, 'TPS ' || lpad(number::text, 3, '0'), dpt FROM tps) TO STDOUT";
static const char sql_contests[] =
    "COPY (SELECT id, kind, region, title FROM contests ORDER BY region, id) TO STDOUT";
static const char sql_candidates[] =
    "COPY (SELECT contest, number, head, deputy FROM candidates) TO STDOUT";
static const char sql_tokens[] = "COPY (SELECT id, hash, role, scope, name FROM tokens "
                                 "WHERE revoked_at IS NULL) TO STDOUT";
static const char sql_forms[] =
    "COPY (SELECT f.id, f.submission_id, f.tps, f.contest, f.revision, f.status, f.outcome, "
    "coalesce(f.confirms, 0), f.token_id, f.seq, "
    "round(extract(epoch FROM f.received_at) * 1000)::bigint, f.checks, f.photo_sha256, "
    "f.reg_dpt_m, f.reg_dpt_f, f.reg_dpph_m, f.reg_dpph_f, f.reg_dptb_m, f.reg_dptb_f, "
    "f.voted_dpt_m, f.voted_dpt_f, f.voted_dpph_m, f.voted_dpph_f, f.voted_dptb_m, "
    "f.voted_dptb_f, f.ballots_received, f.ballots_returned, f.ballots_unused, f.ballots_used, "
    "f.disability_registered, f.disability_voted, f.valid, f.invalid, f.total, f.votes, "
    "d.id, d.decision, d.reason, d.token_id, d.seq, "
    "round(extract(epoch FROM d.decided_at) * 1000)::bigint "
    "FROM forms f LEFT JOIN decisions d ON d.form_id = f.id ORDER BY f.id) TO STDOUT";

struct loader {
    struct pg *pg;
    struct load_target *t;
    struct copy_job copy;
    int stage;
    void (*done)(void *ctx, bool ok);
    void *ctx;
    int64_t started_ms;
};

static void next_stage(void *ctx, bool ok);

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

static uint32_t parse_checks(const char *text)
{
    /* "{valid_sum,total_sum}" */
    uint32_t bits = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text + (*text == '{'));
    for (char *save, *tok = strtok_r(buf, ",}", &save); tok; tok = strtok_r(NULL, ",}", &save)) {
        int k = form_check_parse(tok);
        if (k >= 0)
            bits |= 1u << k;
    }
    return bits;
}

static struct decision *parse_decision(char **f)
{
    if (!f[35])
        return NULL;
    struct decision *d = calloc(1, sizeof *d);
    if (!d || !(d->reason = strdup(f[37] ? f[37] : ""))) {
        free(d);
        return NULL;
    }
    d->id = atoll(f[35]);
    d->count = strcmp(f[36], "count") == 0;
    d->token_id = atoi(f[38]);
    d->seq = atoll(f[39]);
    d->decided_ms = atoll(f[40]);
    return d;
}

static void fill_counts(struct form_counts *c, char **f)
{
    int k = 13;
    for (int row = 0; row < 3; row++)
        for (int sex = 0; sex < 2; sex++)
            c->registered[row][sex] = (uint16_t)atoi(f[k++]);
    for (int row = 0; row < 3; row++)
        for (int sex = 0; sex < 2; sex++)
            c->voted[row][sex] = (uint16_t)atoi(f[k++]);
    for (int b = 0; b < 4; b++)
        c->ballots[b] = (uint16_t)atoi(f[k++]);
    c->disability[DISABILITY_REGISTERED] = (uint16_t)atoi(f[k++]);
    c->disability[DISABILITY_VOTED] = (uint16_t)atoi(f[k++]);
    c->valid = (uint16_t)atoi(f[k++]);
    c->invalid = (uint16_t)atoi(f[k++]);
    c->total = (uint16_t)atoi(f[k]);
}

static int row_form(void *ctx, char **f, int n)
{
    struct loader *l = ctx;
    const struct registry *reg = l->t->reg;
    if (n != 41 || !f[2] || !f[3])
        return -1;
    int32_t tps = registry_find(reg, f[2], strlen(f[2]));
    const struct contest *c = registry_contest(reg, f[3], strlen(f[3]));
    long votes[CONTEST_MAX_CANDIDATES];
    int nv = copy_parse_int_array(f[34], votes, CONTEST_MAX_CANDIDATES);
    if (tps < 0 || !c || nv != c->n_candidates)
        return -1;
    struct form *form = calloc(1, sizeof *form + (size_t)nv * sizeof form->votes[0]);
    if (!form)
        return -1;
    form->id = atoll(f[0]);
    snprintf(form->submission_id, sizeof form->submission_id, "%s", f[1]);
    form->tps = tps;
    form->contest = (uint16_t)c->index;
    form->revision = (uint16_t)atoi(f[4]);
    form->status = (uint8_t)form_status_parse(f[5]);
    form->outcome = (uint8_t)form_status_parse(f[6]);
    form->confirms = atoll(f[7]);
    form->token_id = atoi(f[8]);
    form->seq = atoll(f[9]);
    form->received_ms = atoll(f[10]);
    form->checks = parse_checks(f[11]);
    form->photo_sha256 = f[12] ? strdup(f[12]) : NULL;
    fill_counts(&form->counts, f);
    form->n_votes = (uint8_t)nv;
    for (int k = 0; k < nv; k++)
        form->votes[k] = (uint16_t)votes[k];
    form->decision = parse_decision(f);
    return ledger_load_form(l->t->ledger, form) == SU_OK ? 0 : -1;
}

struct stage {
    const char *sql;
    int (*row)(void *ctx, char **f, int n);
};

static const struct stage stages[] = {
    {sql_regions, row_region},   {sql_tps, row_tps},     {sql_contests, row_contest},
    {sql_candidates, row_candidate}, {sql_tokens, row_token}, {sql_forms, row_form},
};
#define N_STAGES (int)(sizeof stages / sizeof stages[0])
#define STAGE_TOKENS 4

static void fail(struct loader *l)
{
    struct load_target *t = l->t;
    if (t->ledger->slots)
        ledger_free(t->ledger);
    if (t->tallies->contests)
        tallies_free(t->tallies);
    auth_free(t->auth);
    registry_free(t->reg);
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
        log_error("load_failed", "error=\"the database has no regions or contests: run suara "
                                 "seed\"");
        return false;
    }
    if (registry_finish(t->reg, err, sizeof err) != SU_OK) {
        log_error("load_failed", "error=\"%s\"", err);
        return false;
    }
    return tallies_init(t->tallies, t->reg) == SU_OK &&
           ledger_init(t->ledger, t->reg, t->tallies) == SU_OK;
}

static void next_stage(void *ctx, bool ok)
{
    struct loader *l = ctx;
    if (!ok) {
        fail(l);
        return;
    }
    if (l->stage == STAGE_TOKENS && !finish_registry(l)) {
        fail(l);
        return;
    }
    if (l->stage == N_STAGES) {
        ledger_rebuild_tallies(l->t->ledger);
        log_info("loaded", "regions=%d contests=%d tokens=%d forms=%lld seq=%lld ms=%lld",
                 l->t->reg->n_regions, l->t->reg->n_contests, l->t->auth->n,
                 (long long)l->t->ledger->n_forms, (long long)(l->t->ledger->next_seq - 1),
                 (long long)(clock_now_ms() - l->started_ms));
        l->done(l->ctx, true);
        free(l);
        return;
    }
    const struct stage *s = &stages[l->stage++];
    copy_job_init(&l->copy, s->sql, s->row, next_stage, l);
    pg_submit(l->pg, &l->copy.job);
}

void load_all(struct pg *pg, struct load_target *target, void (*done)(void *ctx, bool ok),
              void *ctx)
{
    struct loader *l = calloc(1, sizeof *l);
    if (!l) {
        done(ctx, false);
        return;
    }
    l->pg = pg;
    l->t = target;
    l->done = done;
    l->ctx = ctx;
    l->started_ms = clock_now_ms();
    registry_init(target->reg);
    auth_init(target->auth);
    next_stage(l, true);
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
    struct auth *out = ok ? malloc(sizeof *out) : NULL;
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
    struct token_loader *tl = calloc(1, sizeof *tl);
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
