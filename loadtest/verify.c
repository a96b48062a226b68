/* See verify.h. */
#include "verify.h"
#include "core/mem.h"
#include "httpc.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX 30
#define FIELDS 9

static const char *const field_names[FIELDS] = {"tps.total",    "tps.counted",   "tps.held",
                                                "tps.disputed", "tps.confirmed", "registered",
                                                "voted",        "valid",         "invalid"};
static int reported;

static bool touched(const struct lt_node *e)
{
    return e->counted || e->held || e->disputed;
}

static void expected_fields(const struct model *m, int c, int32_t r, int64_t out[FIELDS])
{
    const struct lt_node *e = model_node(m, c, r);
    int64_t v[FIELDS] = {m->regions[r].n_tps, e->counted, e->held,  e->disputed, e->confirmed,
                         e->registered,       e->voted,   e->valid, e->invalid};
    memcpy(out, v, sizeof v);
}

/* Compares got[] (FIELDS values, then the votes) with the model. */
static int64_t diff(const char *who, const struct model *m, int c, int32_t r, const int64_t *got,
                    const int64_t *got_votes, bool check_total)
{
    int64_t want[FIELDS], bad = 0;
    expected_fields(m, c, r, want);
    const struct lt_contest *ct = &m->contests[c];
    for (int i = check_total ? 0 : 1; i < FIELDS; i++) {
        if (got[i] != want[i]) {
            bad++;
            if (reported++ < REPORT_MAX)
                fprintf(stderr, "%s %s/%s: %s is %" PRId64 ", expected %" PRId64 "\n", who, ct->id,
                        m->regions[r].code, field_names[i], got[i], want[i]);
        }
    }
    const int64_t *ev = model_votes(m, c, r);
    for (int k = 0; k < ct->n_cand; k++) {
        if (got_votes[k] != ev[k]) {
            bad++;
            if (reported++ < REPORT_MAX)
                fprintf(stderr, "%s %s/%s: votes.%d is %" PRId64 ", expected %" PRId64 "\n", who,
                        ct->id, m->regions[r].code, ct->numbers[k], got_votes[k], ev[k]);
        }
    }
    return bad;
}

/* ---- HTTP --------------------------------------------------------------- */

struct job {
    int contest;
    int32_t region;
};

struct http_check {
    const struct model *m;
    char host[64];
    struct job *jobs;
    int64_t n_jobs, next, answered;
    struct verify_result *out;
};

static int64_t jnum(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? (int64_t)it->valuedouble : -1;
}

static int64_t check_node_json(const struct model *m, int c, int32_t r, const cJSON *o)
{
    static const char *const tps_keys[5] = {"total", "counted", "held", "disputed", "confirmed"};
    const struct lt_contest *ct = &m->contests[c];
    const cJSON *tps = cJSON_GetObjectItemCaseSensitive(o, "tps");
    const cJSON *votes = cJSON_GetObjectItemCaseSensitive(o, "votes");
    int64_t got[FIELDS], got_votes[64];
    for (int i = 0; i < 5; i++)
        got[i] = jnum(tps, tps_keys[i]);
    got[5] = jnum(o, "registered");
    got[6] = jnum(o, "voted");
    got[7] = jnum(o, "valid");
    got[8] = jnum(o, "invalid");
    for (int k = 0; k < ct->n_cand; k++) {
        char key[12];
        snprintf(key, sizeof key, "%d", ct->numbers[k]);
        got_votes[k] = jnum(votes, key);
    }
    return diff("HTTP", m, c, r, got, got_votes, true);
}

static void send_next(struct httpc *h, struct http_check *hc);

static void on_tally(struct httpc *h, void *ctx, int err, const struct http_resp *resp)
{
    struct http_check *hc = ctx;
    const struct model *m = hc->m;
    hc->answered++;
    if (err || resp->status != 200) {
        hc->out->http_errors++;
        if (reported++ < REPORT_MAX)
            fprintf(stderr, "HTTP tally request failed: %s\n",
                    err ? uv_strerror(err) : "status is not 200");
    } else {
        cJSON *o = cJSON_ParseWithLength(resp->body, resp->body_len);
        const cJSON *region = cJSON_GetObjectItemCaseSensitive(o, "region");
        const cJSON *contest = cJSON_GetObjectItemCaseSensitive(o, "contest");
        int c = cJSON_IsString(contest) ? model_contest(m, contest->valuestring) : -1;
        int32_t r = cJSON_IsString(region) ? model_find(m, region->valuestring) : -1;
        if (c < 0 || r < 0) {
            hc->out->http_errors++;
        } else {
            hc->out->http_nodes++;
            hc->out->http_diffs += check_node_json(m, c, r, o);
            const cJSON *child;
            int64_t n_children = 0;
            cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(o, "children"))
            {
                const cJSON *code = cJSON_GetObjectItemCaseSensitive(child, "region");
                int32_t cr = cJSON_IsString(code) ? model_find(m, code->valuestring) : -1;
                if (cr < 0) {
                    hc->out->http_errors++;
                    continue;
                }
                n_children++;
                hc->out->http_nodes++;
                hc->out->http_diffs += check_node_json(m, c, cr, child);
            }
            int64_t want_children = m->regions[r].n_children;
            if (n_children != want_children) {
                hc->out->http_diffs++;
                if (reported++ < REPORT_MAX)
                    fprintf(stderr, "HTTP %s/%s: %" PRId64 " children, expected %" PRId64 "\n",
                            m->contests[c].id, m->regions[r].code, n_children, want_children);
            }
        }
        cJSON_Delete(o);
    }
    send_next(h, hc);
}

static void send_next(struct httpc *h, struct http_check *hc)
{
    if (hc->next >= hc->n_jobs) {
        httpc_free(h);
        return;
    }
    struct job *job = &hc->jobs[hc->next++];
    char path[128], req[512];
    snprintf(path, sizeof path, "/api/v1/tally/%s/%s", hc->m->contests[job->contest].id,
             hc->m->regions[job->region].code);
    size_t n = httpc_head(req, sizeof req, "GET", path, hc->host, NULL, 0);
    if (httpc_send(h, req, n, 30000, on_tally, hc) < 0) {
        hc->out->http_errors++;
        hc->answered++;
        send_next(h, hc);
    }
}

void verify_http(uv_loop_t *loop, const struct model *m, const struct sockaddr_in *addr,
                 const char *host, int connections, struct verify_result *out)
{
    uint64_t start = uv_hrtime();
    struct http_check hc = {.m = m, .out = out};
    snprintf(hc.host, sizeof hc.host, "%s", host);
    int64_t n = 0;
    for (int c = 0; c < m->n_contests; c++) {
        int32_t root = m->contests[c].root;
        for (int32_t r = root; r < m->regions[root].end; r++)
            n += m->regions[r].level < LEVEL_TPS && touched(model_node(m, c, r));
    }
    hc.jobs = xcalloc((size_t)n + 1, sizeof *hc.jobs);
    if (!hc.jobs) {
        out->http_errors++;
        return;
    }
    for (int c = 0; c < m->n_contests; c++) {
        int32_t root = m->contests[c].root;
        for (int32_t r = root; r < m->regions[root].end; r++) {
            if (m->regions[r].level < LEVEL_TPS && touched(model_node(m, c, r)))
                hc.jobs[hc.n_jobs++] = (struct job){c, r};
        }
    }
    for (int i = 0; i < connections && hc.next < hc.n_jobs; i++) {
        struct httpc *h = httpc_new(loop, addr);
        if (h)
            send_next(h, &hc);
    }
    while (hc.answered < hc.n_jobs)
        uv_run(loop, UV_RUN_ONCE);
    free(hc.jobs);
    out->http_seconds = (double)(uv_hrtime() - start) / 1e9;
}

/* ---- SQL ---------------------------------------------------------------- */

static const char recount_sql[] =
    "WITH slot AS (SELECT tps, contest, bool_or(status = 'held') AS held,"
    " bool_or(status = 'disputed') AS disputed FROM forms GROUP BY tps, contest),"
    " counted AS (SELECT * FROM forms WHERE status = 'counted'),"
    " confirmed AS (SELECT DISTINCT c.id FROM counted c JOIN forms x"
    " ON x.confirms = c.id AND x.status = 'confirmation')"
    " SELECT s.contest, left(s.tps, %d), count(c.id), count(*) FILTER (WHERE s.held),"
    " count(*) FILTER (WHERE s.disputed), count(k.id),"
    " coalesce(sum(c.reg_dpt_m + c.reg_dpt_f + c.reg_dpph_m + c.reg_dpph_f + c.reg_dptb_m"
    " + c.reg_dptb_f), 0), coalesce(sum(c.total), 0), coalesce(sum(c.valid), 0),"
    " coalesce(sum(c.invalid), 0)"
    " FROM slot s LEFT JOIN counted c ON c.tps = s.tps AND c.contest = s.contest"
    " LEFT JOIN confirmed k ON k.id = c.id GROUP BY 1, 2";

static const char votes_sql[] =
    "SELECT f.contest, left(f.tps, %d), u.k, sum(u.v) FROM forms f,"
    " unnest(f.votes) WITH ORDINALITY AS u(v, k) WHERE f.status = 'counted' GROUP BY 1, 2, 3";

/* Reads the contest (column 0) and region (column 1) of row i of a recount;
 * false when they name no tally node (a region above the contest's, or
 * unknown to the model). */
static bool row_node(const struct model *m, const PGresult *res, int i, int *c, int32_t *r)
{
    *c = model_contest(m, PQgetvalue(res, i, 0));
    *r = model_find(m, PQgetvalue(res, i, 1));
    return *c >= 0 && *r >= 0 && model_node(m, *c, *r);
}

/* Stores the per-candidate sums of votes_sql in votes[], laid out like the
 * model's vote counters. */
static void read_votes(const struct model *m, const PGresult *res, int64_t *votes)
{
    for (int i = 0; i < PQntuples(res); i++) {
        int c;
        int32_t r;
        int k = atoi(PQgetvalue(res, i, 2)) - 1;
        if (!row_node(m, res, i, &c, &r) || k < 0 || k >= m->contests[c].n_cand)
            continue;
        votes[m->contests[c].vote_base +
              (int64_t)(r - m->contests[c].root) * m->contests[c].n_cand + k] =
            strtoll(PQgetvalue(res, i, 3), NULL, 10);
    }
}

/* Compares every node of a recount_sql result (and its votes, read before)
 * with the model, marking the nodes seen. */
static void compare_recount(const struct model *m, const PGresult *res, const int64_t *votes,
                            char *seen, struct verify_result *out)
{
    for (int i = 0; i < PQntuples(res); i++) {
        int c;
        int32_t r;
        if (!row_node(m, res, i, &c, &r))
            continue;
        const struct lt_contest *ct = &m->contests[c];
        int64_t got[FIELDS];
        got[0] = m->regions[r].n_tps;
        for (int f = 1; f < FIELDS; f++)
            got[f] = strtoll(PQgetvalue(res, i, f + 1), NULL, 10);
        /* the query's column order: counted, held, disputed, confirmed */
        seen[ct->node_base + (r - ct->root)] = 1;
        out->sql_nodes++;
        out->sql_diffs += diff("SQL", m, c, r, got,
                               &votes[ct->vote_base + (int64_t)(r - ct->root) * ct->n_cand], false);
    }
}

void verify_sql(PGconn *db, const struct model *m, struct verify_result *out)
{
    static const int prefix_len[] = {2, 5, 8, 13, 17};
    uint64_t start = uv_hrtime();
    int64_t *votes = xcalloc((size_t)m->n_vote_counters + 1, sizeof *votes);
    char *seen = xcalloc((size_t)m->n_nodes + 1, 1);
    if (!votes || !seen) {
        out->sql_diffs++;
        goto done;
    }
    for (size_t L = 0; L < sizeof prefix_len / sizeof prefix_len[0]; L++) {
        char sql[2048];
        snprintf(sql, sizeof sql, votes_sql, prefix_len[L]);
        PGresult *sums = lt_db_query(db, sql);
        snprintf(sql, sizeof sql, recount_sql, prefix_len[L]);
        PGresult *nodes = sums ? lt_db_query(db, sql) : NULL;
        if (!nodes) {
            PQclear(sums);
            out->sql_diffs++;
            goto done;
        }
        read_votes(m, sums, votes);
        compare_recount(m, nodes, votes, seen, out);
        PQclear(sums);
        PQclear(nodes);
    }
    /* Everything the generator expects must exist in the database too. */
    for (int c = 0; c < m->n_contests; c++) {
        const struct lt_contest *ct = &m->contests[c];
        for (int32_t r = ct->root; r < m->regions[ct->root].end; r++) {
            if (touched(model_node(m, c, r)) && !seen[ct->node_base + (r - ct->root)]) {
                out->sql_diffs++;
                if (reported++ < REPORT_MAX)
                    fprintf(stderr, "SQL %s/%s: no forms stored, expected some\n", ct->id,
                            m->regions[r].code);
            }
        }
    }
done:
    free(votes);
    free(seen);
    out->sql_seconds = (double)(uv_hrtime() - start) / 1e9;
}
