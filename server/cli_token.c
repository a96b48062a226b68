/* `suara token`: creates, lists and revokes API tokens.
 *
 * A token is "sk_" followed by 32 random bytes in unpadded base64url (43
 * characters). Only its SHA-256 (lowercase hex) is stored, so a database dump
 * never reveals one; `create` prints it exactly once, alone on stdout line 1
 * so scripts can capture it, with a note for humans on stderr. Every change
 * ends with NOTIFY suara_tokens in the same transaction, so a running server
 * reloads its token cache as soon as the change is committed, and writes its
 * audit event (token_created, token_revoked) in that transaction too. */
#include "cli.h"
#include "core/err.h"
#include "db/sync.h"
#include "domain/auth.h"
#include "domain/region_code.h"
#include "cli_qr.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara token"
#define HINT "(see `suara token --help`)\n"
#define NAME_MAX_BYTES 200
#define URL_MAX_BYTES 200

static const char usage[] =
    "Usage: suara token COMMAND [--db CONNINFO] ...\n"
    "\n"
    "Commands:\n"
    "  create --role ROLE --scope CODE [--name TEXT] [--url BASE [--qr] [--card FILE]]\n"
    "          create a token and print it once (stdout line 1); only its SHA-256\n"
    "          is stored. ROLE: witness, reviewer, monitor or admin. CODE: a region\n"
    "          or TPS code that exists in the database; 62 is the whole province.\n"
    "          With --url (the server as witnesses reach it, e.g. https://suara.example):\n"
    "          the witness's link BASE/saksi#t=TOKEN on stdout line 2; --qr draws it\n"
    "          as a QR code below; --card FILE writes a printable HTML card with it.\n"
    "  list [--active]\n"
    "          list tokens (id, role, scope, created, revoked, name), never secrets\n"
    "  revoke ID\n"
    "          revoke a token by its id; a running server stops accepting it\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static const char *const roles[] = {"witness", "reviewer", "monitor", "admin"};

/* Parses options shared by the token commands. Returns -1 to go on, or the
 * exit code (help printed: 0, usage error: 2). *rest is the first operand. */
struct token_opts {
    const char *db, *role, *scope, *name, *url, *card;
    bool active, qr;
};

static int parse(const char *who, int argc, char **argv, const char *allowed, struct token_opts *o,
                 int *rest)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},    {"role", required_argument, NULL, 'r'},
        {"scope", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
        {"active", no_argument, NULL, 'a'},      {"url", required_argument, NULL, 'u'},
        {"qr", no_argument, NULL, 'q'},          {"card", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    optind = 0;
    opterr = 0;
    for (;;) {
        int index = -1;
        int opt = getopt_long(argc, argv, ":h", options, &index);
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
        switch (opt) {
        case 'd':
            o->db = optarg;
            break;
        case 'r':
            o->role = optarg;
            break;
        case 's':
            o->scope = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'a':
            o->active = true;
            break;
        case 'u':
            o->url = optarg;
            break;
        case 'q':
            o->qr = true;
            break;
        case 'c':
            o->card = optarg;
            break;
        }
    }
    *rest = optind;
    if (!sync_conninfo(o->db)) {
        fprintf(stderr, "%s: no database given: use --db CONNINFO or set SUARA_DB\n", who);
        return 2;
    }
    return -1;
}

static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return true;
    }
    return false;
}

/* The witness's link on stdout line 2, and as asked its QR code below and a
 * printable card in o->card. */
static bool share(const struct token_opts *o, const char *token, const char *scope_name,
                  const char *place)
{
    char link[URL_MAX_BYTES + 64];
    size_t base = strlen(o->url);
    while (base > 0 && o->url[base - 1] == '/')
        base--; /* "https://host/" and "https://host" give the same link */
    snprintf(link, sizeof link, "%.*s/saksi#t=%s", (int)base, o->url, token);
    printf("%s\n", link);
    bool ok = !o->qr || qr_print_terminal(stdout, link);
    if (ok && o->card) {
        FILE *f = fopen(o->card, "w");
        struct qr_card card = {link, o->scope, scope_name, place, o->name};
        ok = f && qr_write_card(f, &card);
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok)
            fprintf(stderr, WHO " create: cannot write the card %s\n", o->card);
    }
    explicit_bzero(link, sizeof link);
    return ok;
}

static int create(int argc, char **argv)
{
    const char *who = WHO " create";
    struct token_opts o = {.name = ""};
    int rest;
    int status = parse(who, argc, argv, "drsnuqc", &o, &rest);
    if (status >= 0)
        return status;
    if (rest < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", who, argv[rest]);
        return 2;
    }
    bool role_ok = false;
    for (size_t i = 0; o.role && i < sizeof roles / sizeof roles[0]; i++)
        role_ok = role_ok || strcmp(o.role, roles[i]) == 0;
    if (!role_ok) {
        fprintf(stderr, "%s: %s%s%s: use witness, reviewer, monitor or admin\n", who,
                o.role ? "unknown role '" : "no --role given", o.role ? o.role : "",
                o.role ? "'" : "");
        return 2;
    }
    if (!o.scope || region_code_level(o.scope, strlen(o.scope)) == LEVEL_NONE) {
        fprintf(stderr,
                "%s: %s%s%s: the scope is a region or TPS code like 62, 62.03, 62.03.01, "
                "62.03.01.2001 or 62.03.01.2001.001\n",
                who, o.scope ? "'" : "no --scope given", o.scope ? o.scope : "",
                o.scope ? "' is not a region or TPS code" : "");
        return 2;
    }
    if ((o.qr || o.card) && !o.url) {
        fprintf(stderr, "%s: --qr and --card need --url BASE (the server as witnesses reach it)\n",
                who);
        return 2;
    }
    if (o.url && (strlen(o.url) > URL_MAX_BYTES || has_control(o.url) ||
                  (strncmp(o.url, "https://", 8) != 0 && strncmp(o.url, "http://", 7) != 0))) {
        fprintf(stderr, "%s: --url must be an http:// or https:// address of at most %d bytes\n",
                who, URL_MAX_BYTES);
        return 2;
    }
    if (strlen(o.name) > NAME_MAX_BYTES || has_control(o.name)) {
        fprintf(stderr, "%s: --name must be at most %d bytes without control characters\n", who,
                NAME_MAX_BYTES);
        return 2;
    }

    struct sync_db db = {0};
    struct pg_result *res = NULL;
    char token[AUTH_TOKEN_LEN + 1], hash[65];
    status = 1;
    if (auth_token_new(token, hash) != SU_OK) {
        perror(WHO ": no random bytes from the kernel");
        goto done;
    }

    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK || sync_begin(&db) != SU_OK)
        goto done;
    const char *scope_param[] = {o.scope};
    res = sync_query(
        &db,
        "SELECT name FROM regions WHERE code = $1"
        " UNION ALL SELECT 'TPS ' || lpad(number::text, 3, '0') FROM tps WHERE code = $1",
        1, scope_param);
    if (!res)
        goto done;
    if (sync_rows(res) == 0) {
        fprintf(stderr,
                "%s: scope %s is not a region or TPS in the database (has `suara seed` run?)\n",
                who, o.scope);
        goto done;
    }
    char scope_name[256], place[512] = "";
    snprintf(scope_name, sizeof scope_name, "%s", sync_value(res, 0, 0));
    sync_clear(res);
    res = NULL;
    if (o.card) { /* the regions above the scope, nearest first, for the card */
        res = sync_query(&db,
                         "SELECT coalesce(string_agg(name, ', ' ORDER BY length(code) DESC), '')"
                         " FROM regions WHERE $1 LIKE code || '.%' AND code <> '62'",
                         1, scope_param);
        if (!res)
            goto done;
        snprintf(place, sizeof place, "%s", sync_value(res, 0, 0));
        sync_clear(res);
        res = NULL;
    }

    const char *params[] = {hash, o.role, o.scope, o.name};
    res = sync_query(&db,
                     "INSERT INTO tokens (hash, role, scope, name) VALUES ($1, $2, $3, $4)"
                     " RETURNING id",
                     4, params);
    if (!res)
        goto done;
    const char *audit[] = {sync_value(res, 0, 0), o.role, o.scope, o.name};
    if (sync_exec(&db,
                  "INSERT INTO audit (kind, detail) VALUES ('token_created', jsonb_build_object("
                  "'id', $1::int, 'role', $2::text, 'scope', $3::text, 'name', $4::text,"
                  " 'by', 'cli'))",
                  4, audit) != SU_OK ||
        sync_exec(&db, "NOTIFY suara_tokens", 0, NULL) != SU_OK || sync_commit(&db) != SU_OK)
        goto done;
    printf("%s\n", token);
    if (o.url && !share(&o, token, scope_name, place))
        goto done; /* the token exists: it was printed, and the error says what failed */
    fflush(stdout);
    fprintf(stderr,
            "%s: token %s created: %s for %s (%s)%s%s. It is shown only this once and cannot be "
            "recovered; store it now.\n",
            who, sync_value(res, 0, 0), o.role, o.scope, scope_name, *o.name ? ", name " : "",
            o.name);
    status = 0;

done:
    explicit_bzero(token, sizeof token);
    sync_clear(res);
    sync_close(&db);
    return status;
}

/* Copies s for display in a table: control characters become '?'. */
static void printable(const char *s, char *out, size_t size)
{
    snprintf(out, size, "%s", s);
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = '?';
    }
}

static int list(int argc, char **argv)
{
    const char *who = WHO " list";
    struct token_opts o = {0};
    int rest;
    int status = parse(who, argc, argv, "da", &o, &rest);
    if (status >= 0)
        return status;
    if (rest < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", who, argv[rest]);
        return 2;
    }
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    status = 1;
    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK)
        goto done;
    const char *active[] = {o.active ? "t" : "f"};
    res = sync_query(&db,
                     "SELECT id, role, scope,"
                     " to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                     " coalesce(to_char(revoked_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), name"
                     " FROM tokens WHERE NOT ($1::boolean AND revoked_at IS NOT NULL) ORDER BY id",
                     1, active);
    if (!res)
        goto done;
    int width[5] = {2, 4, 5, 7, 7}; /* the headers' lengths */
    for (int r = 0; r < sync_rows(res); r++) {
        for (int c = 0; c < 5; c++) {
            int len = (int)strlen(sync_value(res, r, c));
            if (len > width[c])
                width[c] = len;
        }
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", width[0], "ID", width[1], "ROLE", width[2],
           "SCOPE", width[3], "CREATED", width[4], "REVOKED", "NAME");
    for (int r = 0; r < sync_rows(res); r++) {
        char name[NAME_MAX_BYTES * 2 + 1];
        printable(sync_value(res, r, 5), name, sizeof name);
        printf("%*s  %-*s  %-*s  %-*s  %-*s  %s\n", width[0], sync_value(res, r, 0), width[1],
               sync_value(res, r, 1), width[2], sync_value(res, r, 2), width[3],
               sync_value(res, r, 3), width[4], sync_value(res, r, 4), name);
    }
    status = 0;

done:
    sync_clear(res);
    sync_close(&db);
    return status;
}

static int revoke(int argc, char **argv)
{
    const char *who = WHO " revoke";
    struct token_opts o = {0};
    int rest;
    int status = parse(who, argc, argv, "d", &o, &rest);
    if (status >= 0)
        return status;
    const char *id = rest < argc ? argv[rest] : "";
    size_t len = strlen(id);
    if (argc - rest != 1 || len == 0 || len > 9 || strspn(id, "0123456789") != len ||
        atoi(id) == 0) {
        fprintf(stderr, "%s: give one token id (see `suara token list`)\n", who);
        return 2;
    }
    struct sync_db db = {0};
    struct pg_result *res = NULL;
    status = 1;
    const char *params[] = {id};
    if (sync_connect(&db, who, sync_conninfo(o.db)) != SU_OK || sync_begin(&db) != SU_OK)
        goto done;
    res = sync_query(&db,
                     "UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
                     " RETURNING role, scope",
                     1, params);
    if (!res)
        goto done;
    if (sync_rows(res) == 1) {
        const char *audit[] = {id, sync_value(res, 0, 0), sync_value(res, 0, 1)};
        if (sync_exec(&db,
                      "INSERT INTO audit (kind, detail) VALUES ('token_revoked',"
                      " jsonb_build_object('id', $1::int, 'role', $2::text, 'scope', $3::text,"
                      " 'by', 'cli'))",
                      3, audit) != SU_OK ||
            sync_exec(&db, "NOTIFY suara_tokens", 0, NULL) != SU_OK || sync_commit(&db) != SU_OK)
            goto done;
        printf("revoked token %s (%s for %s)\n", id, sync_value(res, 0, 0), sync_value(res, 0, 1));
        status = 0;
        goto done;
    }
    sync_clear(res);
    res = sync_query(&db,
                     "SELECT to_char(revoked_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                     " FROM tokens WHERE id = $1",
                     1, params);
    if (!res)
        goto done;
    if (sync_rows(res) == 0) {
        fprintf(stderr, "%s: there is no token %s\n", who, id);
        goto done;
    }
    printf("token %s was already revoked at %s\n", id, sync_value(res, 0, 0));
    status = 0;

done:
    sync_clear(res);
    sync_close(&db);
    return status;
}

int cli_token(int argc, char **argv)
{
    static const struct cli_command commands[] = {
        {"create", create},
        {"list", list},
        {"revoke", revoke},
    };
    return cli_dispatch(WHO, commands, sizeof commands / sizeof commands[0], usage, argc, argv);
}
