/* suara-load: plays an election night against a running `suara serve` and
 * checks at the end that not one vote went astray.
 *
 *   suara-load run --db CONNINFO --port PORT [options]   the load test
 *   suara-load nation --out DIR [--tps-per-desa N]      writes a synthetic seed
 *   suara-load copy --db CONNINFO [--forms N]           PostgreSQL COPY ceiling
 *   suara-load restart --suara BIN --db CONNINFO --port N   time to /readyz
 *
 * `run` goes: load the election from the database, plan the stories, create
 * the witness tokens, wait for /readyz and for the tokens to be loaded,
 * connect the viewers, send, let the viewers settle, verify (HTTP tallies,
 * every viewer's state, a SQL recount), report. Exit status: 0 when
 * everything matched, 1 when anything did not, 2 on a usage error. */
#include "copybench.h"
#include "core/mem.h"
#include "driver.h"
#include "httpc.h"
#include "model.h"
#include "nation.h"
#include "options.h"
#include "report.h"
#include "restart.h"
#include "sysstat.h"
#include "verify.h"
#include "viewer_procs.h"
#include "viewers.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READY_WAIT_S 120
#define TOKEN_WAIT_S 30

static const char usage[] =
    "Usage: suara-load run --db CONNINFO --port PORT [options]\n"
    "       suara-load nation --out DIR [--tps-per-desa N] [--seed N]\n"
    "       suara-load copy --db CONNINFO [--forms N] [--batch N]\n"
    "       suara-load restart --suara BIN --db CONNINFO --port N [-- serve options]\n"
    "\n"
    "run: plays an election night against `suara serve` on 127.0.0.1:PORT whose\n"
    "database is CONNINFO, then verifies every tally (HTTP, WebSocket, SQL).\n"
    "The database must hold no forms yet (a fresh, seeded one).\n"
    "  --db CONNINFO          the server's database (default $SUARA_DB)\n"
    "  --host ADDR --port N   the server [127.0.0.1, 8080]\n"
    "  --server-pid PID       measure the server's CPU and peak RSS\n"
    "  --out FILE             write the results as JSON\n"
    "  --label TEXT           a name for this run in the results\n"
    "Traffic:\n"
    "  --connections N        HTTP keep-alive connections [64]\n"
    "  --forms N              first forms (one per TPS and contest) [all slots]\n"
    "  --rate R               first forms per second, 0 = flat out [0]\n"
    "  --duration S           spread the first forms over S seconds\n"
    "  --warmup S             leave forms sent in the first S seconds out of the latencies [0]\n"
    "  --curve night          arrival after polls close: ramp, peak, tail (needs --duration)\n"
    "  --ramp F --peak F      shares of the duration for ramp and peak [0.1, 0.2]\n"
    "  --region CODE          only TPS inside this region\n"
    "  --contests PREFIX      only contests whose id starts with PREFIX (e.g. gub-)\n"
    "  --witness-level L      token scope: tps, desa, kecamatan, kabupaten, province [tps]\n"
    "  --held F               share of TPS whose first form fails a check [0.02]\n"
    "  --fix F                share of those corrected later by the same witness [0.75]\n"
    "  --corrections F        share corrected after being counted [0.01]\n"
    "  --confirmations F      share confirmed by a second witness [0.10]\n"
    "  --disputes F           share disputed by a second witness [0.01]\n"
    "  --duplicates F         share of forms sent again unchanged [0.02]\n"
    "  --lost F               share of forms whose answer is lost (retried) [0.005]\n"
    "  --plain                shorthand: all of the shares above 0\n"
    "  --follow-ms N          delay before a story's next form [0]\n"
    "  --timeout-ms N         per request [10000]\n"
    "  --retry-cap-ms N       longest Retry-After honoured [2000]\n"
    "  --seed N               plan and numbers [1]\n"
    "Viewers:\n"
    "  --viewers N            WebSocket viewers [0]\n"
    "  --viewers-province F --viewers-kabupaten F   shares (rest on desa) [0.2, 0.3]\n"
    "  --live-port N          viewers read the live feed on this port of the server's\n"
    "                         host (suara serve --live-listen) [--port]\n"
    "  --settle-ms N          time allowed for viewers to show the end state [10000]\n"
    "  --viewer-procs N       the viewers in N processes of their own, apart from the\n"
    "                         witnesses' (their acknowledgement latencies not delayed by\n"
    "                         the viewers' frames; each process under the open-file\n"
    "                         limit) [0: in this one]\n"
    "  --viewer-nice N        those processes at nice N, below the server and the\n"
    "                         witnesses' process, as if on other machines [0]\n"
    "  --nchan HOST:PORT,...  viewers subscribe at these nginx nchan edges (docs/deploy/\n"
    "                         nchan-edge.conf) instead of the server, round robin; the rest\n"
    "                         watch kecamatan instead of desa nodes, and a viewer whose edge\n"
    "                         goes away reconnects to the next one\n"
    "  --nchan-compare        with --nchan: viewers in pairs watching the same node, one at\n"
    "                         an edge, one at the server (fan-out compared in one run)\n"
    "Verification:\n"
    "  --no-verify            skip it (figures only)\n"
    "  --no-sql               skip the SQL recount\n"
    "  --quiet                only the summary\n"
    "  --reference            the port is a stand-in, not Suara (e.g. nginx answering 201):\n"
    "                         the same traffic, any 2xx counts, nothing is verified\n";

/* How an option of `run` is applied: the first five kinds parse their
 * argument into a field of struct lt_options by type, the next two set a
 * flag, the last three do more. */
enum opt_kind {
    OPT_STR,
    OPT_INT,
    OPT_I64,
    OPT_U64,
    OPT_DBL,
    OPT_TRUE,
    OPT_FALSE,
    OPT_PLAIN,
    OPT_REFERENCE,
    OPT_HELP
};

struct run_option {
    const char *name;
    enum opt_kind kind;
    union { /* the field, its type checked by the initialiser; NULL for the last three kinds */
        const char **s;
        int *i;
        int64_t *i64;
        uint64_t *u64;
        double *d;
        bool *b;
    } to;
};

/* The story shares all 0: first forms only, each sent once. */
static void no_stories(struct lt_options *o)
{
    o->held = o->corrections = o->confirmations = o->disputes = 0;
    o->duplicates = o->lost = 0;
}

static void apply_option(const struct run_option *r, struct lt_options *o)
{
    switch (r->kind) {
    case OPT_STR:
        *r->to.s = optarg;
        break;
    case OPT_INT:
        *r->to.i = atoi(optarg);
        break;
    case OPT_I64:
        *r->to.i64 = atoll(optarg);
        break;
    case OPT_U64:
        *r->to.u64 = strtoull(optarg, NULL, 10);
        break;
    case OPT_DBL:
        *r->to.d = atof(optarg);
        break;
    case OPT_TRUE:
        *r->to.b = true;
        break;
    case OPT_FALSE:
        *r->to.b = false;
        break;
    case OPT_PLAIN:
        no_stories(o);
        break;
    case OPT_REFERENCE:
        /* a stand-in server (e.g. nginx answering 201 '{}'): traffic only */
        o->reference = true;
        o->verify = false;
        no_stories(o);
        o->viewers = 0;
        break;
    case OPT_HELP:
        break;
    }
}

static void defaults(struct lt_options *o)
{
    memset(o, 0, sizeof *o);
    o->db = getenv("SUARA_DB");
    o->host = "127.0.0.1";
    o->port = 8080;
    o->connections = 64;
    o->ramp = 0.1;
    o->peak = 0.2;
    o->witness_level = "tps";
    o->held = 0.02;
    o->fix = 0.75;
    o->corrections = 0.01;
    o->confirmations = 0.10;
    o->disputes = 0.01;
    o->duplicates = 0.02;
    o->lost = 0.005;
    o->timeout_ms = 10000;
    o->retry_cap_ms = 2000;
    o->max_attempts = 20;
    o->seed = 1;
    o->viewers_province = 0.2;
    o->viewers_kabupaten = 0.3;
    o->settle_ms = 10000;
    o->verify = true;
    o->verify_sql = true;
    o->verify_connections = 8;
}

/* 0: parsed; 1: --help printed the usage; 2: a usage error (printed). */
static int parse_run(int argc, char **argv, struct lt_options *o)
{
    const struct run_option table[] = {
        {"db", OPT_STR, {.s = &o->db}},
        {"host", OPT_STR, {.s = &o->host}},
        {"port", OPT_INT, {.i = &o->port}},
        {"server-pid", OPT_INT, {.i = &o->server_pid}},
        {"out", OPT_STR, {.s = &o->out}},
        {"label", OPT_STR, {.s = &o->label}},
        {"connections", OPT_INT, {.i = &o->connections}},
        {"forms", OPT_I64, {.i64 = &o->forms}},
        {"rate", OPT_DBL, {.d = &o->rate}},
        {"duration", OPT_DBL, {.d = &o->duration}},
        {"warmup", OPT_DBL, {.d = &o->warmup}},
        {"curve", OPT_STR, {.s = &o->curve}},
        {"ramp", OPT_DBL, {.d = &o->ramp}},
        {"peak", OPT_DBL, {.d = &o->peak}},
        {"region", OPT_STR, {.s = &o->region}},
        {"contests", OPT_STR, {.s = &o->contest_prefix}},
        {"witness-level", OPT_STR, {.s = &o->witness_level}},
        {"held", OPT_DBL, {.d = &o->held}},
        {"fix", OPT_DBL, {.d = &o->fix}},
        {"corrections", OPT_DBL, {.d = &o->corrections}},
        {"confirmations", OPT_DBL, {.d = &o->confirmations}},
        {"disputes", OPT_DBL, {.d = &o->disputes}},
        {"duplicates", OPT_DBL, {.d = &o->duplicates}},
        {"lost", OPT_DBL, {.d = &o->lost}},
        {"plain", OPT_PLAIN, {NULL}},
        {"follow-ms", OPT_INT, {.i = &o->follow_ms}},
        {"timeout-ms", OPT_INT, {.i = &o->timeout_ms}},
        {"retry-cap-ms", OPT_INT, {.i = &o->retry_cap_ms}},
        {"seed", OPT_U64, {.u64 = &o->seed}},
        {"viewers", OPT_INT, {.i = &o->viewers}},
        {"viewers-province", OPT_DBL, {.d = &o->viewers_province}},
        {"viewers-kabupaten", OPT_DBL, {.d = &o->viewers_kabupaten}},
        {"live-port", OPT_INT, {.i = &o->live_port}},
        {"nchan", OPT_STR, {.s = &o->nchan}},
        {"nchan-compare", OPT_TRUE, {.b = &o->nchan_compare}},
        {"settle-ms", OPT_INT, {.i = &o->settle_ms}},
        {"viewer-procs", OPT_INT, {.i = &o->viewer_procs}},
        {"viewer-nice", OPT_INT, {.i = &o->viewer_nice}},
        {"no-verify", OPT_FALSE, {.b = &o->verify}},
        {"no-sql", OPT_FALSE, {.b = &o->verify_sql}},
        {"quiet", OPT_TRUE, {.b = &o->quiet}},
        {"reference", OPT_REFERENCE, {NULL}},
        {"help", OPT_HELP, {NULL}},
    };
    enum { N = sizeof table / sizeof table[0], FIRST = 256 };
    struct option longopts[N + 1];
    for (int i = 0; i < N; i++) {
        bool arg = table[i].kind <= OPT_DBL;
        longopts[i] =
            (struct option){table[i].name, arg ? required_argument : no_argument, NULL, FIRST + i};
    }
    longopts[N] = (struct option){NULL, 0, NULL, 0};
    defaults(o);
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "", longopts, NULL);
        if (c == -1)
            break;
        if (c < FIRST || c >= FIRST + N) {
            fputs(usage, stderr);
            return 2;
        }
        if (table[c - FIRST].kind == OPT_HELP) {
            fputs(usage, stdout);
            return 1;
        }
        apply_option(&table[c - FIRST], o);
    }
    if (optind != argc || !o->db || o->connections < 1 || o->port < 1 || o->port > 65535 ||
        (o->curve && (strcmp(o->curve, "night") != 0 || o->duration <= 0)) || o->ramp < 0 ||
        o->peak < 0 || o->ramp + o->peak > 1 || o->warmup < 0) {
        fprintf(stderr, "suara-load run: %s\n%s",
                !o->db ? "no database: use --db CONNINFO or set SUARA_DB"
                       : "bad arguments (--curve night needs --duration S; ramp + peak <= 1)",
                usage);
        return 2;
    }
    return 0;
}

/* ---- waiting on the loop ---------------------------------------------- */

static void set_flag(void *ctx)
{
    *(bool *)ctx = true;
}

static void run_until(uv_loop_t *loop, const bool *flag)
{
    while (!*flag)
        uv_run(loop, UV_RUN_ONCE);
}

struct sync_get {
    bool done;
    int err, status;
    char *body;
    size_t len;
};

static void on_sync(struct httpc *h, void *ctx, int err, const struct http_resp *r)
{
    struct sync_get *g = ctx;
    g->done = true;
    g->err = err;
    if (!err) {
        g->status = r->status;
        g->body = xmalloc(r->body_len + 1);
        if (g->body) {
            memcpy(g->body, r->body, r->body_len);
            g->body[r->body_len] = '\0';
            g->len = r->body_len;
        }
    }
}

/* One request on its own connection, the loop run until it is answered. */
static int http_sync(uv_loop_t *loop, const struct sockaddr_in *addr, const char *host,
                     const char *method, const char *path, const char *token, const char *body,
                     struct sync_get *g)
{
    memset(g, 0, sizeof *g);
    struct httpc *h = httpc_new(loop, addr);
    char req[1024];
    size_t blen = body ? strlen(body) : 0;
    size_t n = httpc_head(req, sizeof req - blen, method, path, host, token, blen);
    memcpy(req + n, body ? body : "", blen);
    if (!h || httpc_send(h, req, n + blen, 10000, on_sync, g) < 0) {
        httpc_free(h);
        return -1;
    }
    run_until(loop, &g->done);
    httpc_free(h);
    return g->err ? -1 : g->status;
}

static void pause_ms(uv_loop_t *loop, unsigned ms)
{
    usleep(ms * 1000);
    uv_run(loop, UV_RUN_NOWAIT);
}

static int wait_ready(uv_loop_t *loop, const struct sockaddr_in *addr, const char *host,
                      const char *probe_token, bool quiet)
{
    struct sync_get g;
    int status = -1;
    for (int i = 0; i < READY_WAIT_S * 10; i++) {
        status = http_sync(loop, addr, host, "GET", "/readyz", NULL, NULL, &g);
        free(g.body);
        if (status == 200)
            break;
        pause_ms(loop, 100);
    }
    if (status != 200) {
        fprintf(stderr, "suara-load: the server at %s is not ready\n", host);
        return -1;
    }
    /* The server must not remember forms either (a database recreated under
     * a running server would still be full in its memory). */
    if (http_sync(loop, addr, host, "GET", "/readyz", NULL, NULL, &g) == 200 && g.body &&
        !strstr(g.body, "\"forms\":0,") && !strstr(g.body, "\"forms\":0}")) {
        fprintf(stderr,
                "suara-load: the server already holds forms (%s); restart it on a fresh "
                "database\n",
                g.body);
        free(g.body);
        return -1;
    }
    free(g.body);
    /* The tokens are loaded when a form with a bad body is refused for the
     * body (422), not for the token (401). */
    for (int i = 0; probe_token && i < TOKEN_WAIT_S * 10; i++) {
        status = http_sync(loop, addr, host, "POST", "/api/v1/forms", probe_token, "{}", &g);
        free(g.body);
        if (status == 422 || status == 400) {
            if (!quiet)
                printf("server ready, witness tokens loaded\n");
            return 0;
        }
        pause_ms(loop, 100);
    }
    fprintf(stderr, "suara-load: the server did not load the witness tokens (last status %d)\n",
            status);
    return -1;
}

static void scrape(uv_loop_t *loop, const struct sockaddr_in *addr, const char *host,
                   struct batch_metrics *out)
{
    struct sync_get g;
    memset(out, 0, sizeof *out);
    if (http_sync(loop, addr, host, "GET", "/metrics", NULL, NULL, &g) == 200)
        batch_metrics_parse(g.body, g.len, out);
    free(g.body);
}

/* ---- run -------------------------------------------------------------- */

struct pick_ctx {
    struct driver *d;
    const struct model *m;
    int64_t n;
};

static int64_t pick_slot(void *ctx, uint64_t h);

static int cmd_run(int argc, char **argv)
{
    struct lt_options o;
    int rc = parse_run(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct model m;
    PGconn *db = lt_db_connect(o.db);
    if (!db)
        return 1;
    int status = 1;
    struct driver *d = NULL;
    struct viewers *v = NULL;
    struct vprocs *vp = NULL;
    uv_loop_t loop;
    uv_loop_init(&loop);
    if (model_load(&m, db) != 0)
        goto out_db;
    PGresult *res = lt_db_query(db, "SELECT count(*) FROM forms");
    long long existing = res ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    if (existing != 0 && !o.reference) {
        fprintf(stderr,
                "suara-load: the database already holds %lld forms; the expected "
                "totals assume none (use a freshly seeded database)\n",
                existing);
        goto out_model;
    }
    struct sockaddr_in addr;
    char host[64];
    uv_ip4_addr(o.host, o.port, &addr);
    snprintf(host, sizeof host, "%s:%d", o.host, o.port);
    if (!o.quiet)
        printf("election: %d regions, %d TPS, %d contests, %" PRId64 " slots (TPS x contest)\n",
               m.n_regions - m.n_tps, m.n_tps, m.n_contests, m.n_slots);
    d = driver_new(&loop, &m, &o, &addr, host);
    if (!d || (!o.reference && driver_create_tokens(d, db) != 0))
        goto out_model;
    char probe[96];
    if (!o.reference &&
        wait_ready(&loop, &addr, host, driver_probe_token(d, probe, sizeof probe), o.quiet) != 0)
        goto out_model;
    if (o.viewers > 0) {
        struct pick_ctx pc = {d, &m, (int64_t)driver_stats(d)->stories};
        const struct viewers_stats *vs;
        if (o.viewer_procs > 0) {
            vp = vprocs_new(&loop, &m, &o, &addr, host, pick_slot, &pc);
            if (!vp)
                goto out_model;
            vs = vprocs_stats(vp);
            driver_set_ack_cb(d, vprocs_on_ack, vp);
        } else {
            v = viewers_new(&loop, &m, &o, &addr, host, pick_slot, &pc);
            if (!v)
                goto out_model;
            bool ready = false;
            viewers_start(v, set_flag, &ready);
            run_until(&loop, &ready);
            vs = viewers_stats(v);
            driver_set_ack_cb(d, viewers_on_ack, v);
        }
        if (!o.quiet)
            printf("viewers: %d connected, %d subscribed in %.2f s (%llu messages, %llu of them "
                   "from edges)\n",
                   vs->connected, vs->subscribed, (double)vs->connect_us / 1e6,
                   (unsigned long long)vs->messages, (unsigned long long)vs->edge_messages);
    }
    struct run_report r = {.o = &o};
    res = lt_db_query(db, "SELECT pg_backend_pid()");
    r.db_postmaster = res ? proc_parent(atoi(PQgetvalue(res, 0, 0))) : 0;
    PQclear(res);
    if (!o.reference)
        scrape(&loop, &addr, host, &r.batch_before);
    proc_sample(o.server_pid, &r.server_before);
    r.db_cpu_before = r.db_postmaster ? proc_children_cpu(r.db_postmaster) : 0;
    proc_sample(getpid(), &r.self_before);
    r.viewers_cpu_before = vp ? vprocs_cpu(vp) : 0;
    if (!o.quiet)
        printf("sending %llu stories over %d connections...\n",
               (unsigned long long)driver_stats(d)->stories, o.connections);
    bool sent = false;
    driver_start(d, set_flag, &sent);
    run_until(&loop, &sent);
    if (!o.quiet)
        printf("sent\n");
    proc_sample(o.server_pid, &r.server_after);
    r.db_cpu_after = r.db_postmaster ? proc_children_cpu(r.db_postmaster) : 0;
    proc_sample(getpid(), &r.self_after);
    r.viewers_cpu_after = vp ? vprocs_cpu(vp) : 0;
    if (!o.reference)
        scrape(&loop, &addr, host, &r.batch_after);
    r.drv = driver_stats(d);
    r.seconds = r.drv->last_ack_us > r.drv->first_send_us
                    ? (double)(r.drv->last_ack_us - r.drv->first_send_us) / 1e6
                    : 0;
    if (v || vp) {
        if (vp) {
            vprocs_settle(vp); /* a failed child is counted in its stats */
            r.view = vprocs_stats(vp);
        } else {
            bool settled = false;
            viewers_settle(v, set_flag, &settled);
            run_until(&loop, &settled);
            r.view = viewers_stats(v);
        }
        if (!o.quiet) /* before the verification's reads: loadtest/fanout_bench.py samples CPU here
                       */
            printf("settled: %llu messages, %llu of them from edges\n",
                   (unsigned long long)r.view->messages, (unsigned long long)r.view->edge_messages);
    }
    if (o.verify) {
        verify_http(&loop, &m, &addr, host, o.verify_connections, &r.verify);
        if (v)
            r.viewer_diffs = viewers_verify(v);
        else if (vp)
            r.viewer_diffs = vprocs_verify(vp);
        if (o.verify_sql)
            verify_sql(db, &m, &r.verify);
    }
    r.passed = r.drv->stories_failed == 0 && r.drv->mismatches == 0 && r.verify.http_diffs == 0 &&
               r.verify.http_errors == 0 && r.verify.sql_diffs == 0 && r.viewer_diffs == 0 &&
               (!r.view || (r.view->disconnects == 0 && r.view->undelivered == 0));
    report_print(&r);
    if (o.out && report_write_json(&r, o.out) != 0)
        r.passed = false;
    status = r.passed ? 0 : 1;
out_model:
    viewers_free(v);
    vprocs_free(vp);
    driver_free(d);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "suara-load: the event loop did not close cleanly\n");
    model_free(&m);
out_db:
    PQfinish(db);
    return status;
}

static int64_t pick_slot(void *ctx, uint64_t h)
{
    struct pick_ctx *pc = ctx;
    return pc->n > 0 ? driver_story_slot(pc->d, (int64_t)(h % (uint64_t)pc->n)) : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "nation") == 0)
        return nation_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "copy") == 0)
        return copybench_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "restart") == 0)
        return restart_main(argc - 1, argv + 1);
    fprintf(stderr, "suara-load: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}
