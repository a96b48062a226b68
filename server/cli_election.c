/* `suara election`: the election's life from the command line.
 *
 *   status                 the mode (test or live) and the final regions
 *   live [--confirm]       the rehearsal is over: delete every test form,
 *                          decision, final region and the like, restart the
 *                          receipt chain from a new recorded genesis, switch
 *                          to live; without --confirm only say what would go
 *   finalize --contest ID --region CODE --reason TEXT
 *                          the result of a region is final (after its pleno)
 *
 * Every change is one transaction that also writes its audit event and ends
 * with a NOTIFY, so a running server learns of it as soon as it commits (see
 * docs/operations.md, "The night's checklist"). */
#include "cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/random.h"
#include "core/sha256.h"
#include "db/sync.h"
#include "domain/election.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara election"
#define HINT "(see `suara election --help`)\n"

static const char usage[] =
    "Usage: suara election COMMAND [--db CONNINFO] ...\n"
    "\n"
    "Commands:\n"
    "  status\n"
    "          print the mode (test or live) and the regions whose result is final\n"
    "  live [--confirm]\n"
    "          end the rehearsal: delete every test form, decision, final region\n"
    "          (and photo link and snapshot) in one transaction, restart the receipt\n"
    "          chain from a new recorded genesis and switch to live. Without\n"
    "          --confirm it only prints what it would delete. Refused once live.\n"
    "  finalize --contest ID --region CODE --reason TEXT\n"
    "          make the result of REGION (and everything inside it) final in the\n"
    "          contest: later forms and decisions there are refused, except an\n"
    "          admin's amendment\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --help          show this help\n"
    "\n"
    "A running server notices every change (NOTIFY suara_election); after going\n"
    "live it restarts itself and serves the empty live count.\n"
    "Exit status: 0 success, 1 failure (or refused), 2 usage error.\n";

/* The tables that hold rehearsal data, children before parents (foreign
 * keys). Every table that records the count belongs here: one line each.
 * A name missing from the database is skipped (its migration may come later). */
static const char *const test_data_tables[] = {
    "decisions",       "finals",
    "review_requests", "forms", /* with each form's photo links (forms.photos) */
    "tally_snapshots",
};
#define N_TEST_TABLES (sizeof test_data_tables / sizeof test_data_tables[0])

struct election_opts {
    const char *db, *contest, *region, *reason;
    bool confirm;
};

static int parse(const char *who, int argc, char **argv, const char *allowed,
                 struct election_opts *o)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"contest", required_argument, NULL, 'c'},
        {"region", required_argument, NULL, 'r'},
        {"reason", required_argument, NULL, 'm'},
        {"confirm", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":h", options, NULL);
        if (opt == -1)
            break;
        if (opt == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (opt == ':') {
            fprintf(stderr, "%s: %s needs a value\n" HINT, who, argv[optind - 1]);
            return 2;
        }
        if (opt == '?' || !strchr(allowed, opt)) {
            fprintf(stderr, "%s: unknown option %s\n" HINT, who, argv[optind - 1]);
            return 2;
        }
        if (opt == 'd')
            o->db = optarg;
        else if (opt == 'c')
            o->contest = optarg;
        else if (opt == 'r')
            o->region = optarg;
        else if (opt == 'm')
            o->reason = optarg;
        else if (opt == 'y')
            o->confirm = true;
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n" HINT, who, argv[optind]);
        return 2;
    }
    if (!sync_conninfo(o->db)) {
        fprintf(stderr, "%s: no database given: use --db CONNINFO or set SUARA_DB\n", who);
        return 2;
    }
    return -1;
}

/* ---- status --------------------------------------------------------------- */

static int status(int argc, char **argv)
{
    const char *who = WHO " status";
    struct election_opts o = {0};
    int rc = parse(who, argc, argv, "d", &o);
    if (rc >= 0)
        return rc;
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    rc = 1;
    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK)
        goto done;
    res = sync_query(&db,
                     "SELECT mode, coalesce(to_char(switched_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                     " '-'), genesis FROM election",
                     0, NULL);
    if (!res || sync_rows(res) != 1)
        goto done;
    printf("mode %s (since %s), receipt chain genesis %s\n", sync_value(res, 0, 0),
           sync_value(res, 0, 1), sync_value(res, 0, 2));
    sync_clear(res);
    res = sync_query(&db,
                     "SELECT contest, region, to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), reason"
                     " FROM finals ORDER BY contest, region",
                     0, NULL);
    if (!res)
        goto done;
    for (int r = 0; r < sync_rows(res); r++)
        printf("final %s %s at %s: %s\n", sync_value(res, r, 0), sync_value(res, r, 1),
               sync_value(res, r, 2), sync_value(res, r, 3));
    rc = 0;
done:
    sync_clear(res);
    sync_close(&db);
    return rc;
}

/* ---- live ------------------------------------------------------------------ */

/* The new start of the receipt chain: a hash of the switch's time and fresh
 * random bytes, so the live chain can never be confused with the rehearsal's
 * (or another election's). Recorded in the election row. */
static int make_genesis(char out[65])
{
    unsigned char nonce[32];
    char nonce_hex[65], now[40], text[160];
    if (random_bytes(nonce, sizeof nonce) != SU_OK)
        return SU_ERR;
    hex_encode(nonce, sizeof nonce, nonce_hex);
    clock_format_rfc3339(clock_now_ms(), now, sizeof now);
    int n = snprintf(text, sizeof text, "suara-genesis-v1\n%s\n%s\n", now, nonce_hex);
    sha256_hex(text, (size_t)n, out);
    return SU_OK;
}

static bool table_exists(struct sync_db *db, const char *table)
{
    const char *p[] = {table};
    struct pg_result *res = sync_query(db, "SELECT to_regclass($1) IS NOT NULL", 1, p);
    bool yes = res && strcmp(sync_value(res, 0, 0), "t") == 0;
    sync_clear(res);
    return yes;
}

/* Counts (or deletes) the rows of every test-data table; counts[i] gets the
 * number, -1 for a table that does not exist. SU_OK or SU_ERR. */
static int sweep_tables(struct sync_db *db, bool delete, long long counts[N_TEST_TABLES])
{
    for (size_t i = 0; i < N_TEST_TABLES; i++) {
        counts[i] = -1;
        if (!table_exists(db, test_data_tables[i]))
            continue;
        char sql[128];
        if (delete)
            snprintf(sql, sizeof sql,
                     "WITH gone AS (DELETE FROM %s RETURNING 1)"
                     " SELECT count(*) FROM gone",
                     test_data_tables[i]);
        else
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", test_data_tables[i]);
        struct pg_result *res = sync_query(db, sql, 0, NULL);
        if (!res)
            return SU_ERR;
        counts[i] = atoll(sync_value(res, 0, 0));
        sync_clear(res);
    }
    return SU_OK;
}

static void print_counts(const char *verb, const long long counts[N_TEST_TABLES])
{
    for (size_t i = 0; i < N_TEST_TABLES; i++) {
        if (counts[i] >= 0)
            printf("%s %lld rows of %s\n", verb, counts[i], test_data_tables[i]);
    }
}

/* The audit detail of the switch: {"from", "to", "genesis", "deleted": {...}}. */
static void deleted_json(const long long counts[N_TEST_TABLES], char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "{");
    for (size_t i = 0; i < N_TEST_TABLES && n < size; i++) {
        if (counts[i] >= 0)
            n += (size_t)snprintf(out + n, size - n, "%s\"%s\": %lld", n > 1 ? ", " : "",
                                  test_data_tables[i], counts[i]);
    }
    if (n < size)
        snprintf(out + n, size - n, "}");
}

static int go_live(int argc, char **argv)
{
    const char *who = WHO " live";
    struct election_opts o = {0};
    int rc = parse(who, argc, argv, "dy", &o);
    if (rc >= 0)
        return rc;
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    long long counts[N_TEST_TABLES];
    char genesis[65], deleted[512];
    rc = 1;
    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK || sync_begin(&db) != SU_OK)
        goto done;
    /* The writer's tables first, so a running server's batch either commits
     * before the switch or waits and then fails its epoch check; then the
     * election row. The same order as a batch: no deadlock. */
    if (sync_exec(&db, "LOCK TABLE forms, decisions IN EXCLUSIVE MODE", 0, NULL) != SU_OK)
        goto done;
    res = sync_query(&db, "SELECT mode FROM election FOR UPDATE", 0, NULL);
    if (!res || sync_rows(res) != 1)
        goto done;
    if (strcmp(sync_value(res, 0, 0), "live") == 0) {
        fprintf(stderr,
                "%s: the election is already live; switching again (or back to test) "
                "is refused\n",
                who);
        goto done;
    }
    if (!o.confirm) {
        if (sweep_tables(&db, false, counts) != SU_OK)
            goto done;
        print_counts("would delete", counts);
        printf("nothing changed: run again with --confirm to go live\n");
        rc = 0;
        goto done;
    }
    if (make_genesis(genesis) != SU_OK) {
        perror(WHO ": no random bytes from the kernel");
        goto done;
    }
    if (sweep_tables(&db, true, counts) != SU_OK)
        goto done;
    deleted_json(counts, deleted, sizeof deleted);
    const char *params[] = {genesis, deleted};
    if (sync_exec(&db,
                  "UPDATE election SET mode = 'live', epoch = epoch + 1, genesis = $1,"
                  " switched_at = now()",
                  1, params) != SU_OK ||
        /* Every decision left is a live one, with a receipt (schema/006). */
        sync_exec(&db, "UPDATE log_format SET decisions_from_seq = 1", 0, NULL) != SU_OK ||
        sync_exec(&db,
                  "INSERT INTO audit (kind, detail) VALUES ('mode', jsonb_build_object("
                  "'from', 'test', 'to', 'live', 'by', 'cli', 'genesis', $1::text,"
                  " 'deleted', $2::jsonb))",
                  2, params) != SU_OK ||
        sync_exec(&db, "NOTIFY " ELECTION_CHANNEL, 0, NULL) != SU_OK || sync_commit(&db) != SU_OK)
        goto done;
    print_counts("deleted", counts);
    printf("live: the receipt chain starts again from genesis %s\n", genesis);
    rc = 0;
done:
    sync_clear(res);
    sync_close(&db); /* rolls back whatever did not commit */
    return rc;
}

/* ---- finalize --------------------------------------------------------------- */

static int finalize(int argc, char **argv)
{
    const char *who = WHO " finalize";
    struct election_opts o = {0};
    int rc = parse(who, argc, argv, "dcrm", &o);
    if (rc >= 0)
        return rc;
    if (!o.contest || !o.region || !o.reason) {
        fprintf(stderr, "%s: --contest, --region and --reason are all needed\n" HINT, who);
        return 2;
    }
    if (!*o.reason || strlen(o.reason) > ELECTION_REASON_MAX) {
        fprintf(stderr, "%s: --reason must be 1 to %d bytes\n", who, ELECTION_REASON_MAX);
        return 2;
    }
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    const char *params[] = {o.contest, o.region, o.reason};
    rc = 1;
    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK || sync_begin(&db) != SU_OK)
        goto done;
    /* The region must lie inside the contest's region (or be it). */
    res = sync_query(&db,
                     "SELECT 1 FROM contests c WHERE c.id = $1 AND ($2 = c.region OR"
                     " $2 LIKE c.region || '.%') AND EXISTS (SELECT 1 FROM regions WHERE code = $2"
                     " UNION ALL SELECT 1 FROM tps WHERE code = $2)",
                     2, params);
    if (!res)
        goto done;
    if (sync_rows(res) == 0) {
        fprintf(stderr, "%s: no contest %s with a region %s inside it\n", who, o.contest, o.region);
        goto done;
    }
    sync_clear(res);
    res = sync_query(&db,
                     "INSERT INTO finals (contest, region, reason) VALUES ($1, $2, $3)"
                     " ON CONFLICT DO NOTHING RETURNING 1",
                     3, params);
    if (!res)
        goto done;
    if (sync_rows(res) == 0) {
        printf("%s %s was already final\n", o.contest, o.region);
        rc = 0;
        goto done;
    }
    if (sync_exec(&db,
                  "INSERT INTO audit (kind, detail) VALUES ('finalize', jsonb_build_object("
                  "'contest', $1::text, 'region', $2::text, 'reason', $3::text, 'by', 'cli'))",
                  3, params) != SU_OK ||
        sync_exec(&db, "NOTIFY " ELECTION_CHANNEL, 0, NULL) != SU_OK || sync_commit(&db) != SU_OK)
        goto done;
    printf("final: %s %s\n", o.contest, o.region);
    rc = 0;
done:
    sync_clear(res);
    sync_close(&db);
    return rc;
}

int cli_election(int argc, char **argv)
{
    static const struct cli_command commands[] = {
        {"status", status},
        {"live", go_live},
        {"finalize", finalize},
    };
    return cli_dispatch(WHO, commands, sizeof commands / sizeof commands[0], usage, argc, argv);
}
