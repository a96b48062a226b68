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
 * token's id and hash, for the server to know them at once. A new card
 * replaces its TPS's card: v revokes every witness token still valid whose
 * scope is exactly one of the new tokens' TPS (the earlier cards, or a
 * token made for that TPS by `suara token create`; tokens of a wider scope
 * stay), with a token_revoked audit event each, and every row also carries
 * what was revoked, as the answer's JSON and as the ids, ascending. The
 * UPDATE sees the table as it was before the statement, so it never
 * touches the tokens the statement inserts. */
static const char sql_insert[] =
    "WITH v AS (UPDATE tokens SET revoked_at = now() WHERE revoked_at IS NULL"
    " AND role = 'witness' AND scope = ANY($2::text[]) RETURNING id, scope, name),"
    " t AS (INSERT INTO tokens (hash, role, scope, name)"
    " SELECT h, 'witness', s, n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(h, s, n)"
    " RETURNING id, hash, role, scope, name),"
    " a AS (INSERT INTO audit (kind, token_id, detail)"
    " SELECT 'token_created', $4::int, jsonb_build_object('id', id, 'role', role, 'scope', scope,"
    " 'name', name, 'by', 'cards') FROM t),"
    " ra AS (INSERT INTO audit (kind, token_id, detail)"
    " SELECT 'token_revoked', $4::int, jsonb_build_object('id', id, 'role', 'witness',"
    " 'scope', scope, 'by', 'cards') FROM v),"
    " r AS (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'tps', scope, 'name', name)"
    " ORDER BY scope, id), '[]')::text AS list,"
    " coalesce(string_agg(id::text, ',' ORDER BY id), '') AS ids FROM v),"
    " n AS (SELECT pg_notify('suara_tokens', ''))"
    " SELECT t.id, t.hash, r.list, r.ids FROM t CROSS JOIN n CROSS JOIN r";

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
    char *revoked_list; /* the revoked tokens as JSON (an array), from the answer */
    int32_t *revoked;   /* their ids, ascending */
    int n_revoked;
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

/* What the statement revoked (every row says the same): the JSON list for
 * the answer and the ids, "3,17,42", for the server's tokens. */
static int take_revoked(struct store_job *s, const char *list, const char *ids)
{
    free(s->revoked_list);
    free(s->revoked);
    s->revoked_list = xstrdup(list);
    s->n_revoked = 0;
    s->revoked = xcalloc(strlen(ids) / 2 + 1, sizeof *s->revoked);
    for (const char *p = ids; *p;) {
        char *end = NULL;
        long id = strtol(p, &end, 10);
        if (end == p || id <= 0 || id > INT32_MAX)
            return -1;
        s->revoked[s->n_revoked++] = (int32_t)id;
        p = *end == ',' ? end + 1 : end;
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
    if (s->n_revoked)
        auth_revoke(s->auth, s->revoked, s->n_revoked);
}

/* The 201: the cards (b->answer, an object) with "revoked" added last. */
static char *answer_with_revoked(const struct store_job *s)
{
    const char *cards = s->b->answer;
    size_t n = strlen(cards);
    struct buf out;
    buf_init(&out, (size_t)1 << 26);
    buf_append(&out, cards, n - 1); /* without its closing brace */
    buf_puts(&out, ",\"revoked\":");
    buf_puts(&out, s->revoked_list ? s->revoked_list : "[]");
    buf_puts(&out, "}");
    if (buf_error(&out) != 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out, NULL);
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
            if (PQntuples(r) > 0 && take_revoked(s, PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3)) != 0)
                job->failed = true;
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
    char *answer = ok ? answer_with_revoked(s) : NULL;
    if (ok) {
        learn(s);
        log_info("tokens_created", "by=%s tokens=%d revoked=%d", s->by, s->b->n, s->n_revoked);
        if (answer) {
            reply(s->w, 201, answer);
        } else { /* stored, but no card can be shown: the admin makes them again */
            char *body = view_error(
                "internal",
                "the tokens were stored but the cards could not be written; make them again", NULL);
            reply(s->w, 500, body ? body : "{\"error\":{\"code\":\"internal\"}}");
            free(body);
        }
    } else {
        char *body = view_error("storage_unavailable", "no token was made; retry later", NULL);
        reply(s->w, 503, body ? body : "{}");
        free(body);
    }
    for (int i = 0; i < 3; i++)
        free(s->arrays[i]);
    free(answer);
    free(s->revoked_list);
    free(s->revoked);
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
