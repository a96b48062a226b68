/* See cli.h: the dispatch every command with subcommands shares. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void list_commands(const struct cli_command *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%s", table[i].name, i + 1 == n ? "" : i + 2 == n ? " or " : ", ");
}

int cli_dispatch(const char *who, const struct cli_command *table, size_t n, const char *usage,
                 int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cmd, table[i].name) == 0)
            return table[i].run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (*cmd)
        fprintf(stderr, "%s: unknown command '%s': use ", who, cmd);
    else
        fprintf(stderr, "%s: which command? ", who);
    list_commands(table, n);
    fprintf(stderr, " (see `%s --help`)\n", who);
    return 2;
}
