/* suara: dispatches to the subcommands (see cli.h and `suara --help`). */
#include "cli.h"
#include "domain/json.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: suara COMMAND [OPTIONS]\n"
    "\n"
    "Real-time vote-count tally server for Model C.Hasil (C1) forms.\n"
    "\n"
    "Commands:\n"
    "  migrate --db CONNINFO                 apply the database schema (idempotent)\n"
    "  seed --db CONNINFO DIR                load regions, TPS and contests from DIR\n"
    "  token create --db CONNINFO --role ROLE --scope CODE [--name TEXT]\n"
    "                                        create an API token and print it once\n"
    "  serve --db CONNINFO [--listen HOST:PORT] [options]\n"
    "                                        run the server (see `suara serve --help`)\n"
    "  verify-log --db CONNINFO              recompute the receipt chain of stored forms\n"
    "  election status|live|finalize --db CONNINFO ...\n"
    "                                        rehearsal and live mode, final results\n"
    "  import kpu --db CONNINFO FILE...      load KPU's published results (Sirekap TPS JSON,\n"
    "                                        candidate lists, kabupaten/kota recap CSV)\n"
    "  log keygen FILE | key --db CONNINFO | monitor URL --state FILE\n"
    "                                        the public log's key and its monitor\n"
    "\n"
    "CONNINFO is any libpq connection string; SUARA_DB may stand in for --db.\n";

int main(int argc, char **argv)
{
    json_init();
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("suara %s\n", SUARA_VERSION);
        return 0;
    }
    static const struct cli_command commands[] = {
        {"migrate", cli_migrate},       {"seed", cli_seed},
        {"token", cli_token},           {"serve", cli_serve},
        {"verify-log", cli_verify_log}, {"election", cli_election},
        {"import", cli_import},         {"log", cli_log},
    };
    return cli_dispatch("suara", commands, sizeof commands / sizeof commands[0], usage, argc, argv);
}
