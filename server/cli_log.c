/* `suara log`: the public log's keys and its monitor.
 *   suara log keygen FILE          a new Ed25519 key (mode 0600); prints its public key
 *   suara log key --db CONNINFO    the public keys that signed this database's heads
 *   suara log key --key FILE       the public key of a key file
 *   suara log monitor URL ...      see cli_monitor.c */
#include "cli.h"
#include "core/err.h"
#include "app_keyfile.h"
#include "db/sync.h"

#include <stdio.h>
#include <string.h>

#define WHO "suara log"

static const char usage[] =
    "Usage: suara log keygen FILE\n"
    "       suara log key (--db CONNINFO | --key FILE)\n"
    "       suara log monitor URL --state FILE [--key HEX] [--form ID:RECEIPT]...\n"
    "\n"
    "keygen   writes a new Ed25519 signing key to FILE (which must not exist),\n"
    "         readable by its owner only, and prints its public key (hex); give\n"
    "         the file to `suara serve --log-key FILE`.\n"
    "key      prints the public key that monitors should pin: with --db, every\n"
    "         key that signed this database's heads, newest first, with the\n"
    "         first and last time it was used; with --key, that of a key file.\n"
    "monitor  checks a server's signed tree head against the last one it saw\n"
    "         (see `suara log monitor --help`).\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static int keygen(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, WHO " keygen: give the file to create\n\n%s", usage);
        return 2;
    }
    struct sign_key key;
    char err[300];
    if (keyfile_generate(argv[1], &key, err, sizeof err) != 0) {
        fprintf(stderr, WHO " keygen: %s\n", err);
        return 1;
    }
    printf("%s\n", key.public_hex);
    sign_key_free(&key);
    return 0;
}

static int key_of_file(const char *path)
{
    struct sign_key key;
    char err[300];
    if (keyfile_load(path, &key, err, sizeof err) != 0) {
        fprintf(stderr, WHO " key: %s\n", err);
        return 1;
    }
    printf("%s\n", key.public_hex);
    sign_key_free(&key);
    return 0;
}

static int keys_of_database(const char *db_flag)
{
    const char *conninfo = sync_conninfo(db_flag);
    if (!conninfo) {
        fprintf(stderr, WHO " key: no database given: use --db CONNINFO or set SUARA_DB\n");
        return 2;
    }
    struct sync_db db;
    if (sync_connect(&db, WHO " key", conninfo) != SU_OK)
        return 1;
    struct pg_result *res =
        sync_query(&db,
                   "SELECT public_key, to_char(first_used AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                   " to_char(last_used AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                   " FROM log_keys ORDER BY last_used DESC, first_used DESC",
                   0, NULL);
    int rc = 1;
    if (res) {
        for (int r = 0; r < sync_rows(res); r++)
            printf("%s first_used=%s last_used=%s\n", sync_value(res, r, 0), sync_value(res, r, 1),
                   sync_value(res, r, 2));
        if (sync_rows(res) == 0)
            fprintf(stderr, WHO " key: no server has signed heads for this database yet "
                                "(suara serve --log-key FILE records its key)\n");
        rc = sync_rows(res) > 0 ? 0 : 1;
        sync_clear(res);
    }
    sync_close(&db);
    return rc;
}

static int key(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--db") == 0)
        return keys_of_database(argv[2]);
    if (argc == 1)
        return keys_of_database(NULL);
    if (argc == 3 && strcmp(argv[1], "--key") == 0)
        return key_of_file(argv[2]);
    fprintf(stderr, WHO " key: give --db CONNINFO or --key FILE\n\n%s", usage);
    return 2;
}

int cli_log(int argc, char **argv)
{
    static const struct cli_command commands[] = {
        {"keygen", keygen},
        {"key", key},
        {"monitor", cli_log_monitor},
    };
    return cli_dispatch(WHO, commands, sizeof commands / sizeof commands[0], usage, argc, argv);
}
