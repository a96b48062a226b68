/* `suara migrate`: brings a database's schema up to date.
 *
 * The schema is a folder of numbered SQL files, NNN_name.sql, applied in
 * order of their number. Each file runs in its own transaction together with
 * the row that records it in schema_migrations, so a file is either applied
 * and recorded or not at all, and a second run applies nothing. A session
 * advisory lock serialises concurrent migrators (two servers deployed at
 * once): the second waits, then finds nothing left to do. Files therefore must
 * not contain BEGIN/COMMIT or statements that refuse to run in a transaction. */
#include "cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/sync.h"
#include "core/mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "suara migrate"
#define HINT "(see `suara migrate --help`)\n"
#define MIGRATIONS_MAX 1000
#define MIGRATION_SIZE_MAX (16 * 1024 * 1024)
/* pg_advisory_lock key shared by every migrator: "suara" in ASCII. */
#define MIGRATE_LOCK_KEY "495874470497"

static const char usage[] =
    "Usage: suara migrate [--db CONNINFO] [--schema DIR]\n"
    "\n"
    "Applies every schema file DIR/NNN_name.sql that the database has not seen\n"
    "yet, in order, each in its own transaction, and records it in the table\n"
    "schema_migrations. Running it again when nothing is new changes nothing.\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --schema DIR    folder of migrations (default: $SUARA_SCHEMA_DIR, else the\n"
    "                  schema/ folder of the source tree this binary was built from)\n"
    "  --help          show this help\n"
    "\n"
    "Exit status: 0 up to date, 1 failure, 2 usage error.\n";

struct migration {
    int version;
    char *file; /* name inside the folder */
};

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* NNN_name.sql: digits, an underscore, a name, ".sql". Returns the version
 * (NNN), or -1 if the file is not a migration. */
static int migration_version(const char *file)
{
    size_t len = strlen(file);
    size_t digits = strspn(file, "0123456789");
    if (digits == 0 || digits > 6 || file[digits] != '_' || len < digits + 6 ||
        strcmp(file + len - 4, ".sql") != 0)
        return -1;
    for (size_t i = digits + 1; i < len - 4; i++) {
        unsigned char ch = (unsigned char)file[i];
        if (!isalnum(ch) && ch != '_' && ch != '-')
            return -1;
    }
    int version = atoi(file);
    return version > 0 ? version : -1;
}

/* Lists the migrations in dir, sorted. Returns how many, or -1 after an error
 * was printed. *out is malloc'd (free each file, then the array). */
static int list_migrations(const char *dir, struct migration **out)
{
    struct migration *list = xcalloc(MIGRATIONS_MAX, sizeof *list);
    int n = 0;
    DIR *d = opendir(dir);
    if (!list || !d) {
        fprintf(stderr, WHO ": cannot open the schema folder %s: %s\n", dir, strerror(errno));
        goto fail;
    }
    for (;;) {
        struct dirent *e = readdir(d);
        if (!e)
            break;
        int version = migration_version(e->d_name);
        if (version < 0)
            continue;
        if (n == MIGRATIONS_MAX) {
            fprintf(stderr, WHO ": more than %d migrations in %s\n", MIGRATIONS_MAX, dir);
            goto fail;
        }
        list[n].version = version;
        list[n].file = xstrdup(e->d_name);
        if (!list[n++].file)
            goto fail;
    }
    qsort(list, (size_t)n, sizeof *list, by_version);
    for (int i = 1; i < n; i++) {
        if (list[i].version == list[i - 1].version) {
            fprintf(stderr, WHO ": %s and %s have the same version %d\n", list[i - 1].file,
                    list[i].file, list[i].version);
            goto fail;
        }
    }
    if (n == 0) {
        fprintf(stderr, WHO ": no migrations (NNN_name.sql files) in %s\n", dir);
        goto fail;
    }
    closedir(d);
    *out = list;
    return n;

fail:
    if (d)
        closedir(d);
    for (int i = 0; list && i < n; i++)
        free(list[i].file);
    free(list);
    return -1;
}

/* Reads a whole file into out. SU_OK, or SU_ERR after printing why. */
static int read_file(const char *path, struct buf *out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, WHO ": cannot open %s: %s\n", path, strerror(errno));
        return SU_ERR;
    }
    int rc = SU_OK;
    char chunk[8192];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, fp);
        if (n > 0 && buf_append(out, chunk, n) != SU_OK) {
            fprintf(stderr, WHO ": %s is too large\n", path);
            rc = SU_ERR;
            break;
        }
        if (n < sizeof chunk) {
            if (ferror(fp)) {
                fprintf(stderr, WHO ": cannot read %s: %s\n", path, strerror(errno));
                rc = SU_ERR;
            }
            break;
        }
    }
    fclose(fp);
    if (rc == SU_OK && strlen(out->data ? out->data : "") != out->len) {
        fprintf(stderr, WHO ": %s contains a NUL byte\n", path);
        rc = SU_ERR;
    }
    return rc;
}

/* Applies one migration with its schema_migrations row in one transaction. */
static int apply(struct sync_db *db, const char *dir, const struct migration *m)
{
    struct buf path, sql;
    buf_init(&path, 4096);
    buf_init(&sql, MIGRATION_SIZE_MAX);
    int rc = SU_ERR;
    if (buf_printf(&path, "%s/%s", dir, m->file) != SU_OK || read_file(path.data, &sql) != SU_OK)
        goto done;
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[] = {version, m->file};
    if (sync_begin(db) != SU_OK || sync_script(db, path.data, sql.data ? sql.data : "") != SU_OK ||
        sync_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params) !=
            SU_OK ||
        sync_commit(db) != SU_OK)
        goto done;
    printf("applied %s\n", m->file);
    rc = SU_OK;

done:
    sync_rollback(db);
    buf_free(&path);
    buf_free(&sql);
    return rc;
}

static int migrate(const char *conninfo, const char *dir)
{
    struct migration *list = NULL;
    struct pg_result *res = NULL;
    struct sync_db db = {0};
    int status = 1;
    int n = list_migrations(dir, &list);
    if (n < 0)
        return 1;
    if (sync_connect(&db, WHO, conninfo) != SU_OK)
        goto done;

    const char *key[] = {MIGRATE_LOCK_KEY};
    if (sync_exec(&db, "SELECT pg_advisory_lock($1)", 1, key) != SU_OK ||
        sync_exec(&db,
                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version integer PRIMARY KEY,"
                  " name text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now())",
                  0, NULL) != SU_OK)
        goto done;
    res = sync_query(&db, "SELECT version, name FROM schema_migrations ORDER BY version", 0, NULL);
    if (!res)
        goto done;

    int applied = 0, newest = 0;
    for (int i = 0; i < n; i++) {
        const struct migration *m = &list[i];
        bool seen = false;
        for (int r = 0; r < sync_rows(res) && !seen; r++) {
            if (atoi(sync_value(res, r, 0)) != m->version)
                continue;
            seen = true;
            if (strcmp(sync_value(res, r, 1), m->file) != 0)
                fprintf(stderr, WHO ": warning: version %d was applied as %s, now named %s\n",
                        m->version, sync_value(res, r, 1), m->file);
        }
        if (!seen) {
            if (apply(&db, dir, m) != SU_OK)
                goto done;
            applied++;
        }
        newest = m->version;
    }
    for (int r = 0; r < sync_rows(res); r++) {
        int version = atoi(sync_value(res, r, 0));
        if (version > newest)
            newest = version;
        bool known = false;
        for (int i = 0; i < n && !known; i++)
            known = list[i].version == version;
        if (!known)
            fprintf(stderr,
                    WHO ": warning: the database has migration %s, which is not in %s "
                        "(is this binary older than the database?)\n",
                    sync_value(res, r, 1), dir);
    }
    if (applied)
        printf("applied %d migration%s; schema is at version %d\n", applied,
               applied == 1 ? "" : "s", newest);
    else
        printf("schema is up to date (version %d)\n", newest);
    status = 0;

done:
    sync_clear(res);
    sync_close(&db);
    for (int i = 0; i < n; i++)
        free(list[i].file);
    free(list);
    return status;
}

int cli_migrate(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"schema", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    const char *dir = getenv("SUARA_SCHEMA_DIR");
    if (!dir || !*dir)
        dir = SUARA_SOURCE_DIR "/schema";

    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":h", options, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 's':
            dir = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            fprintf(stderr, WHO ": %s needs a value\n" HINT, argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, WHO ": unknown option %s\n" HINT, argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, WHO ": unexpected argument '%s'\n" HINT, argv[optind]);
        return 2;
    }
    const char *conninfo = sync_conninfo(db);
    if (!conninfo) {
        fprintf(stderr, WHO ": no database given: use --db CONNINFO or set SUARA_DB\n");
        return 2;
    }
    return migrate(conninfo, dir);
}
