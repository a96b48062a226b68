/* See token_store.h. */
#include "token_store.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/view.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One statement, so one transaction: data-modifying CTEs run whether or not
 * the outer query reads them; the notification (a plain CTE, so joined to be
 * run, once) goes out at COMMIT, and the outer query answers each new
 * token's id and hash, for the server to know them at once. */
static const char sql_insert[] =
    "WITH t AS (INSERT INTO tokens (hash, role, scope, name)"
    " SELECT h, 'witness', s, n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(h, s, n)"
    " RETURNING id, hash, role, scope, name),"
    " a AS (INSERT INTO audit (kind, token_id, detail)"
    " SELECT 'token_created', $4::int, jsonb_build_object('id', id, 'role', role, 'scope', scope,"
    " 'name', name, 'by', 'cards') FROM t),"
    " n AS (SELECT pg_notify('suara_tokens', ''))"
    " SELECT t.id, t.hash FROM t CROSS JOIN n";

struct store_job {
    struct pg_job job;
    struct auth *auth;
    const struct registry *reg;
    struct token_batch *b;
    struct waiter *w;
    char *arrays[3]; /* hash, scope and name as array literals */
    char by[16];
    int32_t *ids; /* per token of b, from the answer; 0 until known */
    int stored;
};

/* A PostgreSQL array literal of n strings, each quoted and escaped. */
static char *array_literal(char **items, int n)
{
    struct buf out;
    buf_init(&out, (size_t)1 << 24);
    buf_puts(&out, "{");
    for (int i = 0; i < n; i++) {
        buf_puts(&out, i ? ",\"" : "\"");
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_puts(&out, "\\");
            buf_append(&out, p, 1);
        }
        buf_puts(&out, "\"");
    }
    buf_puts(&out, "}");
    if (buf_error(&out) != 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out, NULL);
}

static int job_start(struct pg_job *job, PGconn *conn)
{
    struct store_job *s = (struct store_job *)job;
    const char *params[4] = {s->arrays[0], s->arrays[1], s->arrays[2], s->by};
    s->stored = 0;
    return PQsendQueryParams(conn, sql_insert, 4, NULL, params, NULL, NULL, 0) ? 0 : -1;
}

/* Records the id of the token with this hash; 1 when it is one of b's. */
static int take_id(struct store_job *s, const char *id, const char *hash)
{
    for (int i = 0; i < s->b->n; i++) {
        if (strcmp(s->b->hash[i], hash) == 0) {
            s->ids[i] = (int32_t)atol(id);
            return 1;
        }
    }
    return 0;
}

/* The stored tokens join the server's tokens now: the reload that the
 * notification brings would add them too, a moment later. */
static void learn(struct store_job *s)
{
    for (int i = 0; i < s->b->n; i++) {
        if (auth_add(s->auth, s->reg, s->ids[i], s->b->hash[i], "witness", s->b->scope[i],
                     s->b->name[i]) != 0)
            log_warn("token_not_added", "id=%d", (int)s->ids[i]);
    }
}

static enum pg_step job_step(struct pg_job *job, PGconn *conn)
{
    struct store_job *s = (struct store_job *)job;
    while (!PQisBusy(conn)) {
        PGresult *r = PQgetResult(conn);
        if (!r)
            return job->failed || s->stored != s->b->n ? PG_FAIL : PG_DONE;
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            s->stored = 0;
            for (int row = 0; row < PQntuples(r); row++)
                s->stored += take_id(s, PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
        } else {
            log_warn("db_error", "what=token_cards error=\"%s\"", PQresultErrorMessage(r));
            job->failed = true;
        }
        PQclear(r);
    }
    return PG_AGAIN;
}

static void reply(struct waiter *w, int status, const char *body)
{
    w->done(w, status, body, strlen(body));
}

static void job_finish(struct pg_job *job, bool ok)
{
    struct store_job *s = (struct store_job *)job;
    if (ok) {
        learn(s);
        log_info("tokens_created", "by=%s tokens=%d", s->by, s->b->n);
        reply(s->w, 201, s->b->answer);
    } else {
        char *body = view_error("storage_unavailable", "no token was made; retry later", NULL);
        reply(s->w, 503, body ? body : "{}");
        free(body);
    }
    for (int i = 0; i < 3; i++)
        free(s->arrays[i]);
    free(s->ids);
    token_batch_free(s->b);
    free(s);
}

void token_store_save(struct pg *pg, struct auth *auth, const struct registry *reg,
                      struct token_batch *b, struct waiter *w)
{
    struct store_job *s = xcalloc(1, sizeof *s);
    s->auth = auth;
    s->reg = reg;
    s->ids = xcalloc((size_t)(b->n ? b->n : 1), sizeof *s->ids);
    s->b = b;
    s->w = w;
    s->arrays[0] = array_literal(b->hash, b->n);
    s->arrays[1] = array_literal(b->scope, b->n);
    s->arrays[2] = array_literal(b->name, b->n);
    snprintf(s->by, sizeof s->by, "%d", (int)b->by_token);
    s->job.start = job_start;
    s->job.step = job_step;
    s->job.finish = job_finish;
    if (!s->ids || !s->arrays[0] || !s->arrays[1] || !s->arrays[2]) {
        job_finish(&s->job, false);
        return;
    }
    pg_submit(pg, &s->job);
}
