/* The subcommands of the `suara` binary. Each takes the arguments after its
 * name (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure (reported on stderr), 2 usage error. */
#ifndef SUARA_CLI_H
#define SUARA_CLI_H

int cli_migrate(int argc, char **argv);
int cli_seed(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_verify_log(int argc, char **argv);
int cli_election(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_log(int argc, char **argv);
int cli_log_monitor(int argc, char **argv);

#endif
