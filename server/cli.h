/* The subcommands of the `suara` binary. Each takes the arguments after its
 * name (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure (reported on stderr), 2 usage error. */
#ifndef SUARA_CLI_H
#define SUARA_CLI_H

#include <stddef.h>

int cli_migrate(int argc, char **argv);
int cli_seed(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_verify_log(int argc, char **argv);
int cli_election(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_log(int argc, char **argv);
int cli_log_monitor(int argc, char **argv);

/* One row per subcommand of a command with subcommands (`suara token`,
 * `suara election`, `suara log`, `suara` itself): its name and what runs it. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
};

/* Runs the row of table (n rows) named by argv[1] with the arguments from
 * argv[1] on, and returns its exit code. "--help", "-h" and "help" print usage
 * on stdout (0). No name, or a name not in the table, is a usage error: a
 * message naming `who` and every command on stderr, then 2. One place, so
 * every command answers the same way. */
int cli_dispatch(const char *who, const struct cli_command *table, size_t n, const char *usage,
                 int argc, char **argv);

#endif
